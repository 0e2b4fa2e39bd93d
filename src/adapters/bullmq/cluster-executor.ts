/**
 * The cluster's Executor, run by the coordinator: the tasks become one BullMQ flow (a parent join job on the
 * merge queue, an encode child per task with an id derived from its key, so adding again is a no-op) and the
 * workers' reports and results are applied to the ledger here, one at a time, with the ledger's conditions:
 * a report from a worker that no longer holds the task changes nothing, a result for a task already done is
 * refused. The accepted attempt's file is moved to the task's key. The flow is read back on start, so a
 * coordinator that died mid-job and is resumed takes up what the workers did meanwhile.
 */
import { FlowProducer, Queue, QueueEvents, type Job } from 'bullmq';
import { ConditionFailedError } from '../../core/errors.js';
import { taskThreads } from '../../core/segment-threads.js';
import type { JobHead, JobRecord, TaskRecord } from '../../core/types.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { Executor, ExecutorRunResult } from '../../ports/executor.js';
import type { Ledger, TaskId } from '../../ports/ledger.js';
import { childJobId, jobIdOfChild, type ClusterQueues, type EncodeMessage, type EncodeResult, type WorkerReport } from './protocol.js';
import { redisOptions } from './redis.js';

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
  /** Delay before a failed task's next attempt: exponential from this (default 500 ms). */
  backoffMs?: number;
}

const idOf = (t: TaskRecord): TaskId => ({ jobId: t.jobId, kind: t.kind, index: t.index });

function describe(t: TaskRecord): string {
  return t.kind === 'audio' ? 'the audio track' : `segment ${t.index}`;
}

function parsed<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

export class ClusterExecutor implements Executor {
  readonly followsRunningTasks = true;

  constructor(private readonly opts: ClusterExecutorOptions) {}

  async run(jobId: string, taskIds: TaskId[], signal?: AbortSignal): Promise<ExecutorRunResult> {
    const { ledger } = this.opts;
    const connection = redisOptions(this.opts.redisUrl);
    const job = (await ledger.getJob(jobId))!;
    const head = (await ledger.getJobHead(jobId))!;
    const tasks = new Map<string, TaskRecord>();
    for (const id of taskIds) {
      const t = await ledger.getTask(id);
      if (t) tasks.set(childJobId(jobId, t.key), t);
    }
    /** Children not settled yet (done, or failed with no attempt left). */
    const open = new Set(tasks.keys());
    const failed = new Set<string>();
    const { queues } = this.opts;
    const encodeQueue = new Queue(queues.encode, { connection });
    const mergeQueue = new Queue(queues.merge, { connection });
    const flows = new FlowProducer({ connection });
    const events = new QueueEvents(queues.encode, { connection });
    let wake: () => void = () => undefined;
    // Applied one at a time, in the order they came.
    let chain: Promise<void> = Promise.resolve();
    const serial = (fn: () => Promise<void>) => {
      chain = chain.then(fn).catch(() => undefined).then(() => wake());
      return chain;
    };
    const ours = (childId: string) => jobIdOfChild(childId) === jobId && tasks.has(childId);
    const apply = new Applier(this.opts, jobId, (childId, outcome) => {
      open.delete(childId);
      if (outcome === 'failed') failed.add(childId);
      else failed.delete(childId);
    });
    try {
      events.on('progress', ({ jobId: cid, data }) => {
        if (ours(cid)) void serial(() => apply.report(tasks.get(cid)!, parsed<WorkerReport>(data)));
      });
      events.on('completed', ({ jobId: cid, returnvalue }) => {
        if (ours(cid)) void serial(() => apply.result(cid, tasks.get(cid)!, parsed<EncodeResult>(returnvalue)));
      });
      events.on('failed', ({ jobId: cid, failedReason }) => {
        if (ours(cid)) void serial(() => this.settleFailure(encodeQueue, apply, cid, tasks.get(cid)!, failedReason));
      });
      events.on('stalled', ({ jobId: cid }) => {
        if (ours(cid)) void serial(() => apply.stalled(tasks.get(cid)!));
      });
      events.on('error', () => undefined);
      await events.waitUntilReady();
      // What the workers did while no coordinator listened (a resume after this process died).
      await serial(() => this.reconcile(encodeQueue, apply, tasks, open));
      const queued = await this.addFlow(jobId, job, head, [...open].map((cid) => tasks.get(cid)!), encodeQueue, mergeQueue, flows);
      if (open.size) await apply.event('cluster.queued', `${open.size} task(s) on the queue ${queues.encode}${queued ? ` (${queued} added)` : ''}`, { queue: queues.encode, open: open.size, added: queued });
      const reconcileMs = this.opts.reconcileMs ?? 5000;
      let last = this.opts.clock();
      const onAbort = () => wake();
      signal?.addEventListener('abort', onAbort, { once: true });
      while (open.size && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, reconcileMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        if (open.size && this.opts.clock() - last >= reconcileMs) {
          last = this.opts.clock();
          await serial(() => this.reconcile(encodeQueue, apply, tasks, open));
        }
      }
      signal?.removeEventListener('abort', onAbort);
      await chain;
      if (signal?.aborted) {
        // Stopped: the tasks not started are taken off the queue; the running ones end on their workers and
        // their results are taken up by the next resume.
        for (const cid of open) await removeIfQueued(encodeQueue, cid);
        throw signal.reason ?? new Error('aborted');
      }
      // The ledger holds the outcome now: the flow leaves Redis.
      await removeFlow(mergeQueue, jobId);
      const ids = [...failed].map((cid) => idOf(tasks.get(cid)!));
      return { failed: ids };
    } finally {
      await Promise.allSettled([events.close(), encodeQueue.close(), mergeQueue.close(), flows.close()]);
    }
  }

