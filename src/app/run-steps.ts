/**
 * The steps of one run of a job, the same in every home: start the run, encode each task, merge + verify +
 * commit, finish; `failRun` (run-failure.ts) when it does not get there. runJob (run-job.ts) calls them in a row
 * around an Executor; a workflow engine that runs a job as separate invocations (the Step Functions state
 * machine, infra/workflow.asl.json) calls one per state, through handlers of a few lines (src/lambda). Each is
 * idempotent, since an engine may deliver a step twice: a finished step returns what it recorded and does
 * nothing again.
 */
import { ConditionFailedError, InputError, NotFoundError, TaskBusyError } from '../core/errors.js';
import { taskThreads } from '../core/segment-threads.js';
import { analyzed } from '../core/job-head.js';
import type { AnalyzedJob, JobRecord, TaskRecord } from '../core/types.js';
import type { TaskId } from '../ports/ledger.js';
import { analyzeJob } from './analyze-job.js';
import { commitMergedOutput, finishJob } from './complete-job.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { checkSpace } from './disk-space.js';
import { encodeTask } from './encode-task.js';
import { reclaimStaleTasks, repairLostOutputs, STALE_TASK_MS } from './job-lease.js';
import { claimForRetry, holdLease, reclaimTask, reopenAnalysis, restartRun, taskIdOf } from './transitions.js';

/** What a run has still to encode, in encode order; for a workflow, also as segment indices and the audio flag. */
export interface RunPlan {
  todo: TaskId[];
  segments: number[];
  /** How many segments (the workflow's Choice picks the Map by it). */
  segmentCount: number;
  audio: boolean;
}

export interface StartOptions {
  /** A running task whose heartbeat is older than this is reclaimed (default STALE_TASK_MS). */
  staleMs?: number;
  /** Reclaim running tasks whose worker cannot be checked from here, however fresh (`resume --force`). */
  force?: boolean;
  /** The executor follows tasks left running (a cluster's queue): they are not reclaimed. */
  followsRunningTasks?: boolean;
}

async function existingJob(deps: AppDeps, jobId: string): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new NotFoundError(`no job ${jobId} in the ledger`);
  return job;
}

/** Encode order: the audio track first (it runs beside the video), then segments longest first. */
export function pendingTasks(job: Pick<AnalyzedJob, 'plan'>, tasks: TaskRecord[]): TaskId[] {
  const byIndex = new Map(tasks.filter((t) => t.kind === 'video').map((t) => [t.index, t]));
  const order: TaskId[] = tasks.filter((t) => t.kind === 'audio' && t.status !== 'done').map(taskIdOf);
  for (const i of job.plan.encodeOrder) {
    const t = byIndex.get(i);
    if (t && t.status !== 'done') order.push(taskIdOf(t));
  }
  return order;
}

/**
 * Starts (or restarts) a run: takes the job's lease, analyzes a new job (or one whose analysis never
 * finished), or moves a failed, stopped or interrupted one back to `encoding`, reclaiming tasks left running by
 * dead workers. Then every done task whose file is gone is put back to pending, and the free space is checked
 * for what is left. Returns only the tasks not done, so a restarted job re-encodes nothing that finished.
 */
