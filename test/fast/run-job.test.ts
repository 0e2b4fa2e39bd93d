/**
 * runJob, resumeJob and retryJob (app/run-job.ts) and their one failure path, over the fast tier's world: an
 * in-memory ledger and recorded ffmpeg runs (test/fast/support.ts). Faults are injected by task, through the
 * executor, never by file name.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resumeJob, retryJob, runJob } from '../../src/app/run-job.js';
import { encodeStep } from '../../src/app/run-steps.js';
import { claimTask, failAttempt } from '../../src/app/transitions.js';
import { CancelledError, HomeUnreachableError, InputError, JobFailedError } from '../../src/core/errors.js';
import type { Executor } from '../../src/ports/executor.js';
import type { TaskId } from '../../src/ports/ledger.js';
import { openFastWorld, type FastWorld } from './support.js';

let w: FastWorld;
before(() => {
  w = openFastWorld('run-job');
});
after(async () => {
  await w.close();
});

const types = async (id: string) => (await w.deps.ledger.listEvents(id)).map((e) => e.type);
/** How many times each task key was started, from the events. */
async function startsByKey(id: string): Promise<Map<string, number>> {
  const n = new Map<string, number>();
  for (const e of await w.deps.ledger.listEvents(id)) {
    if (e.type !== 'task.started') continue;
    const key = String(e.data?.key);
    n.set(key, (n.get(key) ?? 0) + 1);
  }
  return n;
}

/** Runs the first `n` tasks, then stops the run as a user's Ctrl-C would. */
function stopAfter(n: number, stop: AbortController): Executor {
  return {
    async run(_jobId, tasks) {
      for (const t of tasks.slice(0, n)) await encodeStep(w.deps, t);
      stop.abort();
      return { failed: [] };
    },
  };
}

/** Fails `bad` once with an ffmpeg-like error (a recorded attempt), encodes the rest. */
function failing(bad: (t: TaskId) => boolean): Executor {
  return {
    async run(_jobId, tasks) {
      const failed: TaskId[] = [];
      for (const t of tasks) {
        if (!bad(t)) {
          await encodeStep(w.deps, t);
          continue;
        }
        const cur = (await w.deps.ledger.getTask(t))!;
        await claimTask(w.deps.ledger, cur, { attempts: cur.attempts + 1, worker: w.deps.workerId, startedAt: Date.now() });
        await failAttempt(w.deps.ledger, t, { error: 'ffmpeg exited with 1: injected', finishedAt: Date.now() }, cur.attempts + 1);
        failed.push(t);
      }
      return { failed };
    },
  };
}

