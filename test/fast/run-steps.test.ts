/**
 * The steps a workflow engine runs one invocation at a time (app/run-steps.ts) and the failure path
 * (app/run-failure.ts), each delivered twice where an engine may do so, over the fast tier's world.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { failRun } from '../../src/app/run-failure.js';
import { claimRetry, encodeStep, finishStep, mergeStep, startRun } from '../../src/app/run-steps.js';
import { claimTask, failAttempt } from '../../src/app/transitions.js';
import { InputError, NotFoundError, TaskBusyError } from '../../src/core/errors.js';
import type { TaskId } from '../../src/ports/ledger.js';
import { openFastWorld, type FastWorld } from './support.js';

let w: FastWorld;
before(() => {
  w = openFastWorld('run-steps');
});
after(async () => {
  await w.close();
});

const ids = (jobId: string, plan: { segments: number[]; audio: boolean }): TaskId[] => [
  ...(plan.audio ? [{ jobId, kind: 'audio' as const, index: 0 }] : []),
  ...plan.segments.map((index) => ({ jobId, kind: 'video' as const, index })),
];

describe('the steps of a run (fast tier)', () => {
  it('start -> encode each -> merge -> finish, every step delivered twice doing its work once', async () => {
    const { id } = await w.newJob('fb0000000001', 'aws-emulated');
    const plan = await startRun(w.deps, id);
    assert.equal(plan.segmentCount, 3);
    assert.equal(plan.audio, true);
    assert.deepEqual(
      [...plan.segments].sort((a, b) => a - b),
      [0, 1, 2],
    );
    await assert.rejects(mergeStep(w.deps, id), (err: unknown) => err instanceof NotFoundError && /4 task\(s\) not done/.test(err.message));
    for (const t of ids(id, plan)) await encodeStep(w.deps, t);
    const calls = w.media.calls.length;
    for (const t of ids(id, plan)) assert.equal((await encodeStep(w.deps, t)).status, 'done');
    assert.equal(w.media.calls.length, calls, 'a redelivered encode runs no ffmpeg');
    const merged = await mergeStep(w.deps, id);
    assert.equal(merged.status, 'verifying');
    assert.ok(merged.result!.sizeBytes > 0);
    assert.equal((await mergeStep(w.deps, id)).result!.sizeBytes, merged.result!.sizeBytes);
    assert.equal((await w.deps.ledger.listEvents(id)).filter((e) => e.type === 'job.merging').length, 1, 'merged once');
    assert.equal((await finishStep(w.deps, id)).status, 'done');
    assert.equal((await finishStep(w.deps, id)).status, 'done');
    assert.deepEqual(await startRun(w.deps, id), { todo: [], segments: [], segmentCount: 0, audio: false });
  });

  it('a task running elsewhere is refused as busy; one left by a dead invocation is reclaimed', async () => {
    const { id } = await w.newJob('fb0000000002', 'aws-emulated');
    await startRun(w.deps, id);
    const seg: TaskId = { jobId: id, kind: 'video', index: 0 };
    const cur = (await w.deps.ledger.getTask(seg))!;
    await claimTask(w.deps.ledger, cur, { attempts: 1, worker: 'lambda:other', startedAt: Date.now(), heartbeatAt: Date.now() });
    await assert.rejects(
      encodeStep(w.deps, seg),
      (e: unknown) => e instanceof TaskBusyError && /is being encoded by lambda:other \(heartbeat 0 s ago\)/.test(e.message),
    );
    const done = await encodeStep(w.deps, seg, { staleMs: -1 });
    assert.equal(done.status, 'done');
    assert.equal(done.attempts, 2);
    assert.ok((await w.deps.ledger.listEvents(id)).some((e) => e.type === 'task.reclaimed'));
  });

  it('a workflow failure names the task that failed in this run and the retry of its home; one claim per retry', async () => {
    const { id } = await w.newJob('fb0000000003', 'aws-emulated');
    const first = await startRun(w.deps, id);
    const seg: TaskId = { jobId: id, kind: 'video', index: 1 };
    for (const t of ids(id, first)) if (t.kind === 'audio' || t.index !== 1) await encodeStep(w.deps, t);
    await claimTask(w.deps.ledger, (await w.deps.ledger.getTask(seg))!, { attempts: 1, worker: 'lambda:x', startedAt: Date.now() });
    await failAttempt(w.deps.ledger, seg, { error: 'FfmpegError: ffmpeg exited with 1', finishedAt: Date.now() + 1 }, 1);
    const { job, error } = await failRun(w.deps, id, { kind: 'workflow', message: 'States.ExceedToleratedFailureThreshold: exceeded' });
    assert.equal(job!.status, 'failed');
    assert.equal(
      error,
      `segment 1 failed after 1 attempts: FfmpegError: ffmpeg exited with 1 (States.ExceedToleratedFailureThreshold: exceeded); fix the cause, then run \`shardcast retry ${id} --backend aws-emulated\``,
    );
    assert.equal(
      (await failRun(w.deps, id, { kind: 'workflow', message: 'again' })).job!.error,
      error,
      'a failed job keeps its first cause',
    );
    const claims = await Promise.allSettled([claimRetry(w.deps, id), claimRetry(w.deps, id)]);
    assert.deepEqual(claims.map((c) => c.status).sort(), ['fulfilled', 'rejected']);
    const refused = (claims.find((c) => c.status === 'rejected') as PromiseRejectedResult).reason as Error;
    assert.ok(refused instanceof InputError);
    assert.match(refused.message, /already being retried|another retry or run has it/);
    const plan = await startRun(w.deps, id);
    assert.deepEqual(plan.segments, [1], 'only the failed segment is left');
    assert.equal(plan.audio, false);
  });

  it('a stopped workflow job is told to retry, not resume; a done job cannot be retried', async () => {
    const { id } = await w.newJob('fb0000000004', 'aws-emulated');
    const { job, error } = await failRun(w.deps, id, { kind: 'stopped' });
    assert.equal(job!.status, 'cancelled');
    assert.equal(error, `stopped by the user; run \`shardcast retry ${id} --backend aws-emulated\` to continue`);
    const done = await w.newJob('fb0000000005');
    await assert.rejects(
      claimRetry(w.deps, done.id),
      /is created; only failed or stopped jobs can be retried \(another retry or run has it\)/,
    );
  });
});
