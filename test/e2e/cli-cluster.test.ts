/**
 * The cluster home: a redis-server of the test's own, `shardcast worker` processes, `--backend cluster` from the
 * CLI. The output equals the local backend's byte for byte (same segment threads), also after a worker killed
 * with `kill -9` mid-task, a worker frozen past its lock (its late result refused, the ledger unchanged), a
 * coordinator killed mid-job and resumed, Redis restarted empty, and with an S3-compatible store (s3rver), also
 * when a proxy damages a segment's upload (refused, encoded again); a task that always fails fails the job, and
 * `retry` re-runs only it. (A `--target-quality` job: cli-cluster-target.test.ts.)
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { cli, cliAsync, cliDetached, sha256Of, sleep, undisturbedSha } from '../support/cli.js';
import { startRedis, startWorker, type RedisProcess, type WorkerProcess } from '../support/cluster.js';
import { ffmpeg, frameHashes, makeClip, tempDir } from '../support/media.js';
import { startCorruptingProxy } from '../support/corrupting-proxy.js';
import { transcodeLossless } from '../support/frame-exact.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../support/s3rver-process.js';
import { childPids, exitOf, isAlive } from '../support/processes.js';

const OPTS = ['--preset', 'veryfast', '--segment-seconds', '2', '--workers', '2', '--no-progress'];
/** What every node (workers and coordinator) needs to reach s3rver. */
const S3_ENV = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
  NODE_OPTIONS: '--openssl-legacy-provider',
};

