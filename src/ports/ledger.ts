/**
 * The ledger: the source of truth for jobs, their tasks (video segments and the audio track) and an event log.
 * Every status change is a conditional write: the caller names the statuses it expects the record to be in,
 * and a record in any other state makes the call throw `ConditionFailedError` carrying the current record.
 * Implementations: `SqliteLedger` (adapters/sqlite), `DynamoDbLedger` (adapters/aws).
 */
import type {
  JobEvent,
  JobHead,
  JobRecord,
  JobStatus,
  JobSummary,
  SegmentQuality,
  TaskKind,
  TaskLiveProgress,
  TaskRecord,
  TaskStatus,
} from '../core/types.js';

export type NewTask = Omit<TaskRecord, 'status' | 'attempts'>;

/** Fields a job update may set besides its status (undefined fields are left as they are). */
export type JobPatch = Partial<
  Pick<
    JobRecord,
    'analysis' | 'plan' | 'startedAt' | 'finishedAt' | 'error' | 'errorKind' | 'timings' | 'result' | 'options' | 'runner' | 'cutFallback'
  >
> & {
  /** Set `error` to null to clear it. */
  clearError?: boolean;
};

/** Fields a task transition may set besides its status. */
export type TaskPatch = Partial<
  Pick<
    TaskRecord,
    | 'attempts'
    | 'worker'
    | 'startedAt'
    | 'finishedAt'
    | 'heartbeatAt'
    | 'cpuSeconds'
    | 'wallMs'
    | 'args'
    | 'exitCode'
    | 'stderrTail'
    | 'sizeBytes'
    | 'checksum'
    | 'error'
    | 'quality'
  >
> & { clearError?: boolean };

export interface TaskProgressCounts {
  videoTotal: number;
  videoDone: number;
  framesTotal: number;
  framesDone: number;
}

export interface TaskId {
  jobId: string;
  kind: TaskKind;
  index: number;
}

/** What a running attempt writes with its heartbeat. */
export interface TaskLive {
  progress?: TaskLiveProgress;
  args?: string[];
  /** A targeted segment's trials so far: kept through later transitions, so a new attempt re-uses them. */
  quality?: SegmentQuality;
}

export interface Ledger {
  /**
   * When the job's records are deleted by the store itself (DynamoDB's TTL: all of a job's items at once), ms,
   * with the job's creation time; absent on a ledger that keeps records until `gc` (SQLite, the cluster's).
   */
  recordsExpireAt?(jobId: string): Promise<{ at: number; createdAt: number } | undefined>;
  /** Creates a job; fails with ConditionFailedError if the id exists. */
  createJob(job: JobRecord): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  /**
   * The job without its frame and segment lists (what one task needs): on DynamoDB one small read of the job
   * item, where getJob also reads the chunk items holding those lists.
   */
  getJobHead(jobId: string): Promise<JobHead | undefined>;
  /**
   * Video tasks planned and done, and their frames, for progress. On DynamoDB counters on the job item, kept
   * by transitionTask in a second write (progress only: a crash between the two leaves them off by one task).
   */
  taskProgress(jobId: string): Promise<TaskProgressCounts>;
  /** Newest first. */
  listJobs(opts?: { limit?: number }): Promise<JobSummary[]>;
  /** Moves a job to `to` if its status is one of `from`, applying `patch`. Returns the updated record. */
  updateJob(jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch, now?: number): Promise<JobRecord>;
  /** Writes the planned tasks once (all pending); fails with ConditionFailedError if the job already has tasks. */
  putTasks(tasks: NewTask[]): Promise<void>;
  getTask(id: TaskId): Promise<TaskRecord | undefined>;
  /** All tasks of a job: video segments by index, then audio. */
  listTasks(jobId: string): Promise<TaskRecord[]>;
  /** Moves a task to `to` if its status is one of `from` (and, when given, its attempts equal `ifAttempts`). */
  transitionTask(id: TaskId, from: readonly TaskStatus[], to: TaskStatus, patch?: TaskPatch, ifAttempts?: number): Promise<TaskRecord>;
  /**
   * Refreshes a running task's heartbeat, with what the attempt shows so far (its progress, its ffmpeg command
   * once built); no-op if it is no longer running.
   */
  heartbeat(id: TaskId, at: number, live?: TaskLive): Promise<void>;
  /** Appends an event; the ledger assigns `seq` (increasing per job). */
  appendEvent(event: Omit<JobEvent, 'seq'>): Promise<JobEvent>;
  /** Events with seq > afterSeq, oldest first. */
  listEvents(jobId: string, afterSeq?: number): Promise<JobEvent[]>;
  /** Removes a job with its tasks and events. */
  deleteJob(jobId: string): Promise<void>;
  /** Ids of jobs last updated before `before` (epoch ms), for garbage collection. */
  listJobIdsUpdatedBefore(before: number): Promise<string[]>;
  close(): Promise<void>;
}