export async function startRun(deps: AppDeps, jobId: string, opts: StartOptions = {}): Promise<RunPlan> {
  let job = await existingJob(deps, jobId);
  if (job.status === 'done') return { todo: [], segments: [], segmentCount: 0, audio: false };
  // The job-level lease: a `resume` from another process is refused while this one is alive.
  if (job.runner !== deps.workerId) job = await holdLease(deps.ledger, job, deps.workerId);
  // No plan yet: the analysis did not finish (interrupted, or failed and now retried): analyze again.
  if (!job.plan && (job.status === 'analyzing' || job.status === 'failed' || job.status === 'cancelled')) {
    job = await reopenAnalysis(deps.ledger, job);
  }
  if (job.status === 'created') {
    job = await analyzeJob(deps, jobId);
  } else {
    const reclaimed = opts.followsRunningTasks
      ? 0
      : await reclaimStaleTasks(deps, jobId, opts.staleMs ?? STALE_TASK_MS, opts.force === true);
    job = await restartRun(deps.ledger, job, deps.clock());
    await emit(deps, jobId, 'job.resumed', `new run: only tasks not done are run${reclaimed ? ` (${reclaimed} reclaimed)` : ''}`);
  }
  const tasks = await repairLostOutputs(deps, jobId, await deps.ledger.listTasks(jobId));
  // Before any encode: room for what the rest of the job writes (a failed check leaves the job resumable).
  const planned = analyzed(job);
  await checkSpace(deps, planned, tasks);
  const todo = pendingTasks(planned, tasks);
  const segments = todo.filter((t) => t.kind === 'video').map((t) => t.index);
  return { todo, segments, segmentCount: segments.length, audio: todo.some((t) => t.kind === 'audio') };
}

export interface EncodeStepOptions {
  /** Threads for ffmpeg; default the job's own for this segment (core/segment-threads.ts). */
  threads?: number;
  signal?: AbortSignal;
  staleMs?: number;
}

/**
 * Encodes one task. A task already done returns its record (a redelivered invocation encodes nothing); one
 * left running by a dead invocation is reclaimed; one running elsewhere right now is refused (TaskBusyError),
 * and the workflow tries again once that encode has had time to end or go stale.
 */
export async function encodeStep(deps: AppDeps, id: TaskId, opts: EncodeStepOptions = {}): Promise<TaskRecord> {
  const task = await deps.ledger.getTask(id);
  if (task?.status === 'running') {
    const alive = task.worker ? deps.isWorkerAlive?.(task.worker) : undefined;
    const age = deps.clock() - (task.heartbeatAt ?? 0);
    if (alive !== false && age <= (opts.staleMs ?? STALE_TASK_MS)) {
      throw new TaskBusyError(
        `${task.key} is being encoded by ${task.worker ?? 'another worker'} (heartbeat ${Math.round(age / 1000)} s ago)`,
      );
    }
    await reclaimTask(deps.ledger, task);
    await emit(deps, id.jobId, 'task.reclaimed', `${task.key} was left running by ${task.worker}; it will be encoded again`);
  }
  // Without explicit threads (a local worker pool, the emulated workflow): the job's own split.
  const threads = opts.threads !== undefined ? { threads: opts.threads } : taskThreads(await existingJob(deps, id.jobId), id);
  return encodeTask(deps, id, { ...threads, ...(opts.signal ? { signal: opts.signal } : {}) });
}

/** Start of this run's encoding: the earliest task started since the run began (or the run's start). */
function encodeStartOf(job: JobRecord, tasks: TaskRecord[]): number {
  const runStart = job.startedAt ?? job.createdAt;
  const starts = tasks.map((t) => t.startedAt ?? 0).filter((s) => s >= runStart);
  return starts.length ? Math.min(...starts) : runStart;
}

/**
 * Merges, verifies and commits the output; a job already past this point is returned as it is. A failed job
 * whose tasks are now all done (a Step Functions redrive re-ran the failed segment) is merged too.
 */
export async function mergeStep(deps: AppDeps, jobId: string): Promise<JobRecord> {
  let job = await existingJob(deps, jobId);
  if (job.status === 'done' || (job.status === 'verifying' && job.result)) return job;
  const tasks = await deps.ledger.listTasks(jobId);
  const notDone = tasks.filter((t) => t.status !== 'done');
  if (!job.plan || notDone.length) {
    const why = notDone.length ? `${notDone.length} task(s) not done (${notDone[0]!.key} is ${notDone[0]!.status})` : 'it has no plan';
    throw new NotFoundError(`cannot merge job ${jobId}: ${why}`);
  }
  if (job.status !== 'encoding') {
    // A previous invocation died half-way (merging, verifying), or the execution failed and is redriven from
    // its failed states (failed): merge again (the output is only ever written whole).
    job = await restartRun(deps.ledger, job, job.startedAt ?? deps.clock());
  }
  return commitMergedOutput(deps, jobId, encodeStartOf(job, tasks));
}

