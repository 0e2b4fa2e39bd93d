/**
 * The HTTP API against a real server on 127.0.0.1 (port 0), real ffmpeg and the real SQLite ledger:
 * every route, validation errors, Range downloads, the event stream, retry/resume/cancel/delete, and a job
 * started by the CLI in another process showing up.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeClip, tempDir } from '../support/media.js';
import { api, startTestServer, waitFor, waitForStatus, type TestServer } from '../e2e/support/server-harness.js';
import { readEvents } from '../e2e/support/sse-client.js';

const FAST = { segmentSeconds: 1, preset: 'ultrafast', workers: 2 };

describe('server API', () => {
  let srv: TestServer;
  let media: { dir: string; cleanup: () => void };
  let clip: string;
  let doneId: string;

  before(async () => {
    media = tempDir('shardcast-api-media-');
    clip = makeClip(join(media.dir, 'clip.mp4'), { seconds: 3, rate: 25, gop: 25, noise: 0 });
    srv = await startTestServer({ roots: [media.dir] });
  });
  after(async () => {
    await srv?.close();
    media?.cleanup();
  });

  it('serves an OpenAPI document listing every route with schemas', async () => {
    const r = await api(srv.url, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    const paths = r.body.paths;
    for (const p of [
      '/api/jobs',
      '/api/jobs/{id}',
      '/api/jobs/{id}/segments/{index}',
      '/api/jobs/{id}/events',
      '/api/jobs/{id}/retry',
      '/api/jobs/{id}/resume',
      '/api/jobs/{id}/cancel',
      '/api/jobs/{id}/quality',
      '/api/jobs/{id}/output',
    ]) {
      assert.ok(paths[p], `missing ${p}`);
    }
    assert.ok(paths['/api/jobs'].post.requestBody.content['multipart/form-data']);
    assert.ok(paths['/api/jobs'].post.requestBody.content['application/json']);
    assert.ok(paths['/api/jobs/{id}'].delete);
    assert.equal(paths['/api/jobs/{id}'].get.parameters.find((p: any) => p.name === 'id').schema.pattern, '^[a-z0-9]{6,32}$');
  });

  it('creates a job from a JSON source under a root and runs it to done', async () => {
    const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, ...FAST } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    doneId = r.body.id;
    const job = await waitForStatus(srv.url, doneId, ['done', 'failed']);
    assert.equal(job.status, 'done', job.error);
    assert.equal(job.segmentsTotal, 3);
    assert.equal(job.segments.filter((s: any) => s.kind === 'video').length, 3);
    for (const s of job.segments) {
      assert.equal(s.status, 'done');
      assert.ok(s.attempts >= 1 && s.worker && s.wallMs >= 0 && s.sizeBytes > 0);
      assert.equal(typeof s.startTime, 'number');
    }
    assert.equal(job.sourceName, 'clip.mp4');
    assert.ok(job.outputAvailable);
    assert.ok(job.output.startsWith(join(srv.stateDir, 'outputs', doneId)));
  });

  it('lists jobs with profile, progress, duration and speed', async () => {
    const r = await api(srv.url, 'GET', '/api/jobs');
    assert.equal(r.status, 200);
    const item = r.body.jobs.find((j: any) => j.id === doneId);
    assert.ok(item);
    assert.equal(item.profile.preset, 'ultrafast');
    assert.equal(item.segmentsDone, 3);
    assert.ok(item.duration > 2.9 && item.speed > 0);
    assert.equal((await api(srv.url, 'GET', '/api/jobs?limit=0')).status, 400);
  });

  it('returns a segment record with ffmpeg args, exit code, stderr tail and checksum', async () => {
    const r = await api(srv.url, 'GET', `/api/jobs/${doneId}/segments/1`);
    assert.equal(r.status, 200);
    assert.equal(r.body.key, `${doneId}/v00001`);
    assert.ok(Array.isArray(r.body.args) && r.body.args.includes('libx264'));
    assert.equal(r.body.exitCode, 0);
    assert.equal(typeof r.body.stderrTail, 'string');
    assert.match(r.body.checksum, /^[0-9a-f]{64}$/);
    const audio = await api(srv.url, 'GET', `/api/jobs/${doneId}/segments/0?kind=audio`);
    assert.equal(audio.status, 200);
    assert.equal(audio.body.kind, 'audio');
    assert.equal((await api(srv.url, 'GET', `/api/jobs/${doneId}/segments/99`)).status, 404);
    assert.equal((await api(srv.url, 'GET', `/api/jobs/${doneId}/segments/1?kind=subtitle`)).status, 400);
    assert.equal((await api(srv.url, 'GET', `/api/jobs/${doneId}/segments/x`)).status, 400);
    assert.equal((await api(srv.url, 'GET', '/api/jobs/abcdef123456/segments/0')).status, 404);
  });

  it('takes a quality target: every segment searched, its CRF and score in the job', async () => {
    const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, ...FAST, targetQuality: 'psnr:36', maxCrf: 45 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const job = await waitForStatus(srv.url, r.body.id, ['done', 'failed']);
    assert.equal(job.status, 'done', job.error);
    assert.deepEqual(job.profile.target, { metric: 'psnr', value: 36, band: 0.5, minCrf: 10, maxCrf: 45 });
    for (const s of job.segments.filter((x: any) => x.kind === 'video')) {
      assert.equal(typeof s.quality.crf, 'number');
      assert.ok(s.quality.trials.length >= 1);
      if (s.quality.inBand) assert.ok(Math.abs(s.quality.score - 36) <= 0.5, JSON.stringify(s.quality));
      else assert.match(s.quality.reason, /CRF range ran out|lands in the band|did not land/);
    }
  });

  it('downloads the output, with Range support', async () => {
    const full = await fetch(`${srv.url}/api/jobs/${doneId}/output`);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('content-type'), 'video/mp4');
    assert.equal(full.headers.get('accept-ranges'), 'bytes');
    const size = (await full.arrayBuffer()).byteLength;
    assert.ok(size > 1000);
    const part = await fetch(`${srv.url}/api/jobs/${doneId}/output`, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${size}`);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    const bad = await fetch(`${srv.url}/api/jobs/${doneId}/output`, { headers: { range: `bytes=${size + 10}-` } });
    assert.equal(bad.status, 416);
    await bad.arrayBuffer();
  });

  it('makes a ladder (container hls) and serves its files, and nothing outside its folder', async () => {
    const r = await api(srv.url, 'POST', '/api/jobs', {
      json: {
        source: clip,
        container: 'hls',
        ladder: '240,120:150k',
        dash: true,
        segmentDuration: 1,
        preset: 'ultrafast',
        workers: 2,
        publishEarly: true,
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.id as string;
    const job = await waitForStatus(srv.url, id, ['done', 'failed']);
    assert.equal(job.status, 'done', job.error);
    assert.deepEqual(
      job.renditions.map((x: { name: string }) => x.name),
      ['v240', 'v120', 'a0'],
    );
    const master = await fetch(`${srv.url}/api/jobs/${id}/ladder/master.m3u8`);
    assert.equal(master.status, 200);
    assert.match(await master.text(), /^#EXTM3U[\s\S]*v240\/index\.m3u8/);
    const seg = await fetch(`${srv.url}/api/jobs/${id}/ladder/v120/seg_00001.m4s`);
    assert.equal(seg.status, 200);
    assert.ok((await seg.arrayBuffer()).byteLength > 100);
    assert.equal((await fetch(`${srv.url}/api/jobs/${id}/ladder/manifest.mpd`)).status, 200);
    // publishEarly reached the job (its first prefix was published), and the I-frame playlists are served.
    assert.equal(typeof job.timings.firstPlayableMs, 'number');
    const iframes = await fetch(`${srv.url}/api/jobs/${id}/ladder/v120/iframes.m3u8`);
    assert.equal(iframes.status, 200);
    assert.match(await iframes.text(), /#EXT-X-I-FRAMES-ONLY/);
    for (const bad of ['..%2F..%2Fledger.db', 'v120/..%2F..%2Fmaster.m3u8', '.hidden', 'a/b/c.m4s', 'v120/nope.m4s']) {
      const x = await fetch(`${srv.url}/api/jobs/${id}/ladder/${bad}`);
      assert.equal(x.status, 404, bad);
      await x.arrayBuffer();
    }
    const single = await fetch(`${srv.url}/api/jobs/${doneId}/ladder/master.m3u8`);
    assert.equal(single.status, 409);
    await single.arrayBuffer();
  });

  it('streams the event log and snapshots over SSE, resuming after Last-Event-ID', async () => {
    const all = await readEvents(`${srv.url}/api/jobs/${doneId}/events`, (evs) => evs.some((e) => e.event === 'snapshot'));
    const jobEvents = all.filter((e) => e.event === 'job-event').map((e) => JSON.parse(e.data));
    assert.equal(jobEvents[0].type, 'job.created');
    assert.ok(jobEvents.some((e: any) => e.type === 'job.done'));
    assert.deepEqual(
      jobEvents.map((e: any) => e.seq),
      jobEvents.map((_: unknown, i: number) => i + 1),
    );
    const snap = JSON.parse(all.find((e) => e.event === 'snapshot')!.data);
    assert.equal(snap.status, 'done');
    const later = await readEvents(`${srv.url}/api/jobs/${doneId}/events`, (evs) => evs.some((e) => e.event === 'snapshot'), {
      'last-event-id': '3',
    });
    const seqs = later.filter((e) => e.event === 'job-event').map((e) => Number(e.id));
    assert.equal(seqs[0], 4);
    assert.equal((await api(srv.url, 'GET', '/api/jobs/abcdef123456/events')).status, 404);
  });

  it('follows a new job live over SSE until done', async () => {
    const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, ...FAST } });
    assert.equal(r.status, 201);
    const evs = await readEvents(
      `${srv.url}/api/jobs/${r.body.id}/events`,
      (list) => list.some((e) => e.event === 'snapshot' && JSON.parse(e.data).status === 'done'),
      {},
      90_000,
    );
    const types = evs.filter((e) => e.event === 'job-event').map((e) => JSON.parse(e.data).type);
    assert.ok(types.includes('task.started') && types.includes('task.done') && types.includes('job.done'), types.join(','));
  });

  it('accepts a multipart upload and keeps the client file name out of paths', async () => {
    const form = new FormData();
    form.append('segmentSeconds', '1');
    form.append('preset', 'ultrafast');
    form.append('height', '120');
    const { readFileSync } = await import('node:fs');
    form.append('file', new Blob([readFileSync(clip)]), '../../../escape me.MP4');
    const r = await api(srv.url, 'POST', '/api/jobs', { body: form });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.id;
    assert.deepEqual(readdirSync(join(srv.stateDir, 'uploads', id)).sort(), ['meta.json', 'source.mp4']);
    const job = await waitForStatus(srv.url, id, ['done', 'failed']);
    assert.equal(job.status, 'done', job.error);
    assert.equal(job.sourceName, 'escape me.MP4');
    assert.equal(job.profile.height, 120);
    assert.ok(!existsSync(join(srv.stateDir, '..', 'escape me.MP4')));
  });

  it('refuses invalid options with a JSON message and no stack', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ source: clip, crf: 99 }, /crf/],
      [{ source: clip, container: 'avi' }, /container/],
      [{ source: clip, segmentSeconds: 0.1 }, /segmentSeconds/],
      [{ source: clip, preset: 'fast; rm -rf /' }, /preset/],
      [{ source: clip, frobnicate: 1 }, /frobnicate|additional/],
      [{ source: clip, container: 'webm', videoCodec: 'h264' }, /webm/],
      [{ crf: 20 }, /source/],
      [{ source: clip, targetQuality: 'vmaf' }, /targetQuality/],
      [{ source: clip, targetQuality: 'psnr:40', minCrf: 30, maxCrf: 20 }, /--min-crf \(30\) must be below --max-crf \(20\)/],
      [{ source: clip, maxCrf: 30 }, /go with --target-quality/],
    ];
    for (const [json, re] of cases) {
      const r = await api(srv.url, 'POST', '/api/jobs', { json });
      assert.equal(r.status, 400, JSON.stringify(json));
      assert.deepEqual(Object.keys(r.body).sort(), ['error', 'message']);
      assert.match(r.body.message, re);
      assert.doesNotMatch(r.body.message, /\n\s+at /);
    }
    const form = new FormData();
    form.append('crf', 'high');
    form.append('file', new Blob([Buffer.from('not a video')]), 'x.mp4');
    const m = await api(srv.url, 'POST', '/api/jobs', { body: form });
    assert.equal(m.status, 400);
    assert.match(m.body.message, /crf/);
    const noFile = new FormData();
    noFile.append('crf', '20');
    assert.equal((await api(srv.url, 'POST', '/api/jobs', { body: noFile })).status, 400);
    const text = await api(srv.url, 'POST', '/api/jobs', { body: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    assert.deepEqual(
      readdirSync(join(srv.stateDir, 'uploads')).filter((d) => !readdirSync(join(srv.stateDir, 'uploads', d)).length),
      [],
    );
    const unknown = await api(srv.url, 'GET', '/api/nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'not_found');
  });

  it('refuses retry, resume and cancel where they do not apply', async () => {
    assert.equal((await api(srv.url, 'POST', `/api/jobs/${doneId}/retry`)).status, 409);
    assert.equal((await api(srv.url, 'POST', `/api/jobs/${doneId}/resume`)).status, 409);
    const c = await api(srv.url, 'POST', `/api/jobs/${doneId}/cancel`);
    assert.equal(c.status, 409);
    assert.match(c.body.message, /not running/);
    assert.equal((await api(srv.url, 'POST', '/api/jobs/abcdef123456/retry')).status, 404);
  });

  it("measures a done job's quality on request and keeps the report in the job", async () => {
    const r = await api(srv.url, 'POST', `/api/jobs/${doneId}/quality`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const job = await waitFor('the quality report', async () => {
      const j = (await api(srv.url, 'GET', `/api/jobs/${doneId}`)).body;
      return j.quality && !j.running ? j : undefined;
    });
    assert.equal(job.status, 'done');
    assert.equal(job.quality.frames, 75);
    assert.deepEqual(
      job.quality.seams.map((s: any) => s.frame),
      [25, 50],
    );
    assert.ok(job.quality.psnrMean > 30 && job.quality.ssimMean > 0.9 && job.quality.ssimMean <= 1, JSON.stringify(job.quality));
    assert.ok(job.timings.qualityMs > 0);
    assert.equal((await api(srv.url, 'POST', '/api/jobs/abcdef123456/quality')).status, 404);
  });

  it('retries only the failed segment of a failed job', async () => {
    srv.faults.failSegment = 1;
    const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, ...FAST, maxAttempts: 1 } });
    const failed = await waitForStatus(srv.url, r.body.id, ['failed', 'done']);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error, /segment 1/);
    const seg = await api(srv.url, 'GET', `/api/jobs/${r.body.id}/segments/1`);
    assert.equal(seg.body.status, 'failed');
    assert.notEqual(seg.body.exitCode, 0);
    assert.match(seg.body.stderrTail, /injected-fault-for-test/);
    const other = await api(srv.url, 'GET', `/api/jobs/${r.body.id}/segments/0`);
    assert.equal(other.body.status, 'done');
    srv.faults.failSegment = undefined;
    const started = await api(srv.url, 'POST', `/api/jobs/${r.body.id}/retry`);
    assert.equal(started.status, 202);
    const done = await waitForStatus(srv.url, r.body.id, ['done', 'failed']);
    assert.equal(done.status, 'done', done.error);
    const again = await api(srv.url, 'GET', `/api/jobs/${r.body.id}/segments/0`);
    assert.equal(again.body.attempts, 1, 'the segment that was done is not encoded again');
  });

  it('cancels a running job, refuses to delete it meanwhile, then resumes it to done', async () => {
    srv.faults.holdSegment = 2;
    const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, ...FAST } });
    const id = r.body.id;
    await waitFor(
      'segment 2 to run',
      async () =>
        (await api(srv.url, 'GET', `/api/jobs/${id}`)).body.segments?.find((s: any) => s.index === 2 && s.kind === 'video')?.status ===
        'running',
    );
    const del = await api(srv.url, 'DELETE', `/api/jobs/${id}`);
    assert.equal(del.status, 409);
    assert.equal((await api(srv.url, 'POST', `/api/jobs/${id}/resume`)).status, 409);
    const c = await api(srv.url, 'POST', `/api/jobs/${id}/cancel`);
    assert.equal(c.status, 200);
    assert.equal(c.body.status, 'cancelled');
    assert.equal(c.body.running, false);
    assert.ok(c.body.segments.every((s: any) => s.status !== 'running' && s.status !== 'failed'));
    srv.faults.release();
    assert.equal((await api(srv.url, 'POST', `/api/jobs/${id}/resume`)).status, 202);
    const done = await waitForStatus(srv.url, id, ['done', 'failed']);
    assert.equal(done.status, 'done', done.error);
  });

  it('deletes a job with its records and files', async () => {
    const listed = (await api(srv.url, 'GET', '/api/jobs')).body.jobs;
    const upload = listed.find((j: any) => j.source.includes('/uploads/'));
    assert.ok(upload);
    const r = await api(srv.url, 'DELETE', `/api/jobs/${upload.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { deleted: upload.id });
    assert.equal((await api(srv.url, 'GET', `/api/jobs/${upload.id}`)).status, 404);
    assert.ok(!existsSync(join(srv.stateDir, 'uploads', upload.id)));
    assert.ok(!existsSync(join(srv.stateDir, 'outputs', upload.id)));
    assert.ok(!existsSync(join(srv.stateDir, 'jobs', upload.id)));
    assert.equal((await api(srv.url, 'DELETE', `/api/jobs/${upload.id}`)).status, 404);
  });
});
