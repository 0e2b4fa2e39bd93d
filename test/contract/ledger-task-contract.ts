/**
 * The task half of the Ledger contract: putTasks, getTask, listTasks, transitionTask, heartbeat.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConditionFailedError, NotFoundError } from '../../src/core/errors.js';
import type { TaskRecord } from '../../src/core/types.js';
import type { TaskId } from '../../src/ports/ledger.js';
import { conditionFailed, jobWithTasks, minimalJob, newTask, uniqueJobId, type LedgerContext } from './ledger-fixtures.js';

export function defineTaskContract(ctx: LedgerContext): void {
  describe('tasks', () => {
    it('putTasks writes pending tasks; listTasks gives video by index, then audio', async () => {
      const id = uniqueJobId();
      await ctx.ledger.createJob(minimalJob(id, { status: 'encoding' }));
      const input = [
        newTask(id, 'audio', 0),
        newTask(id, 'video', 10),
        newTask(id, 'video', 2),
        newTask(id, 'video', 0),
        newTask(id, 'video', 1),
      ];
      input[1] = { ...input[1]!, args: ['-ss', '20'], worker: 'w1' };
      await ctx.ledger.putTasks(input);
      const tasks = await ctx.ledger.listTasks(id);
      assert.deepEqual(
        tasks.map((t) => `${t.kind}${t.index}`),
        ['video0', 'video1', 'video2', 'video10', 'audio0'],
      );
      for (const t of tasks) {
        const expected = input.find((n) => n.kind === t.kind && n.index === t.index)!;
        assert.deepEqual(t, { ...expected, status: 'pending', attempts: 0 });
      }
      assert.deepEqual(await ctx.ledger.getTask({ jobId: id, kind: 'video', index: 10 }), tasks[3]);
    });

    it('a second putTasks for the same job throws and inserts nothing', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [
        ['video', 0],
        ['video', 1],
      ]);
      await conditionFailed(ctx.ledger.putTasks([newTask(id, 'video', 2), newTask(id, 'audio', 0)]));
      assert.deepEqual(
        (await ctx.ledger.listTasks(id)).map((t) => `${t.kind}${t.index}`),
        ['video0', 'video1'],
      );
      assert.equal(await ctx.ledger.getTask({ jobId: id, kind: 'video', index: 2 }), undefined);
      assert.equal(await ctx.ledger.getTask({ jobId: id, kind: 'audio', index: 0 }), undefined);
    });

    it('getTask of an unknown task returns undefined', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      assert.equal(await ctx.ledger.getTask({ jobId: id, kind: 'video', index: 1 }), undefined);
      assert.equal(await ctx.ledger.getTask({ jobId: id, kind: 'audio', index: 0 }), undefined);
      assert.equal(await ctx.ledger.getTask({ jobId: uniqueJobId(), kind: 'video', index: 0 }), undefined);
    });

    it('transitionTask moves pending → running → done, applying patches', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [
        ['video', 0],
        ['audio', 0],
      ]);
      const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
      const base = { ...newTask(id, 'video', 0) };
      const running = await ctx.ledger.transitionTask(
        tid,
        ['pending', 'failed'],
        'running',
        {
          attempts: 1,
          worker: 'worker-3',
          startedAt: 1_000,
          heartbeatAt: 1_000,
        },
        0,
      );
      const expectedRunning: TaskRecord = {
        ...base,
        status: 'running',
        attempts: 1,
        worker: 'worker-3',
        startedAt: 1_000,
        heartbeatAt: 1_000,
      };
      assert.deepEqual(running, expectedRunning);
      assert.deepEqual(await ctx.ledger.getTask(tid), expectedRunning);

      const done = await ctx.ledger.transitionTask(tid, ['running'], 'done', {
        finishedAt: 5_000,
        cpuSeconds: 7.25,
        wallMs: 4_000,
        args: ['-i', 'in.mov', '-c:v', 'libx264'],
        exitCode: 0,
        stderrTail: 'frame=48',
        sizeBytes: 123_456,
        checksum: 'sha256:abc',
        worker: undefined,
      });
      const expectedDone: TaskRecord = {
        ...expectedRunning,
        status: 'done',
        finishedAt: 5_000,
        cpuSeconds: 7.25,
        wallMs: 4_000,
        args: ['-i', 'in.mov', '-c:v', 'libx264'],
        exitCode: 0,
        stderrTail: 'frame=48',
        sizeBytes: 123_456,
        checksum: 'sha256:abc',
      };
      assert.deepEqual(done, expectedDone);
      assert.deepEqual(await ctx.ledger.getTask(tid), expectedDone);
      // The other task is untouched.
      assert.deepEqual(await ctx.ledger.getTask({ jobId: id, kind: 'audio', index: 0 }), {
        ...newTask(id, 'audio', 0),
        status: 'pending',
        attempts: 0,
      });
    });

    it('transitionTask sets an error and clearError removes it', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
      await ctx.ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1 });
      const failed = await ctx.ledger.transitionTask(tid, ['running'], 'failed', { error: 'exit 1', exitCode: 1 });
      assert.equal(failed.error, 'exit 1');
      assert.equal((await ctx.ledger.getTask(tid))?.error, 'exit 1');
      const retried = await ctx.ledger.transitionTask(tid, ['failed'], 'running', { attempts: 2, clearError: true }, 1);
      assert.ok(!('error' in retried), 'error removed from the returned record');
      const stored = await ctx.ledger.getTask(tid);
      assert.ok(stored && !('error' in stored), 'error removed from the stored record');
      assert.equal(stored.exitCode, 1);
      assert.equal(stored.attempts, 2);
    });

    it('transitionTask from a wrong status throws ConditionFailedError carrying the current task', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
      await ctx.ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1 });
      const done = await ctx.ledger.transitionTask(tid, ['running'], 'done', { sizeBytes: 10 });
      const err = await conditionFailed(ctx.ledger.transitionTask(tid, ['pending', 'failed'], 'running', { attempts: 2 }));
      assert.deepEqual(err.current, done);
      assert.equal((err.current as TaskRecord | undefined)?.status, 'done');
      assert.deepEqual(await ctx.ledger.getTask(tid), done);
    });

    it('ifAttempts guards a claim: of two racing claimers only one wins', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
      const claim = (worker: string) => ctx.ledger.transitionTask(tid, ['pending', 'failed'], 'running', { attempts: 1, worker }, 0);
      const results = await Promise.allSettled([claim('a'), claim('b')]);
      const won = results.filter((r): r is PromiseFulfilledResult<TaskRecord> => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, 'exactly one claimer wins');
      assert.equal(lost.length, 1);
      assert.ok(lost[0]!.reason instanceof ConditionFailedError, `loser gets ConditionFailedError, got ${String(lost[0]!.reason)}`);
      const current = lost[0]!.reason.current as TaskRecord | undefined;
      assert.equal(current?.status, 'running');
      assert.equal(current?.attempts, 1);
      assert.equal(current?.worker, won[0]!.value.worker);
      assert.deepEqual(await ctx.ledger.getTask(tid), won[0]!.value);
    });

    it('ifAttempts rejects a matching status with a different attempt count', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
      await ctx.ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1 }, 0);
      const failed = await ctx.ledger.transitionTask(tid, ['running'], 'failed', { error: 'x' }, 1);
      const err = await conditionFailed(ctx.ledger.transitionTask(tid, ['failed'], 'running', { attempts: 2 }, 0));
      assert.deepEqual(err.current, failed);
      assert.equal((await ctx.ledger.transitionTask(tid, ['failed'], 'running', { attempts: 2 }, 1)).attempts, 2);
    });

    it('transitionTask of an unknown task throws NotFoundError', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      await assert.rejects(ctx.ledger.transitionTask({ jobId: id, kind: 'video', index: 7 }, ['pending'], 'running'), NotFoundError);
      await assert.rejects(ctx.ledger.transitionTask({ jobId: id, kind: 'audio', index: 0 }, ['pending'], 'running'), NotFoundError);
      await assert.rejects(
        ctx.ledger.transitionTask({ jobId: uniqueJobId(), kind: 'video', index: 0 }, ['pending'], 'running'),
        NotFoundError,
      );
      assert.equal(await ctx.ledger.getTask({ jobId: id, kind: 'video', index: 7 }), undefined, 'nothing was created');
    });

    it('heartbeat refreshes a running task only', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [
        ['video', 0],
        ['video', 1],
      ]);
      const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
      await ctx.ledger.heartbeat(tid, 500);
      assert.equal((await ctx.ledger.getTask(tid))?.heartbeatAt, undefined, 'no heartbeat while pending');
      await ctx.ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1, heartbeatAt: 1_000 });
      await ctx.ledger.heartbeat(tid, 2_000);
      const running = await ctx.ledger.getTask(tid);
      assert.equal(running?.heartbeatAt, 2_000);
      assert.equal(running?.status, 'running');
      await ctx.ledger.transitionTask(tid, ['running'], 'done');
      await ctx.ledger.heartbeat(tid, 3_000);
      const done = await ctx.ledger.getTask(tid);
      assert.equal(done?.heartbeatAt, 2_000, 'no heartbeat once done');
      assert.equal(done?.status, 'done');
      assert.equal((await ctx.ledger.getTask({ jobId: id, kind: 'video', index: 1 }))?.heartbeatAt, undefined, 'other task untouched');
    });

    it("heartbeat carries a running attempt's progress and command; a transition drops the progress", async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
      await ctx.ledger.heartbeat(tid, 500, { progress: { frames: 3, at: 500 } });
      assert.equal((await ctx.ledger.getTask(tid))?.progress, undefined, 'no progress while pending');
      await ctx.ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1, heartbeatAt: 1_000 });
      await ctx.ledger.heartbeat(tid, 1_100, { args: ['-i', 'in.mkv', 'out.mkv'] });
      await ctx.ledger.heartbeat(tid, 2_000, { progress: { frames: 40, fps: 20, at: 2_000 } });
      const running = await ctx.ledger.getTask(tid);
      assert.deepEqual(running?.progress, { frames: 40, fps: 20, at: 2_000 });
      assert.deepEqual(running?.args, ['-i', 'in.mkv', 'out.mkv'], 'the command stays when later beats carry only progress');
      assert.equal(running?.heartbeatAt, 2_000);
      await ctx.ledger.transitionTask(tid, ['running'], 'failed', { error: 'boom' });
      const failed = await ctx.ledger.getTask(tid);
      assert.equal(failed?.progress, undefined, 'a failed attempt keeps no progress');
      assert.deepEqual(failed?.args, ['-i', 'in.mkv', 'out.mkv']);
    });

    it("a targeted segment's trials, written with the heartbeat, outlast a failed attempt and its next claim", async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
      const probe = { kind: 'probe' as const, crf: 23, score: 40.2, bytes: 1200, frames: 48, ms: 900, cpuSeconds: 1.1 };
      const quality = { metric: 'psnr' as const, target: 40, band: 0.5, trials: [probe] };
      await ctx.ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1, heartbeatAt: 1_000 });
      await ctx.ledger.heartbeat(tid, 1_500, { quality });
      await ctx.ledger.heartbeat(tid, 2_000, { progress: { frames: 10, at: 2_000 } });
      assert.deepEqual((await ctx.ledger.getTask(tid))?.quality, quality, 'a later beat without trials keeps them');
      await ctx.ledger.transitionTask(tid, ['running'], 'failed', { error: 'killed' });
      await ctx.ledger.transitionTask(tid, ['failed'], 'running', { attempts: 2, heartbeatAt: 3_000, clearError: true });
      assert.deepEqual((await ctx.ledger.getTask(tid))?.quality, quality, 'the next attempt reads the trials');
      const kept = { ...quality, trials: [probe, { ...probe, kind: 'encode' as const, crf: 23.5 }], crf: 23.5, score: 40.2, inBand: true };
      await ctx.ledger.transitionTask(tid, ['running'], 'done', { quality: kept });
      assert.deepEqual((await ctx.ledger.getTask(tid))?.quality, kept);
    });

    it('heartbeat of an unknown task is a no-op and creates nothing', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [['video', 0]]);
      await ctx.ledger.heartbeat({ jobId: id, kind: 'video', index: 9 }, 1_000);
      assert.equal(await ctx.ledger.getTask({ jobId: id, kind: 'video', index: 9 }), undefined);
      assert.equal((await ctx.ledger.listTasks(id)).length, 1);
    });
  });
}
