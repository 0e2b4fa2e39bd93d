/**
 * The Executor contract (ports/executor.ts), run against every way a home encodes a job's tasks: the local worker
 * pool, the cluster (a BullMQ flow and a worker) and the workflow's encode states (the ASL's EncodeAll, run by
 * the local interpreter). Each runs the real encode use-case over the fast tier's world (an in-memory ledger, a
 * recorded media tool); faults are injected by task, inside the encode (test/support/task-faults.ts).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { analyzeJob } from '../../src/app/analyze-job.js';
import type { AppDeps } from '../../src/app/deps.js';
import type { JobRecord } from '../../src/core/types.js';
import type { Executor } from '../../src/ports/executor.js';
import type { TaskId } from '../../src/ports/ledger.js';
import type { FastWorld } from '../fast/support.js';
import { taskName, type TaskFaults } from '../support/task-faults.js';

export interface ExecutorHome {
  world: FastWorld;
  /** The world's dependencies with the faulting media tool (what the executor's encodes run with). */
  deps: AppDeps;
  faults: TaskFaults;
  /** An executor for `job` (its workers, its attempts), as the home makes one. */
  executor(job: JobRecord): Executor;
  /**
   * A Step Functions Map fails as soon as one iteration fails for good: the tasks not started stay pending (the
   * job's retry runs them). A worker pool and a cluster run every other task to its end.
   */
  failsFast: boolean;
  /** The workflow runs the audio task beside the segment Map, whose concurrency is the job's workers. */
  audioBeside: boolean;
  /**
   * A cluster tries again what failed for want of something on one node (its ffmpeg, its scratch disk): another
   * node may have it. The others do not retry what no retry fixes.
   */
  retriesNodeFaults: boolean;
  close(): Promise<void>;
}

const WORKERS = 2;

/**
 * `open` makes the home's world. Each case's job id is fixed, as the ids are in the recorded commands: `prefix`
 * and the case's number, 12 characters in all.
 */
