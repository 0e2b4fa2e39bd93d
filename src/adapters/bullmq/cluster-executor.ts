/**
 * The cluster's Executor, run by the coordinator: the tasks become one BullMQ flow (a parent join job on the
 * merge queue, an encode child per task with an id derived from its key, so adding again is a no-op) and the
 * workers' reports and results are applied to the ledger here, one at a time, with the ledger's conditions:
 * a report of an attempt that no longer holds the task changes nothing, a result for a task already done is
 * refused. The accepted attempt's file is moved to the task's key. The flow is read back on start (a coordinator
 * that died mid-job and is resumed takes up what the workers did meanwhile) and every few seconds (a child that
 * vanished from Redis, a result that could not be recorded: queued again).
 *
 * Over 300 lines: one run around one BullMQ flow (adding it, its event stream, the reconcile every few seconds,
 * the stop). Which attempt's report counts is report-rules.ts.
 */
import { FlowProducer, Queue, QueueEvents, type Job } from 'bullmq';
import { HomeUnreachableError, oneLine } from '../../core/errors.js';
import { taskThreads } from '../../core/segment-threads.js';
import type { JobHead, JobRecord, TaskRecord } from '../../core/types.js';
import type { EventType } from '../../core/lifecycle.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { Executor, ExecutorRunResult } from '../../ports/executor.js';
import type { Ledger, TaskId } from '../../ports/ledger.js';
import { childJobId, jobIdOfChild, type ClusterQueues, type EncodeMessage, type EncodeResult, type WorkerReport } from './protocol.js';
import { redisOptions, shownRedisUrl, watchRedis } from './redis.js';
import { failTaskForGood } from '../../app/transitions.js';
import { AttemptRules, startFromLastReport } from './report-rules.js';
import { taskName as describe } from '../../app/outputs/describe-task.js';

export interface ClusterExecutorOptions {
  redisUrl: string;
  queues: ClusterQueues;
  /** The store's id, carried by each task (workers reading another id at the store's path refuse it). */
  storeId?: string;
  ledger: Ledger;
  blobs: BlobStore;
  clock: () => number;
  onProgress?: (p: { key: string; frames: number }) => void;
  /** Milliseconds between full reads of the flow's state, besides the event stream (default 5000). */
  reconcileMs?: number;
  /** After a task's result is recorded (the coordinator's early publish, app/outputs/ladder/publish-early.ts). */
  onTaskDone?: (jobId: string) => Promise<void>;
  /** Delay before a failed task's next attempt: exponential from this (default 500 ms). */
  backoffMs?: number;
  /**
   * How long a Redis that stopped answering is waited for before the run stops (HomeUnreachableError, the job
   * resumable); a Redis back within it is carried on with (default REDIS_WAIT_MS).
   */
  redisWaitMs?: number;
}

/**
 * The default wait for a Redis that stopped answering: a restart fits in it, a Redis gone for good does not. With
 * the ping interval and the stop, the coordinator is gone within 60 s of Redis's last answer.
 */
export const REDIS_WAIT_MS = 50_000;
/** Redis counts as answering while its last ping answer is this recent (it is pinged every second). */
const ANSWERING_MS = 2500;

/** Settled children stay in Redis this long at most (a coordinator that never comes back leaves them). */
const KEEP_SETTLED_SECONDS = 7 * 24 * 3600;
/**
 * A stopped run's last Redis calls (taking its queued tasks off the queue, closing the connections) wait this
 * long each at most: a Redis that went away would hold them for ever. Three of them fit in a 10 s stop.
 */
const STOP_STEP_MS = 2000;

const idOf = (t: TaskRecord): TaskId => ({ jobId: t.jobId, kind: t.kind, index: t.index });

function parsed<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** Resolves true when `p` settled within `ms`, false when it did not (it is left to settle on its own). */
const within = (ms: number, p: Promise<unknown>): Promise<boolean> =>
  Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
  ]);

/**
 * Closes BullMQ's connections while Redis answers, or drops them (at once when it does not answer, else when closing
 * does not end in time): a Redis gone never answers the QUIT that closing sends.
 */