  /** A failed event: final when the child is in BullMQ's failed state (no attempt left, or not retryable). */
  private async settleFailure(queue: Queue, apply: Applier, cid: string, task: TaskRecord, reason: string): Promise<void> {
    const child = await queue.getJob(cid);
    const state = child ? await child.getState() : 'unknown';
    if (state === 'failed' || state === 'unknown') await apply.finalFailure(cid, task, reason);
  }

  /** Reads each open child's state and applies what the events did not bring. */
  private async reconcile(queue: Queue, apply: Applier, tasks: Map<string, TaskRecord>, open: Set<string>): Promise<void> {
    for (const cid of [...open]) {
      const task = tasks.get(cid)!;
      const cur = await this.opts.ledger.getTask(idOf(task));
      if (cur?.status === 'done') {
        open.delete(cid);
        continue;
      }
      const child = await queue.getJob(cid);
      if (!child) continue;
      const state = await child.getState();
      if (state === 'completed') await apply.result(cid, task, parsed<EncodeResult>(child.returnvalue));
      else if (state === 'failed') await apply.finalFailure(cid, task, child.failedReason ?? 'failed');
      else if (state === 'active' && cur?.status !== 'running' && child.progress && typeof child.progress === 'object') {
        // Started while no coordinator listened. (A task the ledger shows running is left to the events: the
        // progress field may hold a late report of a worker that lost the task.)
        const last = child.progress as WorkerReport;
        await apply.report(task, { t: 'started', worker: last.worker, at: this.opts.clock(), attemptKey: '' });
      }
    }
  }

