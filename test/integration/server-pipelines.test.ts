/**
 * The API of jobs started without a person: the templates a job may name, a job made from one (its container
 * from the template, a field given overriding it), a template refused in one line, and the watched folders.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTemplateCatalog } from '../../src/runtime/template-files.js';
import { removeWatchState, writeWatchState } from '../../src/runtime/watch-registry.js';
import { makeClip, tempDir } from '../support/media.js';
import { writeFileSync } from 'node:fs';
import { api, startTestServer, waitForStatus, type TestServer } from '../e2e/support/server-harness.js';

describe('server API: templates and watched folders', () => {
  let srv: TestServer;
  let media: { dir: string; cleanup: () => void };
  let clip: string;

  before(async () => {
    media = tempDir('shardcast-api-pipelines-');
    clip = makeClip(join(media.dir, 'clip.mp4'), { seconds: 2, size: '320x180', rate: 25, gop: 25, noise: 0 });
    const config = join(media.dir, 'shardcast.config.yaml');
    writeFileSync(
      config,
      'version: 1\ntemplates:\n  tiny:\n    output: mkv\n    preset: ultrafast\n    maxHeight: 90\n    segmentSeconds: 1\n    verify: false\n',
    );
    srv = await startTestServer({ roots: [media.dir], templates: await readTemplateCatalog(config) });
  });
  after(async () => {
    await srv?.close();
    media?.cleanup();
  });

  it('lists the templates with what each makes', async () => {
    const r = await api(srv.url, 'GET', '/api/templates');
    assert.equal(r.status, 200);
    assert.match(r.body.source, /shardcast\.config\.yaml$/);
    const names = r.body.templates.map((t: { name: string }) => t.name);
    assert.deepEqual(names, ['web-1080p', 'web-720p', 'hls-dash', 'archive-hevc-10bit', 'tiny']);
    const tiny = r.body.templates.find((t: { name: string }) => t.name === 'tiny');
    assert.equal(tiny.makes, 'mkv: h264 crf 23 ultrafast, at most 90 lines, aac 128k');
    assert.deepEqual(tiny.options, { preset: 'ultrafast', maxHeight: 90, segmentSeconds: 1, verify: false });
  });

  it('makes a job from a template: its container and options, a field given overriding one', async () => {
    const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, template: 'tiny', workers: 2, maxHeight: 120 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const job = await waitForStatus(srv.url, r.body.id, ['done', 'failed']);
    assert.equal(job.status, 'done', job.error);
    assert.equal(job.template, 'tiny');
    assert.match(job.output, /output\.mkv$/);
    assert.equal(job.profile.maxHeight, 120);
    assert.equal(job.profile.preset, 'ultrafast');
    assert.equal(job.options.verify, false, "the template's verify: false held");
  });

  it('refuses an unknown template or a container it does not make, in one line, with no job', async () => {
    const before = (await api(srv.url, 'GET', '/api/jobs')).body.jobs.length;
    const unknown = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, template: 'nope' } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /^no template "nope" in .*shardcast\.config\.yaml or the built-ins/);
    const clash = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, template: 'tiny', container: 'mp4' } });
    assert.equal(clash.status, 400);
    assert.equal(clash.body.message, 'template tiny makes a .mkv file: name an output ending in .mkv');
    assert.equal((await api(srv.url, 'GET', '/api/jobs')).body.jobs.length, before);
  });

  it('lists the folders watched on its state dir', async () => {
    assert.deepEqual((await api(srv.url, 'GET', '/api/watches')).body.watches, []);
    await writeWatchState(srv.stateDir, {
      dir: '/in',
      outDir: '/out',
      template: 'tiny',
      startedAt: Date.now() - 5000,
      heartbeatAt: Date.now(),
      done: 2,
      failed: 1,
      skipped: 0,
      running: { jobId: 'abcdef123456', file: 'c.mp4' },
    });
    const [w] = (await api(srv.url, 'GET', '/api/watches')).body.watches;
    assert.equal(w.dir, '/in');
    assert.equal(w.alive, true);
    assert.equal(w.done, 2);
    assert.deepEqual(w.running, { jobId: 'abcdef123456', file: 'c.mp4' });
    assert.match(w.watcher, /:\d+/);
    await removeWatchState(srv.stateDir);
    assert.deepEqual((await api(srv.url, 'GET', '/api/watches')).body.watches, []);
  });
});