async function closeOrDrop(parts: Array<{ close(): Promise<void>; disconnect(): Promise<void> }>, answering: boolean): Promise<void> {
  if (answering && (await within(STOP_STEP_MS, Promise.allSettled(parts.map((p) => p.close()))))) return;
  await within(STOP_STEP_MS, Promise.allSettled(parts.map((p) => p.disconnect())));
}

export class ClusterExecutor implements Executor {
  readonly followsRunningTasks = true;

  constructor(private readonly opts: ClusterExecutorOptions) {}

  async run(jobId: string, taskIds: TaskId[], signal?: AbortSignal): Promise<ExecutorRunResult> {
    const r = new FlowRun(this.opts, jobId, (await this.opts.ledger.getJob(jobId))!, (await this.opts.ledger.getJobHead(jobId))!);
    for (const id of taskIds) {
      const t = await this.opts.ledger.getTask(id);
      if (t) r.tasks.set(childJobId(jobId, t.key), t);
    }
    return r.run(signal);
  }
}

/** One run of the executor over one job's tasks. */
class FlowRun {
  readonly tasks = new Map<string, TaskRecord>();
  /** Children not settled yet (done, or failed with no attempt left). */
  private readonly open = new Set<string>();
  private readonly failed = new Set<string>();
  /** Which attempt's reports count (report-rules.ts). */
  private readonly rules: AttemptRules;
  /** Results that could not be recorded, per child: queued again until the job's attempts are spent. */
  private readonly lostResults = new Map<string, number>();
  private readonly encodeQueue: Queue;
  private readonly mergeQueue: Queue;
  private readonly flows: FlowProducer;
  private readonly events: QueueEvents;
  private chain: Promise<void> = Promise.resolve();
  private wake: () => void = () => undefined;