  /**
   * Puts the open tasks on the queue: into the job's flow while it still waits on children (a resume; a child
   * that failed for good is replaced), else as a new flow (an earlier run's settled flow is removed first).
   */
  /** Returns how many children it added. */
  private async addFlow(jobId: string, job: JobRecord, head: JobHead, open: TaskRecord[], encodeQueue: Queue, mergeQueue: Queue, flows: FlowProducer): Promise<number> {
    const child = (t: TaskRecord) => {
      const threads = taskThreads(job, t);
      const data: EncodeMessage = {
        jobId, task: t, head, threads: threads.threads, decodeThreads: threads.decodeThreads,
        ...(this.opts.storeId ? { storeId: this.opts.storeId } : {}),
      };
      return {
        name: t.key, queueName: encodeQueue.name, data,
        opts: {
          jobId: childJobId(jobId, t.key), attempts: job.options.maxAttempts,
          backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 500 },
          ignoreDependencyOnFailure: true, removeOnComplete: false, removeOnFail: false,
        },
      };
    };
    const parent = await mergeQueue.getJob(jobId);
    const state = parent ? await parent.getState() : undefined;
    if (parent && state === 'waiting-children') {
      let added = 0;
      for (const t of open) {
        const cid = childJobId(jobId, t.key);
        const existing = await encodeQueue.getJob(cid);
        const s = existing ? await existing.getState() : undefined;
        if (existing && s !== 'failed') continue;
        if (existing) await existing.remove().catch(() => undefined);
        const c = child(t);
        await encodeQueue.add(c.name, c.data, { ...c.opts, parent: { id: jobId, queue: mergeQueue.qualifiedName } });
        added++;
      }
      return added;
    }
    if (parent) await removeFlow(mergeQueue, jobId);
    // Children left without a parent (a flow removed while one was locked) would block their ids.
    for (const t of open) await removeIfQueued(encodeQueue, childJobId(jobId, t.key), true);
    if (!open.length) return 0;
    await flows.add({ name: 'merge', queueName: mergeQueue.name, data: { jobId }, opts: { jobId }, children: open.map(child) });
    return open.length;
  }
}

async function removeIfQueued(queue: Queue, cid: string, settledToo = false): Promise<void> {
  const job: Job | undefined = await queue.getJob(cid);
  if (!job) return;
  const state = await job.getState();
  const queued = state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children';
  if (queued || (settledToo && (state === 'completed' || state === 'failed'))) await job.remove().catch(() => undefined);
}

/** Removes the job's parent and its children; a child still locked by a worker stays until it ends. */
export async function removeFlow(mergeQueue: Queue, jobId: string): Promise<void> {
  const parent = await mergeQueue.getJob(jobId);
  await parent?.remove({ removeChildren: true }).catch(() => undefined);
}

/** Applies reports and results to the ledger. */
class Applier {
  constructor(private readonly opts: ClusterExecutorOptions, private readonly jobId: string, private readonly settled: (cid: string, outcome: 'done' | 'failed') => void) {}

  async event(type: string, message: string, data?: Record<string, unknown>): Promise<void> {
    await this.opts.ledger.appendEvent({ jobId: this.jobId, at: this.opts.clock(), type, message, ...(data ? { data } : {}) }).catch(() => undefined);
  }