describe('CLI: --backend cluster (BullMQ workers over Redis)', () => {
  const t = tempDir('shardcast-cluster-');
  const state = join(t.dir, 'state');
  let redis: RedisProcess;
  let clip: string;
  let reference: string;
  const workers: WorkerProcess[] = [];
  let storeN = 0;
  const newStore = () => {
    const d = join(t.dir, `store${++storeN}`);
    mkdirSync(d);
    return d;
  };
  const spawnWorkers = async (n: number, store: string, extra: Partial<Parameters<typeof startWorker>[0]> = {}) => {
    const ws = await Promise.all(Array.from({ length: n }, () => startWorker({ redis: redis.url, store, ...extra })));
    workers.push(...ws);
    return ws;
  };
  const stopAll = async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
  };
  const clusterArgs = (store: string) => ['--backend', 'cluster', '--redis', redis.url, '--store', store];
  const status = (id: string) => {
    const r = cli(['status', id, '--json', '--backend', 'cluster'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    redis = await startRedis();
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 12, size: '640x360', gop: 30 });
    reference = undisturbedSha(clip, join(t.dir, 'reference.mp4'), OPTS, join(t.dir, 'local-state'));
  });
  afterEach(stopAll);
  after(async () => {
    await stopAll();
    await redis?.stop();
    t.cleanup();
  });

  it('two workers make the same bytes as the local backend; status, jobs, doctor; the flow leaves Redis', async () => {
    const store = newStore();
    await spawnWorkers(2, store);
    const out = join(t.dir, 'out.mp4');
    const r = cli(['transcode', clip, out, ...OPTS, ...clusterArgs(store), '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.status, 'done');
    assert.equal(sha256Of(out), reference, 'byte-identical to the local backend');
    const workerIds = new Set((view.segments as any[]).map((s) => s.worker));
    assert.equal(workerIds.size, 2, `both workers encoded: ${[...workerIds].join(', ')}`);
    const jobs = cli(['jobs', '--json', '--backend', 'cluster'], { stateDir: state });
    assert.ok((JSON.parse(jobs.stdout) as any[]).some((j) => j.id === view.id));
    const st = status(view.id);
    assert.ok(st.events.some((e: any) => e.type === 'cluster.home'));
    assert.ok(st.events.filter((e: any) => e.type === 'task.done').length === st.segments.length, 'a task.done event per task');
    const doctor = cli(['doctor', '--backend', 'cluster', '--redis', redis.url, '--store', store, '--json'], { stateDir: state });
    assert.equal(doctor.status, 0, doctor.stdout + doctor.stderr);
    const d = JSON.parse(doctor.stdout);
    assert.equal(d.ok, true);
    assert.equal(d.workers.length, 2);
    for (const w of d.workers) assert.match(w.ffmpeg, /\d/);
    const keys = await redisKeys(redis.url, `bull:shardcast-*:${view.id}*`);
    assert.deepEqual(keys, [], 'the flow was removed once the ledger held the outcome');
    // A worker mounting another folder at the store's path is found by doctor.
    const other = newStore();
    await spawnWorkers(1, other);
    const bad = cli(['doctor', '--backend', 'cluster', '--redis', redis.url, '--store', store], { stateDir: state });
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stdout, /PROBLEM: worker .* uses the store/);
    await stopAll();
  });

  it('kill -9 of a worker mid-task: its ffmpeg dies, the task goes back to the queue, another worker encodes it', async (tc) => {
    const store = newStore();
    const [a, b] = await spawnWorkers(2, store);
    const out = join(t.dir, 'killed-worker.mp4');
    const run = cliDetached(['transcode', clip, out, ...OPTS, ...clusterArgs(store), '--json'], { stateDir: state });
    const result = collect(run);
    await a!.waitFor(/(\S+\/v\d+): encoding/, 60_000);
    const key = /(\S+\/v\d+): encoding/.exec(a!.log())![1]!;
    let ffmpegs: number[] = [];
    for (let i = 0; i < 100 && !ffmpegs.length; i++) {
      ffmpegs = childPids(a!.pid);
      if (!ffmpegs.length) await sleep(20);
    }
    assert.ok(ffmpegs.length > 0, 'the worker runs its ffmpeg');
    a!.child.kill('SIGKILL');
    const killedAt = Date.now();
    await a!.exited;
    // The kernel's parent-death signal, not the next write to a closed pipe: at once, whatever the load.
    await waitUntil(
      () => ffmpegs.filter(isAlive).length === 0,
      1000,
      () => `the killed worker's ffmpeg died with it: ${ffmpegs.filter(isAlive).join(', ')} alive`,
    );
    tc.diagnostic(`the killed worker's ffmpeg was gone ${Date.now() - killedAt} ms after the kill`);
    const { code, stdout } = await result;
    assert.equal(code, 0, stdout);
    const view = JSON.parse(stdout);
    assert.equal(sha256Of(out), reference, 'the same output as with no fault');
    const seg = (view.segments as any[]).find((s) => s.key === key);
    assert.ok(seg.worker.includes(`:${b!.pid}/`), `${key} was finished by the other worker (${seg.worker})`);
    const events = status(view.id).events as any[];
    assert.ok(
      events.some((e) => (e.type === 'task.stalled' || e.type === 'task.requeued') && e.data?.key === key),
      events.map((e) => e.type).join(' '),
    );
    await stopAll();
  });

  it('a worker frozen (kill -STOP) past its lock: another encodes its task; after -CONT its late result is refused, the ledger unchanged by it', async () => {
    const store = newStore();
    const [a] = await spawnWorkers(2, store);
    const out = join(t.dir, 'frozen.mp4');
    const run = cliDetached(['transcode', clip, out, ...OPTS, ...clusterArgs(store), '--json'], { stateDir: state });
    let stderr = '';
    run.stderr!.on('data', (d) => (stderr += d));
    const result = collect(run);
    await a!.waitFor(/(\S+\/v\d+): encoding/, 60_000);
    const key = /(\S+\/v\d+): encoding/.exec(a!.log())![1]!;
    await waitUntil(() => childPids(a!.pid).length > 0, 5000, 'the worker runs its ffmpeg');
    // Frozen with its ffmpeg running: the encode ends while the worker cannot renew its lock or report.
    a!.child.kill('SIGSTOP');
    const jobId = /job ([a-z0-9]+):/.exec(stderr)?.[1] ?? /^(\w+)\//.exec(key)![1]!;
    await waitUntil(
      () => (status(jobId).events as any[]).some((e) => e.type === 'task.stalled' && e.data?.key === key),
      30_000,
      `${key} back on the queue`,
    );
    a!.child.kill('SIGCONT');
    // Thawed, the frozen attempt either ends (its ffmpeg ran on) and BullMQ refuses its result, or is stopped
    // first by its failed lock renewal: either way it never reaches the ledger.
    const child = `${jobId}-${key.split('/')[1]}`;
    const ending = new RegExp(`${key}: encoding[\\s\\S]*?${key}: (done|stopped, its lock was lost)`);
    await a!.waitFor(ending, 30_000);
    const lateResult = ending.exec(a!.log())![1] === 'done';
    if (lateResult) await a!.waitFor(new RegExp(`(Lock mismatch|Missing lock) for job ${child}\\. Cmd moveToFinished`), 30_000);
    const { code, stdout } = await result;
    assert.equal(code, 0, stdout);
    const view = JSON.parse(stdout);
    const seg = (view.segments as any[]).find((s) => s.key === key);
    const events = status(view.id).events as any[];
    const stalledAt = events.find((e) => e.type === 'task.stalled' && e.data?.key === key).at;
    // The attempt recorded is one started after the frozen one lost its lock (by either worker: the thawed one
    // may take the task again as a new attempt), never the frozen attempt's own late result.
    assert.ok(seg.attempts >= 2, `attempts ${seg.attempts}`);
    assert.ok(seg.startedAt >= stalledAt, 'the recorded attempt started after the frozen one lost its lock');
    assert.equal(events.filter((e) => e.type === 'task.done' && e.data?.key === key).length, 1, 'recorded done once');
    assert.equal(sha256Of(out), reference);
    // Nothing the frozen worker does later changes the record.
    const before = (status(view.id).segments as any[]).find((s) => s.key === key);
    await sleep(1500);
    const now = (status(view.id).segments as any[]).find((s) => s.key === key);
    assert.deepEqual(now, before);
  });

  it('SIGTERM drains: a worker finishes its task and exits 0; with --drain-seconds 0 it hands its task back (no attempt counted)', async () => {
    const store = newStore();
    const [finisher] = await spawnWorkers(1, store, { args: ['--drain-seconds', '60'] });
    const [handsBack] = await spawnWorkers(1, store, { args: ['--drain-seconds', '0'] });
    const out = join(t.dir, 'drained.mp4');
    const run = cliDetached(['transcode', clip, out, ...OPTS, ...clusterArgs(store), '--json'], { stateDir: state });
    const result = collect(run);
    const keyOf = async (w: WorkerProcess) => {
      await w.waitFor(/(\S+\/v\d+): encoding/, 60_000);
      await waitUntil(() => childPids(w.pid).length > 0, 5000, 'its ffmpeg runs');
      return [...w.log().matchAll(/(\S+\/v\d+): encoding/g)].pop()![1]!;
    };
    const [kept, returned] = [await keyOf(finisher!), await keyOf(handsBack!)];
    finisher!.child.kill('SIGTERM');
    handsBack!.child.kill('SIGTERM');
    assert.equal(await handsBack!.exited, 0, handsBack!.log());
    assert.equal(await finisher!.exited, 0, finisher!.log());
    assert.match(finisher!.log(), new RegExp(`${kept}: done`));
    assert.match(handsBack!.log(), new RegExp(`${returned}: stopped, handed back`));
    await spawnWorkers(1, store);
    const { code, stdout } = await result;
    assert.equal(code, 0, stdout);
    const view = JSON.parse(stdout);
    const seg = (key: string) => (view.segments as any[]).find((s) => s.key === key);
    assert.ok(seg(kept).worker.includes(`:${finisher!.pid}/`), 'finished by the draining worker');
    assert.equal(seg(kept).attempts, 1);
    assert.ok(!seg(returned).worker.includes(`:${handsBack!.pid}/`), 'encoded by another worker');
    assert.equal(seg(returned).attempts, 1, 'a handed-back task is not a failed attempt');
    assert.ok((status(view.id).events as any[]).some((e) => e.type === 'task.handed-back' && e.data?.key === returned));
    assert.equal(sha256Of(out), reference);
  });

  it('a task that always fails fails the job; retry on healthy workers re-runs only it', async () => {
    const store = newStore();
    // A node whose ffmpeg fails on segment 1 (a broken build, a bad disk): every other task works.
    const fake = join(t.dir, 'ffmpeg-fails-v00001');
    writeFileSync(fake, '#!/bin/sh\ncase "$*" in *v00001*) echo "injected fault on this node" >&2; exit 1;; esac\nexec ffmpeg "$@"\n');
    chmodSync(fake, 0o755);
    await spawnWorkers(2, store, { env: { FFMPEG_PATH: fake } });
    const out = join(t.dir, 'failing.mp4');
    const r = cli(['transcode', clip, out, ...OPTS, ...clusterArgs(store), '--max-attempts', '2', '--json'], { stateDir: state });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /segment 1\b.*injected fault/);
    assert.equal(existsSync(out), false);
    const failed = JSON.parse(r.stdout);
    const seg1 = (failed.segments as any[]).find((s) => s.index === 1);
    assert.equal(seg1.status, 'failed');
    assert.equal(seg1.attempts, 2, "the job's --max-attempts");
    const doneBefore = new Map((failed.segments as any[]).filter((s) => s.status === 'done').map((s) => [s.key, s.finishedAt]));
    assert.equal(doneBefore.size, failed.segments.length - 1);
    await stopAll();
    await spawnWorkers(2, store);
    const retry = cli(['retry', failed.id, '--backend', 'cluster', '--json'], { stateDir: state });
    assert.equal(retry.status, 0, retry.stderr);
    const view = JSON.parse(retry.stdout);
    for (const s of view.segments as any[])
      if (doneBefore.has(s.key)) assert.equal(s.finishedAt, doneBefore.get(s.key), `${s.key} not redone`);
    assert.equal(sha256Of(out), reference);
    await stopAll();
  });

  it('the coordinator killed mid-job and resumed: what the workers finished meanwhile is taken up, nothing encoded twice', async () => {
    const store = newStore();
    // A lock long enough that no task is taken back from a live worker on a loaded machine: every encode counted
    // below is the coordinator's doing.
    const ws = await spawnWorkers(2, store, { lockSeconds: 10 });
    const out = join(t.dir, 'coordinator.mp4');
    const run = cliDetached(['transcode', clip, out, ...OPTS, ...clusterArgs(store)], { stateDir: state });
    let stderr = '';
    run.stderr!.on('data', (d) => (stderr += d));
    await ws[0]!.waitFor(/\/v\d+: done/, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\nthe coordinator's stderr:\n${stderr}\nthe other worker's log:\n${ws[1]!.log()}`);
    });
    const jobId = /job ([a-z0-9]+):/.exec(stderr)![1]!;
    process.kill(-run.pid!, 'SIGKILL');
    await sleep(3000);
    // Not spawnSync: this process must go on reading the workers' logs while the resume runs.
    const r = await cliAsync(['resume', jobId, '--backend', 'cluster', '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.status, 'done');
    assert.equal(sha256Of(out), reference);
    // Each task's log lines, by its key. A worker's last lines can still be in its pipe when the resume returns
    // (counting them then read 6 encodes for 7 tasks): wait until every task's "done" is read.
    const keys = (view.segments as any[]).map((seg) => seg.key as string);
    const logs = () => ws.map((w) => w.log()).join('\n');
    const lines = (key: string, what: string) =>
      logs()
        .split('\n')
        .filter((l) => l.includes(` ${key}: ${what}`)).length;
    await waitUntil(
      () => keys.every((k) => lines(k, 'done') > 0),
      10_000,
      () => `every task's "done" in the workers' logs:\n${logs()}`,
    );
    assert.deepEqual(
      keys.filter((k) => lines(k, 'encoding') !== 1),
      [],
      `each task (segments and audio) encoded once:\n${logs()}`,
    );
    await stopAll();
  });

  it('Redis restarted empty mid-job: the coordinator queues the lost tasks again and the job ends with the same bytes', async () => {
    const store = newStore();
    const ws = await spawnWorkers(1, store);
    const out = join(t.dir, 'redis-restart.mp4');
    const run = cliDetached(['transcode', clip, out, ...OPTS, ...clusterArgs(store), '--json'], { stateDir: state });
    const result = collect(run);
    await ws[0]!.waitFor(/\/v\d+: done/, 60_000);
    await redis.restart();
    const { code, stdout } = await result;
    assert.equal(code, 0, stdout);
    const view = JSON.parse(stdout);
    assert.equal(sha256Of(out), reference);
    const events = status(view.id).events as any[];
    assert.ok(
      events.some((e) => e.type === 'task.lost'),
      events.map((e) => `${e.type}: ${e.message}`).join('\n'),
    );
  });

  /** A coordinator whose tasks wait on the queue of a Redis of its own (no worker yet), and the job's id. */
  const waitingCoordinator = async (own: RedisProcess, store: string, out: string, extra: string[] = []) => {
    const run = cliDetached(['transcode', clip, out, ...OPTS, '--backend', 'cluster', '--redis', own.url, '--store', store, ...extra], {
      stateDir: state,
    });
    let stderr = '';
    run.stderr!.on('data', (d) => (stderr += d));
    const result = collect(run);
    let jobId: string | undefined;
    await waitUntil(
      () => {
        jobId ??= /job ([a-z0-9]+):/.exec(stderr)?.[1];
        return jobId !== undefined && (status(jobId).events as any[]).some((e) => e.type === 'cluster.queued');
      },
      60_000,
      () => `the coordinator queued its tasks; its stderr: ${stderr}`,
    );
    return { run, result, jobId: jobId! };
  };

  /** Redis back (empty), a worker, `resume`: the job ends with the reference's bytes. */
  const resumesOnRedisBack = async (own: RedisProcess, store: string, jobId: string, out: string) => {
    await own.start();
    await spawnWorkers(1, store, { redis: own.url });
    const r = cli(['resume', jobId, '--backend', 'cluster', '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(sha256Of(out), reference);
  };

  it('Redis gone under a waiting coordinator: SIGTERM stops it within 10 s (exit 143, one line), and the job resumes', async (tc) => {
    const own = await startRedis();
    try {
      const store = newStore();
      const out = join(t.dir, 'sigterm-redis-gone.mp4');
      const { run, result, jobId } = await waitingCoordinator(own, store, out);
      await own.kill();
      await sleep(1000);
      const sent = Date.now();
      run.kill('SIGTERM');
      const { code, stderr } = await result;
      const took = Date.now() - sent;
      tc.diagnostic(`the coordinator exited ${took} ms after SIGTERM`);
      assert.ok(took < 10_000, `stopped ${took} ms after SIGTERM`);
      assert.equal(code, 143, stderr);
      const lines = stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('shardcast:'));
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, /interrupted: .*shardcast resume /);
      assert.equal(status(jobId).status, 'cancelled');
      await resumesOnRedisBack(own, store, jobId, out);
    } finally {
      await stopAll();
      await own.stop();
    }
  });

  it('Redis gone for good: the coordinator gives up by itself after --redis-wait-seconds (one line, exit 1), and the job resumes', async (tc) => {
    const own = await startRedis();
    try {
      const store = newStore();
      const out = join(t.dir, 'redis-gone.mp4');
      const { result, jobId } = await waitingCoordinator(own, store, out, ['--redis-wait-seconds', '3']);
      const killed = Date.now();
      await own.kill();
      const { code, stderr } = await result;
      const took = Date.now() - killed;
      tc.diagnostic(`the coordinator gave up ${took} ms after Redis was killed (--redis-wait-seconds 3)`);
      assert.ok(took >= 3000 && took < 13_000, `gave up ${took} ms after Redis went away`);
      assert.equal(code, 1, stderr);
      assert.equal(
        stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('shardcast:')).length,
        1,
        stderr,
      );
      assert.match(
        stderr,
        /Redis at redis:\/\/127\.0\.0\.1:\d+ has not answered for \d+ s.*run `shardcast resume \w+ --backend cluster` once it is back/,
      );
      assert.equal(existsSync(out), false, 'no partial output');
      assert.equal(status(jobId).status, 'failed');
      await resumesOnRedisBack(own, store, jobId, out);
    } finally {
      await stopAll();
      await own.stop();
    }
  });

  it("a source whose keyframes cannot be trusted (intra-refresh MP4): frame-exact; a worker that found it reads the job's next segments by pre-roll", async () => {
    const store = newStore();
    await spawnWorkers(1, store);
    const src = join(t.dir, 'ir.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=30:duration=8',
      '-c:v',
      'libx264',
      '-preset',
      'fast',
      '-x264-params',
      'keyint=60:intra-refresh=1',
      src,
    ]);
    const out = join(t.dir, 'ir.mkv');
    const job = transcodeLossless(src, out, '1', state, ['--workers', '2', '--audio-codec', 'none', ...clusterArgs(store)]);
    assert.equal(job.cutting.method, 'preroll');
    assert.deepEqual(frameHashes(out), frameHashes(src), "every frame as the source's");
    const rereads = (status(job.id).events as any[]).filter((e) => e.type === 'job.cutting' && /read again by pre-roll/.test(e.message));
    assert.equal(rereads.length, 1, `one worker finds it once: ${rereads.map((e) => e.message).join('; ')}`);
  });

  it('an S3-compatible store (s3rver): workers and coordinator share segments through the bucket', async () => {
    const s3 = await startS3rver(['media'], { directory: join(t.dir, 's3') });
    try {
      const store = 's3://media/cluster';
      await spawnWorkers(2, store, { s3Endpoint: s3.endpoint, env: S3_ENV });
      const out = join(t.dir, 's3.mp4');
      const r = cli(
        ['transcode', clip, out, ...OPTS, '--backend', 'cluster', '--redis', redis.url, '--store', store, '--s3-endpoint', s3.endpoint],
        { stateDir: state, env: S3_ENV },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(sha256Of(out), reference);
    } finally {
      await stopAll();
      await s3.stop();
    }
  });

  it('a segment damaged on its way to the S3 store is refused and encoded again: the bytes are the same', async () => {
    const s3 = await startS3rver(['media'], { directory: join(t.dir, 's3-damage') });
    // Between every node and the store: the first upload of a video segment's attempt gets one byte flipped.
    const proxy = await startCorruptingProxy(s3.endpoint, { match: /\/attempts\/v\d+\./ });
    try {
      const store = 's3://media/damaged';
      await spawnWorkers(2, store, { s3Endpoint: proxy.endpoint, env: S3_ENV });
      const out = join(t.dir, 's3-damaged.mp4');
      const r = await cliAsync(
        [
          'transcode',
          clip,
          out,
          ...OPTS,
          '--backend',
          'cluster',
          '--redis',
          redis.url,
          '--store',
          store,
          '--s3-endpoint',
          proxy.endpoint,
          '--json',
        ],
        { stateDir: state, env: S3_ENV },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(proxy.damaged.length, 1, 'one upload was damaged');
      assert.equal(sha256Of(out), reference, 'the damaged segment was not merged');
      const st = status(JSON.parse(r.stdout).id);
      const lost = (st.events as any[]).filter((e) => e.type === 'task.lost');
      assert.equal(lost.length, 1, (st.events as any[]).map((e) => `${e.type}: ${e.message}`).join('\n'));
      assert.match(lost[0].message, /the store holds other bytes than .* wrote/);
      const seg = (st.segments as any[]).find((x) => proxy.damaged[0]!.includes(`${String(x.key).replace('/', '/attempts/')}.`));
      assert.ok(seg, `the damaged attempt names a segment: ${proxy.damaged[0]}`);
      assert.equal(seg.status, 'done');
    } finally {
      await stopAll();
      await proxy.stop();
      await s3.stop();
    }
  });

  it('bad input: no Redis, an unreachable Redis, a relative store: one line, exit 2, no job', () => {
    const store = newStore();
    const cases: Array<[string[], RegExp]> = [
      [['--backend', 'cluster', '--store', store], /needs --redis/],
      [['--backend', 'cluster', '--redis', 'redis://127.0.0.1:1', '--store', store], /cannot use Redis at redis:\/\/127\.0\.0\.1:1/],
      [['--backend', 'cluster', '--redis', redis.url, '--store', 'relative/dir'], /--store must be an absolute path/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(['transcode', clip, join(t.dir, 'never.mp4'), ...OPTS, ...args], {
        stateDir: join(t.dir, 'bad-state'),
        env: { SHARDCAST_REDIS_URL: '' },
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const w = cli(['worker', '--redis', 'redis://127.0.0.1:1', '--store', store], { stateDir: state, timeoutMs: 20_000 });
    assert.equal(w.status, 2, w.stderr);
    assert.match(w.stderr, /cannot use Redis/);
  });
});

async function waitUntil(ok: () => boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${typeof what === 'string' ? what : what()}`);
    await sleep(100);
  }
}

/** The coordinator's exit and output; fails (and kills it) when it has not exited in 240 s. */
function collect(child: import('node:child_process').ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return exitOf(child, 'the coordinator (shardcast transcode --backend cluster)', 240_000, () => stderr).then(({ code }) => ({
    code,
    stdout: stdout || stderr,
    stderr,
  }));
}

async function redisKeys(url: string, pattern: string): Promise<string[]> {
  const { Redis } = await import('ioredis');
  const c = new Redis(url);
  try {
    return await c.keys(pattern);
  } finally {
    c.disconnect();
  }
}