  constructor(
    private readonly opts: ClusterExecutorOptions,
    private readonly jobId: string,
    private readonly job: JobRecord,
    private readonly head: JobHead,
  ) {
    const connection = redisOptions(opts.redisUrl);
    this.encodeQueue = new Queue(opts.queues.encode, { connection });
    this.mergeQueue = new Queue(opts.queues.merge, { connection });
    this.flows = new FlowProducer({ connection });
    this.events = new QueueEvents(opts.queues.encode, { connection });
    this.rules = new AttemptRules({
      ledger: opts.ledger,
      clock: opts.clock,
      event: (type, message, data) => this.event(type, message, data),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  }

  /** Applied one at a time, in the order they came; an error is told in the events, never left silent. */
  private serial(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain
      .then(fn)
      .catch((err: unknown) => this.event('cluster.error', `the coordinator could not apply a worker's report: ${oneLine(err)}`))
      .then(() => this.wake());
    return this.chain;
  }

  private async event(type: EventType, message: string, data?: Record<string, unknown>): Promise<void> {
    await this.opts.ledger
      .appendEvent({ jobId: this.jobId, at: this.opts.clock(), type, message, ...(data ? { data } : {}) })
      .catch(() => undefined);
  }

  private settle(cid: string, outcome: 'done' | 'failed'): void {
    this.open.delete(cid);
    if (outcome === 'failed') this.failed.add(cid);
    else this.failed.delete(cid);
  }

  async run(signal?: AbortSignal): Promise<ExecutorRunResult> {
    for (const cid of this.tasks.keys()) this.open.add(cid);
    const ours = (cid: string) => jobIdOfChild(cid) === this.jobId && this.tasks.has(cid);
    const { events } = this;
    // The run stops early for two reasons: the caller's signal (Ctrl-C, SIGTERM), or a Redis silent for longer
    // than redisWaitMs. Every wait on Redis below races `stopped`, so neither waits on a Redis that went away.
    let stop: ((reason: unknown) => void) | undefined;
    const stopped = new Promise<never>((_, reject) => (stop = reject));
    stopped.catch(() => undefined);
    const guarded = <T>(p: Promise<T>): Promise<T> => Promise.race([p, stopped]);
    const onAbort = () => stop!(signal!.reason ?? new Error('aborted'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const waitMs = this.opts.redisWaitMs ?? REDIS_WAIT_MS;
    let lost = false;
    const watch = watchRedis(this.opts.redisUrl, waitMs, (silentMs) => {
      lost = true;
      stop!(
        new HomeUnreachableError(
          `Redis at ${shownRedisUrl(this.opts.redisUrl)} has not answered for ${Math.round(silentMs / 1000)} s (the coordinator waits ${Math.round(waitMs / 1000)} s); the workers' tasks stay on its queue`,
        ),
      );
    });
    try {
      events.on('progress', ({ jobId: cid, data }) => {
        if (ours(cid)) void this.serial(() => this.report(cid, parsed<WorkerReport>(data)));
      });
      events.on('completed', ({ jobId: cid, returnvalue }) => {
        if (ours(cid)) void this.serial(() => this.result(cid, parsed<EncodeResult>(returnvalue)));
      });
      events.on('failed', ({ jobId: cid, failedReason }) => {
        if (ours(cid)) void this.serial(() => this.failure(cid, failedReason));
      });
      events.on('stalled', ({ jobId: cid }) => {
        if (ours(cid))
          void this.serial(() =>
            this.event('task.stalled', `${describe(this.tasks.get(cid)!)}: its worker stopped renewing its lock; back to the queue`, {
              key: this.tasks.get(cid)!.key,
            }),
          );
      });
      events.on('error', () => undefined);
      await guarded(events.waitUntilReady());
      // What the workers did while no coordinator listened (a resume after this process died). A child that
      // failed for good in an earlier run is run again: the caller asked for its task.
      await guarded(this.serial(() => this.reconcile(true)));
      // In the same line as the reports: a result that arrives meanwhile is applied before or after, never between.
      let added = 0;
      await guarded(
        this.serial(async () => {
          added = await this.queueOpen();
        }),
      );
      if (this.open.size)
        await this.event(
          'cluster.queued',
          `${this.open.size} task(s) on the queue ${this.opts.queues.encode}${added ? ` (${added} added)` : ''}`,
          { queue: this.opts.queues.encode, open: this.open.size, added },
        );
      const reconcileMs = this.opts.reconcileMs ?? 5000;
      let last = this.opts.clock();
      let reconciling = false;
      while (this.open.size) {
        await guarded(
          new Promise<void>((resolve) => {
            const t = setTimeout(resolve, reconcileMs);
            this.wake = () => {
              clearTimeout(t);
              resolve();
            };
          }),
        );
        // Not awaited: a reconcile waiting on a Redis that went away must not keep the loop from seeing a stop.
        if (this.open.size && !reconciling && this.opts.clock() - last >= reconcileMs) {
          last = this.opts.clock();
          reconciling = true;
          void this.serial(() => this.reconcile(false).finally(() => (reconciling = false)));
        }
      }
      await guarded(this.chain);
      // The ledger holds the outcome now: the flow leaves Redis.
      await guarded(removeFlow(this.mergeQueue, this.encodeQueue, this.jobId, [...this.tasks.keys()]));
      return { failed: [...this.failed].map((cid) => idOf(this.tasks.get(cid)!)) };
    } catch (err) {
      if (signal?.aborted && !lost) {
        // Stopped: a report being applied may end; the tasks not started are taken off the queue (while Redis
        // answers), the running ones end on their workers and their results are taken up by the next resume.
        await within(STOP_STEP_MS, this.chain);
        if (watch.silentMs() < ANSWERING_MS)
          await within(
            STOP_STEP_MS,
            (async () => {
              for (const cid of this.open) await removeIfQueued(this.encodeQueue, cid);
            })(),
          );
      }
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      const answering = !lost && watch.silentMs() < ANSWERING_MS;
      watch.close();
      await closeOrDrop([events, this.encodeQueue, this.mergeQueue, this.flows], answering);
    }
  }

  /** Reads each open child's state and applies what the events did not bring; queues again what vanished. */
  private async reconcile(initial: boolean): Promise<void> {
    for (const cid of [...this.open]) {
      const task = this.tasks.get(cid)!;
      const cur = await this.opts.ledger.getTask(idOf(task));
      if (cur?.status === 'done') {
        this.settle(cid, 'done');
        continue;
      }
      const child = await this.encodeQueue.getJob(cid);
      if (!child) {
        // Gone from Redis (a Redis restarted without persistence, keys removed by hand): queued again.
        if (!initial) {
          await this.event('task.lost', `${describe(task)}: its task is no longer in Redis; queued again`, { key: task.key });
          await this.enqueue(task);
        }
        continue;
      }
      const state = await child.getState();
      if (state === 'completed') await this.result(cid, parsed<EncodeResult>(child.returnvalue));
      else if (state === 'failed' && !initial) await this.finalFailure(cid, child.failedReason ?? 'failed');
      else if (state === 'active' && cur?.status !== 'running' && child.progress && typeof child.progress === 'object') {
        // Started while no coordinator listened. (A task the ledger shows running is left to the events: the
        // progress field may hold a late report of an attempt that lost the task.)
        const start = startFromLastReport(child.progress as WorkerReport, this.opts.clock());
        if (start) await this.report(cid, start);
      }
    }
  }

  private childSpec(t: TaskRecord) {
    const threads = taskThreads(this.job, t);
    const data: EncodeMessage = {
      jobId: this.jobId,
      task: t,
      head: this.head,
      threads: threads.threads,
      decodeThreads: threads.decodeThreads,
      ...(this.opts.storeId ? { storeId: this.opts.storeId } : {}),
    };
    return {
      name: t.key,
      queueName: this.encodeQueue.name,
      data,
      opts: {
        jobId: childJobId(this.jobId, t.key),
        attempts: this.job.options.maxAttempts,
        backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 500 },
        ignoreDependencyOnFailure: true,
        removeOnComplete: { age: KEEP_SETTLED_SECONDS },
        removeOnFail: { age: KEEP_SETTLED_SECONDS },
      },
    };
  }

  /**
   * Puts the open tasks on the queue: into the job's flow while it still waits on children (a resume), else
   * as a new flow (an earlier run's settled flow is removed first). Returns how many it added.
   */
  private async queueOpen(): Promise<number> {
    const open = [...this.open].map((cid) => this.tasks.get(cid)!);
    const parent = await this.mergeQueue.getJob(this.jobId);
    if (parent && (await parent.getState()) === 'waiting-children') {
      let added = 0;
      for (const t of open) if (await this.enqueue(t, 'resume')) added++;
      return added;
    }
    // A child that completed since the flow was read (the flow's last one: its parent stopped waiting) is recorded,
    // not removed with the flow and encoded again.
    for (const t of open) {
      const cid = childJobId(this.jobId, t.key);
      const child = await this.encodeQueue.getJob(cid);
      if (child && (await child.getState()) === 'completed') await this.result(cid, parsed<EncodeResult>(child.returnvalue));
    }
    const rest = open.filter((t) => this.open.has(childJobId(this.jobId, t.key)));
    if (parent) await removeFlow(this.mergeQueue, this.encodeQueue, this.jobId, [...this.tasks.keys()]);
    // Children left without a parent (a flow removed while one was locked) would block their ids.
    for (const t of rest) await removeIfQueued(this.encodeQueue, childJobId(this.jobId, t.key), true);
    if (!rest.length) return 0;
    await this.flows.add({
      name: 'merge',
      queueName: this.mergeQueue.name,
      data: { jobId: this.jobId },
      opts: { jobId: this.jobId },
      children: rest.map((t) => this.childSpec(t)),
    });
    return rest.length;
  }

  /**
   * Queues one task again, unless its child is queued or running: a settled child is replaced; the new one
   * joins the job's flow while that waits on children, else stands alone. Returns whether it added one.
   * On a resume (`why` 'resume') a child that completed since the flow was read is not replaced: its result is
   * recorded (replacing it encoded the task a second time).
   */
  private async enqueue(t: TaskRecord, why: 'lost' | 'resume' = 'lost'): Promise<boolean> {
    const cid = childJobId(this.jobId, t.key);
    const existing = await this.encodeQueue.getJob(cid);
    if (existing) {
      const s = await existing.getState();
      if (s !== 'completed' && s !== 'failed') return false;
      if (s === 'completed' && why === 'resume') {
        await this.result(cid, parsed<EncodeResult>(existing.returnvalue));
        return false;
      }
      await existing.remove();
    }
    const parent = await this.mergeQueue.getJob(this.jobId);
    const live = parent && (await parent.getState()) === 'waiting-children';
    const c = this.childSpec(t);
    await this.encodeQueue.add(c.name, c.data, {
      ...c.opts,
      ...(live ? { parent: { id: this.jobId, queue: this.mergeQueue.qualifiedName } } : {}),
    });
    return true;
  }

  private async report(cid: string, r: WorkerReport): Promise<void> {
    await this.rules.applyReport(this.tasks.get(cid)!, r);
  }

  /**
   * A result BullMQ accepted (the worker held the lock to its end): recorded, unless the task is done. One that
   * cannot be recorded (its file is gone from the store) queues the task again.
   */
  private async result(cid: string, r: EncodeResult): Promise<void> {
    const { ledger, blobs } = this.opts;
    const task = this.tasks.get(cid)!;
    const id = idOf(task);
    const cur = await ledger.getTask(id);
    if (!cur) return;
    if (cur.status === 'done') {
      this.settle(cid, 'done');
      if (cur.worker !== r.worker || cur.checksum !== r.patch.checksum) {
        await this.event('task.refused', `${describe(task)}: a late result from ${r.worker} was refused (done by ${cur.worker})`, {
          key: task.key,
          worker: r.worker,
        });
      }
      return;
    }
    let stored;
    try {
      try {
        stored = await blobs.moveBlob(r.attemptKey, cur.outputKey);
      } catch (err) {
        // Moved already by a coordinator that stopped before recording it.
        stored = await blobs.stat(cur.outputKey, { verify: true });
        if (!stored || stored.checksum !== r.patch.checksum) throw err;
      }
      if (stored.checksum !== r.patch.checksum)
        throw new Error(
          `the store holds other bytes than ${r.worker} wrote (sha256 ${stored.checksum.slice(0, 12)}, expected ${String(r.patch.checksum).slice(0, 12)})`,
        );
    } catch (err) {
      const n = (this.lostResults.get(cid) ?? 0) + 1;
      this.lostResults.set(cid, n);
      if (n >= this.job.options.maxAttempts) {
        await this.finalFailure(cid, `its result could not be recorded ${n} times: ${oneLine(err)}`);
        return;
      }
      await this.event('task.lost', `${describe(task)}: the result of ${r.worker} could not be recorded (${oneLine(err)}); queued again`, {
        key: task.key,
      });
      await this.enqueue(task);
      return;
    }
    await this.rules.recordResult(task, cur, r, stored);
    this.settle(cid, 'done');
    await this.opts.onTaskDone?.(this.jobId);
  }

  /** A failed event: final when the child is in BullMQ's failed state (no attempt left, or not retryable). */
  private async failure(cid: string, reason: string): Promise<void> {
    const child = await this.encodeQueue.getJob(cid);
    const state = child ? await child.getState() : 'unknown';
    if (state === 'failed') await this.finalFailure(cid, reason);
  }

  private async finalFailure(cid: string, reason: string): Promise<void> {
    const { ledger } = this.opts;
    const task = this.tasks.get(cid)!;
    const id = idOf(task);
    const cur = await ledger.getTask(id);
    if (!cur || cur.status === 'done') return;
    if (cur.status !== 'failed') {
      await failTaskForGood(ledger, cur, { error: reason, finishedAt: this.opts.clock() }).catch(() => undefined);
      await this.event('task.failed', `${describe(task)} failed: ${reason}`, { key: task.key });
    }
    this.settle(cid, 'failed');
  }
}

async function removeIfQueued(queue: Queue, cid: string, settledToo = false): Promise<void> {
  const job: Job | undefined = await queue.getJob(cid);
  if (!job) return;
  const state = await job.getState();
  const queued = state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children';
  if (queued || (settledToo && (state === 'completed' || state === 'failed'))) await job.remove().catch(() => undefined);
}

/**
 * Removes the job's parent and its children. BullMQ refuses to remove a flow while a child is locked by a
 * worker: then every child not running is removed, and what is left expires (KEEP_SETTLED_SECONDS).
 */
export async function removeFlow(mergeQueue: Queue, encodeQueue: Queue, jobId: string, childIds: string[]): Promise<void> {
  const parent = await mergeQueue.getJob(jobId);
  const removed = parent
    ? await parent.remove({ removeChildren: true }).then(
        () => true,
        () => false,
      )
    : true;
  if (removed && !childIds.length) return;
  for (const cid of childIds) {
    const child = await encodeQueue.getJob(cid);
    if (child && (await child.getState()) !== 'active') await child.remove().catch(() => undefined);
  }
  if (!removed) await parent?.remove({ removeChildren: false }).catch(() => undefined);
}