/** Marks a merged job done and deletes its temp files; for a job already done, only the clean-up. */
export async function finishStep(deps: AppDeps, jobId: string): Promise<JobRecord> {
  const job = await existingJob(deps, jobId);
  if (job.status === 'done') {
    await deps.blobs.deletePrefix(`${jobId}/`);
    return job;
  }
  return finishJob(deps, jobId, deps.clock() - (job.startedAt ?? deps.clock()));
}

/** How long before its records go a retry is still started: what a run may take, at most a quarter of their life. */
export const RETRY_EXPIRY_MARGIN_MS = 6 * 3600_000;

/**
 * A retry needs the job's records for as long as its run takes: on a ledger whose records expire (DynamoDB's
 * TTL), one that would start within the margin of their expiry is refused in one line. Before, a retry ~48 h
 * after a failure saw the job but missed expired tasks, and the merge skipped them: it failed verification or,
 * with `--no-verify`, committed an output with holes as done.
 */
async function refuseRetryNearExpiry(deps: AppDeps, jobId: string): Promise<void> {
  const exp = await deps.ledger.recordsExpireAt?.(jobId);
  if (!exp) return;
  const margin = Math.min(RETRY_EXPIRY_MARGIN_MS, (exp.at - exp.createdAt) / 4);
  if (exp.at - deps.clock() >= margin) return;
  throw new InputError(
    `job ${jobId}'s records expire at ${new Date(exp.at).toISOString()} (all of a job's records go together, ${Math.round((exp.at - exp.createdAt) / 3600_000)} h after it was made): a retry now could lose them mid-run; transcode the source again`,
  );
}

/**
 * Claims a failed or stopped job for one new run (`retry`): one conditional write moves it on (to `encoding`,
 * or to `created` when its analysis never finished), so of two retries started at once only one gets the job;
 * the other is told the job is already being retried. Tells the events which tasks are retried.
 */
/** A job that failed on its input (JobRecord.errorKind) is not run again: it would fail the same way. */
export function refuseInputFailure(job: Pick<JobRecord, 'id' | 'errorKind' | 'error' | 'plan'>, verb: 'retry' | 'resume'): void {
  if (job.errorKind !== 'input') return;
  throw new InputError(
    `job ${job.id} failed ${job.plan ? '' : 'in analysis '}because its source cannot be used as it is (${job.error ?? 'input refused'}): a ${verb} would fail the same way; fix the source and start a new job`,
  );
}

export async function claimRetry(deps: AppDeps, jobId: string, where = ''): Promise<JobRecord> {
  const job = await existingJob(deps, jobId);
  if (job.status !== 'failed' && job.status !== 'cancelled') {
    throw new InputError(
      `job ${jobId} is ${job.status}; only failed or stopped jobs can be retried${job.status === 'encoding' || job.status === 'created' || job.status === 'analyzing' ? ' (another retry or run has it)' : ''}`,
    );
  }
  refuseInputFailure(job, 'retry');
  await refuseRetryNearExpiry(deps, jobId);
  const failed = (await deps.ledger.listTasks(jobId)).filter((t) => t.status === 'failed');
  let claimed: JobRecord;
  try {
    // A new run starts now (its time is what a failure adds to the total).
    claimed = await claimForRetry(deps.ledger, job, deps.clock());
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
    throw new InputError(`job ${jobId} is already being retried (it is ${(err.current as JobRecord | undefined)?.status ?? 'gone'})`);
  }
  await emit(deps, jobId, 'job.retry', `retrying ${failed.length} failed task(s)${where}`, { tasks: failed.map((t) => t.key) });
  return claimed;
}
