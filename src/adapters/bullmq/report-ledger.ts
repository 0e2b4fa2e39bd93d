/**
 * The ledger a cluster worker's encode sees: one task and its job head, from the encode message, with every
 * write sent to the coordinator as a report (BullMQ job progress) instead of stored. The coordinator owns the
 * record and applies each report against it with its own conditions (a report of an attempt it no longer
 * counts is dropped), so the conditions here guard only this attempt's own sequence.
 */
import { ConditionFailedError, UsageError } from '../../core/errors.js';
import { isEventType } from '../../core/lifecycle.js';
import type { JobEvent, JobHead, JobStatus, TaskRecord, TaskStatus } from '../../core/types.js';
import type { JobPatch, Ledger, TaskId, TaskLive, TaskPatch } from '../../ports/ledger.js';
import type { WorkerReport } from './protocol.js';

/**
 * The task events the coordinator writes itself from the transitions (it knows the attempt's number across
 * workers; this worker does not).
 */
const TRANSITION_EVENTS = new Set(['task.started', 'task.done', 'task.failed']);

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class ReportLedger implements Ledger {
  private task: TaskRecord;
  private head: JobHead;
  private seq = 0;
  /** The done transition's fields, once the encode got there. */
  donePatch: TaskPatch | undefined;

  constructor(
    head: JobHead,
    task: TaskRecord,
    private readonly worker: string,
    private readonly send: (r: WorkerReport) => Promise<void>,
    private readonly frames: () => number | undefined,
    /** Told when the encode finds the job's segments must be read by pre-roll (the worker keeps it for the job's next tasks). */
    private readonly onCutFallback: (reason: string) => void = () => undefined,
  ) {
    this.head = head;
    this.task = task;
    this.attemptKey = task.outputKey;
  }

  /** This attempt's file key: it names the attempt in every report. */
  private readonly attemptKey: string;

  private detached = false;

  /** This attempt lost the task (its lock): nothing it says from now on is sent. */
  detach(): void {
    this.detached = true;
  }

  private report(r: DistributiveOmit<WorkerReport, 'worker' | 'attemptKey'>): Promise<void> {
    if (this.detached) return Promise.resolve();
    return this.send({ ...r, worker: this.worker, attemptKey: this.attemptKey });
  }

  private mine(id: TaskId): void {
    if (id.jobId !== this.task.jobId || id.kind !== this.task.kind || id.index !== this.task.index) {
      throw new UsageError(`a cluster worker's encode may touch only its own task (${this.task.key})`);
    }
  }

  async getJobHead(jobId: string): Promise<JobHead | undefined> {
    return jobId === this.head.id ? this.head : undefined;
  }

  async getTask(id: TaskId): Promise<TaskRecord | undefined> {
    this.mine(id);
    return this.task;
  }

  async updateJob(jobId: string, _from: readonly JobStatus[], _to: JobStatus, patch: JobPatch = {}): Promise<never> {
    // The one job write an encode makes: a segment that must be read by pre-roll tells the job.
    if (jobId === this.head.id && patch.cutFallback) {
      this.head = { ...this.head, cutFallback: patch.cutFallback };
      this.onCutFallback(patch.cutFallback);
      await this.report({ t: 'cut-fallback', reason: patch.cutFallback });
    }
    // The caller ignores the result (best effort); a full job record is not known here.
    throw new UsageError('the job record is kept by the coordinator');
  }

  async transitionTask(
    id: TaskId,
    from: readonly TaskStatus[],
    to: TaskStatus,
    patch: TaskPatch = {},
    ifAttempts?: number,
  ): Promise<TaskRecord> {
    this.mine(id);
    const cur = this.task;
    if (!from.includes(cur.status) || (ifAttempts !== undefined && ifAttempts !== cur.attempts)) {
      throw new ConditionFailedError(`${cur.key} is ${cur.status}, not ${from.join('/')}`, cur);
    }
    const { clearError, ...fields } = patch;
    const next: TaskRecord = { ...cur, ...fields, status: to };
    if (clearError) delete next.error;
    this.task = next;
    if (to === 'running') await this.report({ t: 'started', at: next.startedAt ?? Date.now() });
    else if (to === 'done') this.donePatch = patch;
    else if (to === 'failed') await this.report({ t: 'failed', patch });
    else if (to === 'pending') await this.report({ t: 'handback' });
    return next;
  }

  async heartbeat(id: TaskId, at: number, live: TaskLive = {}): Promise<void> {
    this.mine(id);
    if (this.task.status !== 'running') return;
    const frames = live.progress?.frames ?? this.frames();
    const fps = live.progress?.fps;
    await this.report({
      t: 'beat',
      at,
      ...(frames !== undefined ? { frames } : {}),
      ...(fps !== undefined ? { fps } : {}),
      ...(live.args ? { args: live.args } : {}),
      ...(live.quality ? { quality: live.quality } : {}),
    });
    if (live.quality) this.task = { ...this.task, quality: live.quality };
  }

  async appendEvent(event: Omit<JobEvent, 'seq'>): Promise<JobEvent> {
    // The use-cases write only the types of the union (app/deps.ts emit); anything else is not sent.
    if (isEventType(event.type) && !TRANSITION_EVENTS.has(event.type)) {
      await this.report({ t: 'event', type: event.type, message: event.message, ...(event.data ? { data: event.data } : {}) });
    }
    return { ...event, seq: ++this.seq };
  }

  private coordinatorOnly(): Promise<never> {
    return Promise.reject(new UsageError('only the coordinator reads and writes the ledger'));
  }

  createJob(): Promise<void> {
    return this.coordinatorOnly();
  }
  getJob(): Promise<undefined> {
    return this.coordinatorOnly();
  }
  taskProgress(): Promise<never> {
    return this.coordinatorOnly();
  }
  listJobs(): Promise<never> {
    return this.coordinatorOnly();
  }
  putTasks(): Promise<void> {
    return this.coordinatorOnly();
  }
  listTasks(): Promise<never> {
    return this.coordinatorOnly();
  }
  listEvents(): Promise<never> {
    return this.coordinatorOnly();
  }
  deleteJob(): Promise<void> {
    return this.coordinatorOnly();
  }
  listJobIdsUpdatedBefore(): Promise<never> {
    return this.coordinatorOnly();
  }
  async close(): Promise<void> {}
}
