/**
 * `shardcast watch`: a growing file waits until it stops growing, a finished one runs once, a restarted watcher
 * does not run it again, a broken file fails once and is left; a watcher stopped mid-job has its job resumed by
 * the next one. The watcher's state file is what `serve` lists.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cli, cliDetached } from '../support/cli.js';
import { ffprobeJson, makeClip, tempDir } from '../support/media.js';
import { exitOf, killAllGroups } from '../support/processes.js';
import { startReceiver } from '../support/webhook-receiver.js';

const tmp = tempDir('shardcast-watch-');
after(() => {
  killAllGroups();
  tmp.cleanup();
});

const inDir = join(tmp.dir, 'in');
const outDir = join(tmp.dir, 'out');
const config = join(tmp.dir, 'shardcast.config.yaml');
const clip = join(tmp.dir, 'clip.mp4');

before(() => {
  mkdirSync(inDir);
  mkdirSync(outDir);
  makeClip(clip, { seconds: 2, size: '320x180', rate: 25, gop: 25 });
  writeFileSync(
    config,
    [
      'version: 1',
      'templates:',
      '  tiny:',
      '    output: mp4',
      '    crf: 30',
      '    preset: veryfast',
      '    maxHeight: 120',
      '  tiny-mkv:',
      '    output: mkv',
      '    preset: ultrafast',
      '    maxHeight: 90',
      '  slow:',
      '    output: mp4',
      '    preset: veryslow',
      '',
    ].join('\n'),
  );
});

interface Watcher {
  child: ChildProcess;
  log: () => string;
}

function startWatch(stateDir: string, template = 'tiny'): Watcher {
  const child = cliDetached(
    [
      '--config',
      config,
      'watch',
      inDir,
      '--template',
      template,
      '--out',
      outDir,
      '--settle-seconds',
      '3',
      '--poll-seconds',
      '0.3',
      '--workers',
      '2',
    ],
    { stateDir },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, log: () => out };
}

async function until(what: string, ok: () => boolean, log: () => string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log:\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(w: Watcher): Promise<void> {
  w.child.kill('SIGINT');
  const { code } = await exitOf(w.child, 'the watcher', 60_000, w.log);
  assert.equal(code, 0, w.log()); // a daemon stopped as asked (like serve)
}

const jobsOf = (stateDir: string) =>
  JSON.parse(cli(['jobs', '--json'], { stateDir }).stdout) as Array<{ id: string; status: string; source: string }>;

test('a growing file waits, runs once, is not run again after a restart; a broken file fails once and is left', async () => {
  const stateDir = join(tmp.dir, 'state-a');
  const w = startWatch(stateDir);
  await until('the watcher to start', () => w.log().includes('watching'), w.log);

  // A file copied in slowly: the first half, then the rest in pieces a little faster than the settle time.
  const bytes = readFileSync(clip);
  const growing = join(inDir, 'growing.mp4');
  const half = Math.floor(bytes.length / 2);
  writeFileSync(growing, bytes.subarray(0, half));
  const step = Math.ceil((bytes.length - half) / 4);
  for (let at = half; at < bytes.length; at += step) {
    await new Promise((r) => setTimeout(r, 700));
    assert.ok(!w.log().includes('growing.mp4: job'), `a job started while the file grew:\n${w.log()}`);
    appendFileSync(growing, bytes.subarray(at, Math.min(bytes.length, at + step)));
  }
  const lastWrite = statSync(growing).mtimeMs;
  writeFileSync(join(inDir, 'broken.mp4'), 'this is not a video\n');
  writeFileSync(join(inDir, '.hidden.mp4'), 'partial');
  writeFileSync(join(inDir, 'upload.mp4.part'), 'partial');

  await until('both files to end', () => /growing\.mp4: done/.test(w.log()) && /broken\.mp4: failed/.test(w.log()), w.log);
  // Some polls more: nothing is started again.
  await new Promise((r) => setTimeout(r, 2000));
  await stop(w);

  const jobs = jobsOf(stateDir);
  assert.equal(jobs.length, 2, JSON.stringify(jobs));
  const good = jobs.find((j) => j.source.endsWith('growing.mp4'))!;
  const bad = jobs.find((j) => j.source.endsWith('broken.mp4'))!;
  assert.equal(good.status, 'done');
  assert.equal(bad.status, 'failed');
  const status = JSON.parse(cli(['status', good.id, '--json'], { stateDir }).stdout);
  assert.ok(status.createdAt > lastWrite, 'the job was made after the last write');
  // The output is the whole file, made with the template.
  const out = join(outDir, 'growing.mp4');
  const v = ffprobeJson(out, 'stream=height,nb_frames', ['-select_streams', 'v:0']).streams[0];
  assert.equal(Number(v.height), 120);
  assert.equal(Number(v.nb_frames), 50);
  assert.equal(status.template, 'tiny');
  assert.equal(existsSync(join(outDir, 'broken.mp4')), false, 'no partial output of the broken file');
  assert.equal(w.log().match(/broken\.mp4: job/g)?.length, 1, 'the broken file was tried once');
  assert.ok(!/\.hidden|upload\.mp4\.part/.test(w.log()), w.log());

  // A restart: both are found already run, nothing new.
  const w2 = startWatch(stateDir);
  await until(
    'the restarted watcher to pass over both',
    () => /growing\.mp4: job \w+ already done/.test(w2.log()) && /broken\.mp4: job \w+ already failed/.test(w2.log()),
    w2.log,
  );
  await stop(w2);
  assert.equal(jobsOf(stateDir).length, 2);

  // A new copy of the file (another name) is a new job.
  copyFileSync(clip, join(inDir, 'again.mp4'));
  const w3 = startWatch(stateDir);
  await until('the new file to be done', () => /again\.mp4: done/.test(w3.log()), w3.log);
  await stop(w3);
  assert.equal(jobsOf(stateDir).length, 3);

  // Another template over the same folder is another job of each file (its own outputs).
  const w4 = startWatch(stateDir, 'tiny-mkv');
  await until(
    'the second template to run every file',
    () => ['growing.mp4: done', 'again.mp4: done', 'broken.mp4: failed'].every((s) => w4.log().includes(s)),
    w4.log,
  );
  await stop(w4);
  assert.equal(jobsOf(stateDir).length, 6);
  assert.ok(!w4.log().includes('already'), w4.log());
  assert.equal(Number(ffprobeJson(join(outDir, 'growing.mkv'), 'stream=height', ['-select_streams', 'v:0']).streams[0].height), 90);
  assert.deepEqual(readdirSync(join(stateDir, 'watches')), [], 'a stopped watcher removes its state file');
});

test('a watcher stopped mid-job leaves it stopped; the next watcher resumes it', async () => {
  const stateDir = join(tmp.dir, 'state-b');
  const dir = join(tmp.dir, 'in-b');
  mkdirSync(dir);
  const long = join(dir, 'long.mp4');
  makeClip(long, { seconds: 6, size: '320x180', rate: 25, gop: 25 });
  // veryslow on one worker: the job outlasts the stop that follows its start.
  const args = (d: string) => [
    '--config',
    config,
    'watch',
    d,
    '--template',
    'slow',
    '--out',
    outDir,
    '--settle-seconds',
    '0.5',
    '--poll-seconds',
    '0.3',
    '--workers',
    '1',
  ];
  const w = { child: cliDetached(args(dir), { stateDir }), out: '' };
  w.child.stdout!.setEncoding('utf8').on('data', (d: string) => (w.out += d));
  const log = () => w.out;
  await until('the job to start', () => /long\.mp4: job/.test(log()), log);
  // The watcher's state file says what runs.
  await until(
    'the state file to name the running job',
    () => {
      const files = existsSync(join(stateDir, 'watches')) ? readdirSync(join(stateDir, 'watches')).filter((f) => f.endsWith('.json')) : [];
      return files.some((f) => JSON.parse(readFileSync(join(stateDir, 'watches', f), 'utf8')).running?.file === 'long.mp4');
    },
    log,
  );
  w.child.kill('SIGINT');
  await exitOf(w.child, 'the watcher', 60_000, log);
  const [job] = jobsOf(stateDir);
  assert.notEqual(job!.status, 'done', `the job ended before the stop:\n${log()}`);

  const w2 = { child: cliDetached(args(dir), { stateDir }), out: '' };
  w2.child.stdout!.setEncoding('utf8').on('data', (d: string) => (w2.out += d));
  const log2 = () => w2.out;
  await until('the job to be resumed and done', () => /resuming job/.test(log2()) && /long\.mp4: done/.test(log2()), log2);
  w2.child.kill('SIGINT');
  await exitOf(w2.child, 'the watcher', 60_000, log2);
  const jobs = jobsOf(stateDir);
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.status, 'done');
});

test('watch refuses a missing template, folder or --out in one line', () => {
  const stateDir = join(tmp.dir, 'state-c');
  const r1 = cli(['--config', config, 'watch', inDir, '--template', 'nope', '--out', outDir], { stateDir });
  assert.equal(r1.status, 2);
  assert.match(r1.stderr, /no template "nope".*tiny/);
  const r2 = cli(['--config', config, 'watch', join(tmp.dir, 'missing'), '--template', 'tiny', '--out', outDir], { stateDir });
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /no such folder/);
  const r3 = cli(['--config', config, 'watch', inDir, '--template', 'tiny'], { stateDir });
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /--out DIR/);
  for (const r of [r1, r2, r3]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test("a watcher's jobs tell their webhooks; without the signing secret it does not start", async () => {
  const stateDir = join(tmp.dir, 'state-d');
  const dir = join(tmp.dir, 'in-d');
  mkdirSync(dir);
  const secret = 'watch-test-secret';
  const receiver = await startReceiver(secret);
  try {
    const args = [
      '--config',
      config,
      'watch',
      dir,
      '--template',
      'tiny',
      '--out',
      outDir,
      '--settle-seconds',
      '0.5',
      '--poll-seconds',
      '0.3',
    ];
    const refused = cli([...args, '--notify', receiver.url], { stateDir, env: { SHARDCAST_WEBHOOK_SECRET: '' } });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /SHARDCAST_WEBHOOK_SECRET, which is not set/);
    const w = { child: cliDetached([...args, '--notify', receiver.url], { stateDir, env: { SHARDCAST_WEBHOOK_SECRET: secret } }), out: '' };
    w.child.stdout!.setEncoding('utf8').on('data', (d: string) => (w.out += d));
    copyFileSync(clip, join(dir, 'hooked.mp4'));
    const got = await receiver.waitFor(2, 120_000);
    w.child.kill('SIGINT');
    await exitOf(w.child, 'the watcher', 60_000, () => w.out);
    assert.deepEqual(
      got.map((r) => r.body.type),
      ['job.started', 'job.done'],
    );
    assert.ok(got.every((r) => r.signed));
    assert.match(String(got[1]!.body.data.output), /hooked\.mp4$/);
  } finally {
    await receiver.close();
  }
});
