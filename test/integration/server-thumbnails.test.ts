/**
 * The thumbnails of a job through the HTTP API (issue 29 item 5): a job created with `thumbnails` shows them in
 * its view once done, and GET /api/jobs/:id/thumbnails/:file serves its poster, sprite sheet and WebVTT map and
 * nothing else (no other names, no way out of the folder, none for a job without thumbnails).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeClip, tempDir } from '../support/media.js';
import { api, startTestServer, waitForStatus, type TestServer } from '../e2e/support/server-harness.js';

const FAST = { segmentSeconds: 1, preset: 'ultrafast', workers: 2 };

describe('server API: thumbnails', () => {
  let srv: TestServer;
  let media: { dir: string; cleanup: () => void };
  let clip: string;

  before(async () => {
    media = tempDir('shardcast-api-thumbs-');
    clip = makeClip(join(media.dir, 'clip.mp4'), { seconds: 3, rate: 25, gop: 25, noise: 0, size: '320x180' });
    srv = await startTestServer({ roots: [media.dir] });
  });
  after(async () => {
    await srv?.close();
    media?.cleanup();
  });

  it('a job with thumbnails: in its view, and its poster, sheet and map served', async () => {
    const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, ...FAST, thumbnails: 1, thumbnailWidth: 64 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const job = await waitForStatus(srv.url, r.body.id, ['done', 'failed']);
    assert.equal(job.status, 'done', job.error);
    assert.equal(job.thumbnails.count, 3);
    assert.equal(job.thumbnails.width, 64);
    assert.equal(job.thumbnails.height, 36);
    const base = `${srv.url}/api/jobs/${job.id}/thumbnails`;
    for (const [file, type] of [
      ['poster.jpg', 'image/jpeg'],
      ['sprite-0.jpg', 'image/jpeg'],
    ]) {
      const x = await fetch(`${base}/${file}`);
      assert.equal(x.status, 200, file);
      assert.equal(x.headers.get('content-type'), type);
      const bytes = Buffer.from(await x.arrayBuffer());
      assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8], `${file} is a JPEG`);
    }
    const vtt = await fetch(`${base}/thumbnails.vtt`);
    assert.equal(vtt.status, 200);
    assert.match(vtt.headers.get('content-type')!, /^text\/vtt/);
    assert.match(await vtt.text(), /^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.000\nsprite-0\.jpg#xywh=0,0,64,36\n/);
    for (const bad of ['sprite-1.jpg', '..%2Foutput.mp4', '..%2F..%2Fledger.db', 'thumbnails.vtt.bak', '00000.jpg']) {
      const x = await fetch(`${base}/${bad}`);
      assert.ok(x.status === 404 || x.status === 400, `${bad}: ${x.status}`);
      await x.arrayBuffer();
    }
  });

  it('a job without thumbnails: 404 that says how to get them', async () => {
    const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, ...FAST } });
    const job = await waitForStatus(srv.url, r.body.id, ['done', 'failed']);
    assert.equal(job.thumbnails, undefined);
    const x = await api(srv.url, 'GET', `/api/jobs/${job.id}/thumbnails/poster.jpg`);
    assert.equal(x.status, 404);
    assert.match(JSON.stringify(x.body), /--thumbnails/);
  });
});
