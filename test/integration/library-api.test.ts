/**
 * `import { transcode } from 'shardcast'` over the homes: with a template, waiting or not (a handle once the job
 * exists), typed events in order (created, the job's history, progress, done), a stop that leaves the job
 * resumable, a bad request refused before any job; and the same call on the emulated AWS home.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError, UsageError } from '../../src/core/errors.js';
import { jobs, resume, status, transcode, type TranscodeEvent } from '../../src/index.js';
import { readTemplateCatalog } from '../../src/runtime/template-files.js';
import { ffprobeJson, makeClip, tempDir } from '../support/media.js';
import { killAllGroups } from '../support/processes.js';

const tmp = tempDir('shardcast-library-');
let clip: string;
let config: string;
after(() => {
  killAllGroups();
  tmp.cleanup();
});
before(() => {
  clip = makeClip(join(tmp.dir, 'clip.mp4'), { seconds: 2, size: '320x180', rate: 25, gop: 25 });
  config = join(tmp.dir, 'shardcast.config.yaml');
  writeFileSync(
    config,
    'version: 1\ntemplates:\n  tiny:\n    output: mp4\n    preset: ultrafast\n    maxHeight: 90\n    segmentSeconds: 1\n',
  );
});

test('transcode with a template waits for the job and tells typed events in order', async () => {
  const stateDir = join(tmp.dir, 'state-wait');
  const events: TranscodeEvent[] = [];
  const view = await transcode(clip, join(tmp.dir, 'a.mp4'), {
    stateDir,
    templates: await readTemplateCatalog(config),
    template: 'tiny',
    workers: 2,
    onEvent: (e) => events.push(e),
    pollMs: 50,
  });
  assert.equal(view.status, 'done');
  assert.equal(view.template, 'tiny');
  assert.equal(view.profile.maxHeight, 90);
  assert.equal(Number(ffprobeJson(join(tmp.dir, 'a.mp4'), 'stream=height', ['-select_streams', 'v:0']).streams[0].height), 90);
  assert.equal(events[0]!.type, 'created');
  assert.equal(events.at(-1)!.type, 'done');
  const history = events.flatMap((e) => (e.type === 'history' ? [e.event.type] : []));
  assert.equal(history[0], 'job.created');
  for (const t of ['job.planned', 'task.done', 'job.done']) assert.ok(history.includes(t), `${t} in ${history.join(', ')}`);
  const seqs = events.flatMap((e) => (e.type === 'history' ? [e.event.seq] : []));
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
    'history in order, each once',
  );
  assert.equal(new Set(seqs).size, seqs.length);
  const progress = events.flatMap((e) => (e.type === 'progress' ? [e] : []));
  assert.ok(progress.length >= 2, 'progress was told');
  const done = progress.map((p) => p.segmentsDone);
  assert.deepEqual(
    done,
    [...done].sort((a, b) => a - b),
    'segments done only grow',
  );
  assert.equal(progress.at(-1)!.segmentsDone, progress.at(-1)!.segmentsTotal);
});

test('wait: false resolves with a handle once the job exists; stop leaves it resumable', async () => {
  const stateDir = join(tmp.dir, 'state-handle');
  const longer = makeClip(join(tmp.dir, 'longer.mp4'), { seconds: 6, size: '320x180', rate: 25, gop: 25 });
  let firstProgress: () => void = () => undefined;
  const progressed = new Promise<void>((r) => (firstProgress = r));
  const handle = await transcode(longer, join(tmp.dir, 'b.mp4'), {
    stateDir,
    preset: 'veryslow',
    workers: 1,
    segmentSeconds: 1,
    wait: false,
    onEvent: (e) => {
      if (e.type === 'history' && e.event.type === 'task.started') firstProgress();
    },
    pollMs: 50,
  });
  assert.match(handle.id, /^[a-z0-9]{6,32}$/);
  const [listed] = await jobs({ stateDir });
  assert.equal(listed!.id, handle.id, 'the job exists when the handle is given');
  assert.notEqual((await status(handle.id, { stateDir })).status, 'done');
  await progressed;
  await handle.stop();
  await assert.rejects(handle.done, CancelledError);
  assert.equal((await status(handle.id, { stateDir })).status, 'cancelled');
  const resumed = await resume(handle.id, { stateDir });
  assert.equal(resumed.status, 'done');
  assert.ok(existsSync(join(tmp.dir, 'b.mp4')));
});

test('a bad request is refused before any job, waiting or not', async () => {
  const stateDir = join(tmp.dir, 'state-bad');
  await assert.rejects(
    transcode(clip, join(tmp.dir, 'c.mp4'), { stateDir, crf: 99 }),
    (e: unknown) => e instanceof UsageError && /--crf/.test(e.message),
  );
  await assert.rejects(
    transcode(clip, join(tmp.dir, 'c.mkv'), { stateDir, template: 'web-720p', wait: false }),
    /template web-720p makes a \.mp4 file/,
  );
  assert.deepEqual(await jobs({ stateDir }), []);
});

test('the same call on the emulated AWS home', { timeout: 240_000 }, async () => {
  const stateDir = join(tmp.dir, 'state-aws');
  const events: string[] = [];
  const view = await transcode(clip, join(tmp.dir, 'd.mp4'), {
    home: 'aws-emulated',
    stateDir,
    templates: await readTemplateCatalog(config),
    template: 'tiny',
    onEvent: (e) => events.push(e.type === 'history' ? e.event.type : e.type),
  });
  assert.equal(view.status, 'done');
  assert.equal(view.backend, 'aws-emulated');
  assert.equal(view.template, 'tiny');
  assert.equal(Number(ffprobeJson(join(tmp.dir, 'd.mp4'), 'stream=height', ['-select_streams', 'v:0']).streams[0].height), 90);
  assert.equal(events[0], 'created');
  assert.ok(events.includes('job.planned'), events.join(', '));
  assert.equal(events.at(-1), 'done');
});