describe('runJob, resume and retry (fast tier)', () => {
  it('runs a new job to done: every task once, the output committed, the temp files gone', async () => {
    const { id, output } = await w.newJob('fa0000000001');
    const job = await runJob(w.deps, w.pool(), id);
    assert.equal(job.status, 'done');
    assert.equal(statSync(output).size, job.result!.sizeBytes);
    const tasks = await w.deps.ledger.listTasks(id);
    assert.deepEqual(
      tasks.map((t) => [t.kind, t.status, t.attempts]),
      [
        ['video', 'done', 1],
        ['video', 'done', 1],
        ['video', 'done', 1],
        ['audio', 'done', 1],
      ],
    );
    const ev = await types(id);
    assert.equal(ev[0], 'job.created');
    assert.equal(ev.at(-1), 'job.done');
    assert.equal(ev.filter((t) => t === 'task.done').length, 4);
    assert.ok(ev.indexOf('job.analyzing') < ev.indexOf('task.started') && ev.indexOf('job.merging') > ev.lastIndexOf('task.done'));
    assert.equal(existsSync(join(w.root, 'jobs', id)), false, 'the job folder is removed');
    assert.ok(job.timings.totalMs! >= job.timings.encodeMs!);
  });

  it('a stopped job is cancelled with the resume command; resume encodes only what was not done', async () => {
    const { id } = await w.newJob('fa0000000002');
    const stop = new AbortController();
    await assert.rejects(runJob(w.deps, stopAfter(2, stop), id, { signal: stop.signal }), (err: unknown) => {
      assert.ok(err instanceof CancelledError);
      assert.equal(err.message, `stopped; run \`shardcast resume ${id}\` to continue`);
      return true;
    });
    const stopped = (await w.deps.ledger.getJob(id))!;
    assert.equal(stopped.status, 'cancelled');
    assert.equal(stopped.error, `stopped by the user; run \`shardcast resume ${id}\` to continue`);
    const job = await resumeJob(w.deps, w.pool(), id);
    assert.equal(job.status, 'done');
    assert.deepEqual([...(await startsByKey(id)).values()], [1, 1, 1, 1], 'each task encoded once');
    assert.ok((await types(id)).includes('job.resumed'));
  });

  it('a done segment whose file went missing is encoded again by the next run', async () => {
    const { id } = await w.newJob('fa0000000003');
    const stop = new AbortController();
    await assert.rejects(runJob(w.deps, stopAfter(3, stop), id, { signal: stop.signal }), CancelledError);
    const lost = (await w.deps.ledger.listTasks(id)).find((t) => t.status === 'done' && t.kind === 'video')!;
    rmSync(join(w.root, 'jobs', lost.outputKey));
    const job = await resumeJob(w.deps, w.pool(), id);
    assert.equal(job.status, 'done');
    const lostEvents = (await w.deps.ledger.listEvents(id)).filter((e) => e.type === 'task.lost');
    assert.deepEqual(
      lostEvents.map((e) => e.data?.key),
      [lost.key],
    );
    assert.equal((await startsByKey(id)).get(lost.key), 2);
  });

  it('failed tasks fail the job in one line naming the first and the retry; retry re-runs only them', async () => {
    const { id } = await w.newJob('fa0000000004');
    const bad = (t: TaskId) => t.kind === 'video' && t.index === 1;
    await assert.rejects(runJob(w.deps, failing(bad), id), (err: unknown) => {
      assert.ok(err instanceof JobFailedError);
      assert.equal(
        err.message,
        `segment 1 failed after 1 attempts: ffmpeg exited with 1: injected; fix the cause, then run \`shardcast retry ${id}\``,
      );
      return true;
    });
    const failed = (await w.deps.ledger.getJob(id))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!, /^segment 1 failed after 1 attempts/);
    const job = await retryJob(w.deps, w.pool(), id);
    assert.equal(job.status, 'done');
    const starts = await startsByKey(id);
    const seg1 = (await w.deps.ledger.listTasks(id)).find((t) => t.kind === 'video' && t.index === 1)!;
    assert.equal(starts.get(seg1.key), 1, 'the injected attempt wrote no task.started; the retry encoded it once');
    assert.equal(seg1.attempts, 2);
    assert.deepEqual([...starts.values()].sort(), [1, 1, 1, 1]);
    assert.ok((await types(id)).includes('job.retry'));
  });

  it('a ledger that cannot record the failure (a full disk) does not change what the user is told', async () => {
    const { id } = await w.newJob('fa0000000006');
    const full = Object.create(w.deps.ledger) as typeof w.deps.ledger;
    full.updateJob = (jobId, from, to, patch) =>
      to === 'failed'
        ? Promise.reject(new Error('SQLITE_FULL: database or disk is full'))
        : w.deps.ledger.updateJob(jobId, from, to, patch);
    const deps = { ...w.deps, ledger: full };
    const bad = (t: TaskId) => t.kind === 'video' && t.index === 2;
    await assert.rejects(
      runJob(deps, failing(bad), id),
      new RegExp(
        `^JobFailedError: segment 2 failed after 1 attempts: ffmpeg exited with 1: injected; fix the cause, then run \`shardcast retry ${id}\`$`,
      ),
    );
    assert.equal((await w.deps.ledger.getJob(id))!.status, 'encoding', 'the job keeps its status: resume finds it');
  });

  it('a home that went away fails the job with the resume command of its home', async () => {
    const { id } = await w.newJob('fa0000000005', 'cluster');
    const gone: Executor = {
      run: () => Promise.reject(new HomeUnreachableError('Redis at redis://127.0.0.1:1 has not answered for 5 s')),
    };
    await assert.rejects(
      runJob(w.deps, gone, id),
      new RegExp(
        `^JobFailedError: Redis at .* has not answered for 5 s; run \`shardcast resume ${id} --backend cluster\` once it is back$`,
      ),
    );
    assert.equal((await w.deps.ledger.getJob(id))!.status, 'failed');
  });

  it('a job that failed on its input is not retried or resumed: it would fail the same way', async () => {
    const { id } = await w.newJob('fa0000000007');
    const refused: Executor = { run: () => Promise.reject(new InputError('the source has no video stream')) };
    await assert.rejects(runJob(w.deps, refused, id), /the source has no video stream/);
    const job = (await w.deps.ledger.getJob(id))!;
    assert.equal(job.status, 'failed');
    assert.equal(job.errorKind, 'input');
    const why = /because its source cannot be used as it is \(the source has no video stream\): a (retry|resume) would fail the same way/;
    await assert.rejects(retryJob(w.deps, refused, id), why);
    await assert.rejects(resumeJob(w.deps, refused, id), why);
    assert.equal((await w.deps.ledger.getJob(id))!.status, 'failed', 'left as it was');
  });

  it('ran every use-case above without spawning ffmpeg (unless recording)', () => {
    assert.ok(w.media.calls.length > 20, String(w.media.calls.length));
  });
});