export function runExecutorContract(name: string, prefix: string, open: () => Promise<ExecutorHome>): void {
  describe(`Executor contract: ${name}`, () => {
    let h: ExecutorHome;
    before(async () => {
      h = await open();
    });
    after(async () => {
      await h?.close();
    });
    beforeEach(() => h.faults.reset());

    const jobOf = async (n: number) => {
      const { id } = await h.world.newJob(`${prefix}${String(n).padStart(12 - prefix.length, '0')}`, 'local');
      return id;
    };
    /** Analyzes the job (its tasks planned, nothing encoded) and returns them: 3 segments, then the audio. */
    const planned = async (n: number): Promise<{ id: string; tasks: TaskId[] }> => {
      const id = await jobOf(n);
      await analyzeJob(h.deps, id);
      const tasks = (await h.deps.ledger.listTasks(id)).map((t) => ({ jobId: id, kind: t.kind, index: t.index }));
      assert.deepEqual(
        tasks.map((t) => `${t.kind}${t.index}`),
        ['video0', 'video1', 'video2', 'audio0'],
      );
      return { id, tasks };
    };
    const executorOf = async (id: string) => h.executor((await h.deps.ledger.getJob(id))!);
    const statuses = async (id: string) => (await h.deps.ledger.listTasks(id)).map((t) => `${t.kind}${t.index}:${t.status}:${t.attempts}`);
    const seg = (id: string, index: number): TaskId => ({ jobId: id, kind: 'video', index });

    it('runs every task once, at most its workers at once, and reports none failed', async () => {
      const { id, tasks } = await planned(1);
      h.faults.delayMs = 40;
      const r = await (await executorOf(id)).run(id, tasks);
      assert.deepEqual(r.failed, []);
      assert.deepEqual(await statuses(id), ['video0:done:1', 'video1:done:1', 'video2:done:1', 'audio0:done:1']);
      for (const t of tasks) assert.equal(h.faults.runs.get(taskName(t)), 1, `${taskName(t)} encoded once`);
      assert.ok(h.faults.maxAtOnce >= 2, `tasks run side by side (at most ${h.faults.maxAtOnce} at once)`);
      assert.ok(h.faults.maxAtOnce <= WORKERS + (h.audioBeside ? 1 : 0), `${h.faults.maxAtOnce} at once`);
    });

    it('runs only the tasks it is given', async () => {
      const { id, tasks } = await planned(2);
      const r = await (await executorOf(id)).run(id, [tasks[2]!, tasks[3]!]);
      assert.deepEqual(r.failed, []);
      assert.deepEqual(await statuses(id), ['video0:pending:0', 'video1:pending:0', 'video2:done:1', 'audio0:done:1']);
    });

    it('an empty task list ends at once, none failed', async () => {
      const { id } = await planned(3);
      assert.deepEqual((await (await executorOf(id)).run(id, [])).failed, []);
      assert.equal(h.faults.runs.size, 0);
    });

    it("retries a failed attempt within the job's attempts", async () => {
      const { id, tasks } = await planned(4);
      h.faults.fail(seg(id, 1), 'exit', 'exit');
      const r = await (await executorOf(id)).run(id, tasks);
      assert.deepEqual(r.failed, []);
      assert.deepEqual(await statuses(id), ['video0:done:1', 'video1:done:3', 'video2:done:1', 'audio0:done:1']);
      assert.equal(h.faults.runs.get(taskName(seg(id, 1))), 3);
    });

    it('gives up on a task after its attempts and returns it failed, with its error in the ledger', async () => {
      const { id, tasks } = await planned(5);
      h.faults.fail(seg(id, 1), 'exit', 'exit', 'exit');
      const r = await (await executorOf(id)).run(id, tasks);
      assert.deepEqual(r.failed, [seg(id, 1)]);
      const bad = (await h.deps.ledger.getTask(seg(id, 1)))!;
      assert.deepEqual([bad.status, bad.attempts], ['failed', 3]);
      assert.match(bad.error ?? '', /ffmpeg exited with 1: injected failure/);
      assert.equal(h.faults.runs.get(taskName(seg(id, 1))), 3, 'three attempts, no more');
      const others = (await statuses(id)).filter((s) => !s.startsWith('video1'));
      if (h.failsFast) for (const s of others) assert.match(s, /:(done:1|pending:0)$/, 'the others done or not started');
      else assert.deepEqual(others, ['video0:done:1', 'video2:done:1', 'audio0:done:1']);
    });

    it('does not retry a failure no retry can fix (a cluster tries another node)', async () => {
      const { id, tasks } = await planned(6);
      h.faults.fail(seg(id, 2), 'missing', 'missing', 'missing');
      const r = await (await executorOf(id)).run(id, tasks);
      assert.deepEqual(r.failed, [seg(id, 2)]);
      const tries = h.retriesNodeFaults ? 3 : 1;
      const bad = (await h.deps.ledger.getTask(seg(id, 2)))!;
      assert.deepEqual([bad.status, bad.attempts], ['failed', tries]);
      assert.match(bad.error ?? '', /ffmpeg not found/);
      assert.equal(h.faults.runs.get(taskName(seg(id, 2))), tries);
    });

    it('stops when its signal aborts, keeping what was done; a second run ends the rest without redoing it', async () => {
      const { id, tasks } = await planned(7);
      h.faults.delayMs = 150;
      const stop = new AbortController();
      // Stopped once the ledger holds a task done: the next ones are under way then.
      const watch = setInterval(() => {
        void h.deps.ledger.listTasks(id).then((ts) => {
          if (ts.some((t) => t.status === 'done')) stop.abort(new Error('stopped by the test'));
        });
      }, 5);
      try {
        await assert.rejects((await executorOf(id)).run(id, tasks, stop.signal), /stopped by the test/);
      } finally {
        clearInterval(watch);
      }
      const atStop = await h.deps.ledger.listTasks(id);
      const done = atStop.filter((t) => t.status === 'done');
      const left = atStop.filter((t) => t.status !== 'done');
      assert.ok(done.length >= 1 && left.length >= 1, `${done.length} done, ${left.length} left at the stop`);
      for (const t of left) assert.match(t.status, /^(pending|running)$/, `${t.key} left ${t.status}`);
      const runsAtStop = new Map(h.faults.runs);
      h.faults.delayMs = 0;
      const r = await (
        await executorOf(id)
      ).run(
        id,
        left.map((t) => ({ jobId: id, kind: t.kind, index: t.index })),
      );
      assert.deepEqual(r.failed, []);
      for (const s of await statuses(id)) assert.match(s, /:done:\d$/);
      for (const t of done) {
        const name = taskName({ jobId: id, kind: t.kind, index: t.index });
        assert.equal(h.faults.runs.get(name), runsAtStop.get(name), `${t.key}, done before the stop, is not run again`);
      }
    });
  });
}