  async report(task: TaskRecord, r: WorkerReport): Promise<void> {
    const { ledger } = this.opts;
    const id = idOf(task);
    const cur = await ledger.getTask(id);
    if (!cur || cur.status === 'done') return;
    const holds = cur.status === 'running' && cur.worker === r.worker;
    try {
      switch (r.t) {
        case 'started': {
          if (holds) return;
          const now = this.opts.clock();
          const attempt = cur.attempts + 1;
          await ledger.transitionTask(id, [cur.status], 'running', { attempts: attempt, worker: r.worker, startedAt: r.at, heartbeatAt: now, clearError: true }, cur.attempts);
          if (cur.status === 'running' && cur.worker) {
            await this.event('task.requeued', `${describe(task)}: ${cur.worker} stopped renewing its lock; the task went back to the queue`, { key: task.key, from: cur.worker });
          }
          await this.event('task.started', `${describe(task)}: attempt ${attempt} on ${r.worker}`, { key: task.key, attempt, worker: r.worker });
          return;
        }
        case 'beat':
          if (!holds) return;
          await ledger.heartbeat(id, this.opts.clock());
          if (r.frames !== undefined) this.opts.onProgress?.({ key: task.key, frames: r.frames });
          return;
        case 'event':
          await this.event(r.type, r.message, r.data);
          return;
        case 'cut-fallback': {
          const head = await ledger.getJobHead(this.jobId);
          if (head && !head.cutFallback) await ledger.updateJob(this.jobId, [head.status], head.status, { cutFallback: r.reason });
          return;
        }
        case 'failed':
          if (!holds) return;
          await ledger.transitionTask(id, ['running'], 'failed', r.patch, cur.attempts);
          await this.event('task.failed', `${describe(task)} attempt ${cur.attempts} failed on ${r.worker}: ${r.patch.error ?? 'unknown error'}`, { key: task.key, attempt: cur.attempts });
          return;
        case 'handback':
          if (!holds) return;
          await ledger.transitionTask(id, ['running'], 'pending', { attempts: Math.max(0, cur.attempts - 1) }, cur.attempts);
          await this.event('task.handed-back', `${describe(task)}: ${r.worker} is stopping and handed the task back`, { key: task.key });
          return;
      }
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }

  /** A result BullMQ accepted (the worker held the lock to its end): recorded, unless the task is done. */
  async result(cid: string, task: TaskRecord, r: EncodeResult): Promise<void> {
    const { ledger, blobs } = this.opts;
    const id = idOf(task);
    const cur = await ledger.getTask(id);
    if (!cur) return;
    if (cur.status === 'done') {
      this.settled(cid, 'done');
      if (cur.worker !== r.worker || cur.checksum !== r.patch.checksum) {
        await this.event('task.refused', `${describe(task)}: a late result from ${r.worker} was refused (done by ${cur.worker})`, { key: task.key, worker: r.worker });
      }
      return;
    }
    let stored;
    try {
      stored = await blobs.moveBlob(r.attemptKey, cur.outputKey);
    } catch (err) {
      // Moved already by a coordinator that stopped before recording it.
      stored = await blobs.stat(cur.outputKey);
      if (!stored || stored.checksum !== r.patch.checksum) throw err;
    }
    if (stored.checksum !== r.patch.checksum) {
      await this.finalFailure(cid, task, `the store holds other bytes than ${r.worker} wrote for ${task.key} (sha256 ${stored.checksum.slice(0, 12)}, expected ${String(r.patch.checksum).slice(0, 12)})`);
      return;
    }
    const attempts = cur.status === 'running' && cur.worker === r.worker ? cur.attempts : cur.attempts + 1;
    await ledger.transitionTask(id, [cur.status], 'done', { ...r.patch, attempts, worker: r.worker, sizeBytes: stored.sizeBytes, checksum: stored.checksum, clearError: true }, cur.attempts);
    const wall = r.patch.wallMs ?? 0;
    await this.event('task.done', `${describe(task)} done in ${(wall / 1000).toFixed(1)} s on ${r.worker}`, {
      key: task.key, wallMs: wall, cpuSeconds: r.patch.cpuSeconds, sizeBytes: stored.sizeBytes, worker: r.worker,
    });
    this.settled(cid, 'done');
  }

  async finalFailure(cid: string, task: TaskRecord, reason: string): Promise<void> {
    const { ledger } = this.opts;
    const id = idOf(task);
    const cur = await ledger.getTask(id);
    if (!cur || cur.status === 'done') return;
    if (cur.status !== 'failed') {
      await ledger.transitionTask(id, [cur.status], 'failed', { error: reason, finishedAt: this.opts.clock() }, cur.attempts).catch(() => undefined);
      await this.event('task.failed', `${describe(task)} failed: ${reason}`, { key: task.key });
    }
    this.settled(cid, 'failed');
  }

  async stalled(task: TaskRecord): Promise<void> {
    await this.event('task.stalled', `${describe(task)}: its worker stopped renewing its lock; back to the queue`, { key: task.key });
  }
}

