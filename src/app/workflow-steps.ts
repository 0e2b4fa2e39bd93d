/**
 * The use-cases behind the steps of a workflow engine that runs one job as separate invocations (the Step
 * Functions state machine, infra/workflow.asl.json): start a run, encode one task, merge + verify + commit,
 * finish, record a failure. Each is idempotent, since an engine may deliver a step twice: a finished step
 * returns what it recorded and does nothing again. Provider-neutral: the Lambda handlers (src/lambda) are a
 * few lines around these.
 */
import { ConditionFailedError, InputError, NotFoundError } from '../core/errors.js';
import { taskThreads } from '../core/segment-threads.js';
import type { JobRecord, TaskKind, TaskRecord } from '../core/types.js';
import type { TaskId } from '../ports/ledger.js';
import { analyzeJob } from './analyze-job.js';
import { commitMergedOutput, describeFailedTask, finishJob } from './complete-job.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { encodeTask } from './encode-task.js';
import { pendingTasks, reclaimStaleTasks } from './run-job.js';

/** What a run has still to encode: video segment indices in encode order, and whether the audio is pending. */
export interface RunPlan {
  segments: number[];
  /** How many segments (the workflow's Choice picks the Map by it). */
  segmentCount: number;
  audio: boolean;
}

/** A running task whose heartbeat is older than this belongs to a dead invocation (default heartbeat: 5 s). */
export const DEFAULT_STALE_TASK_MS = 30_000;

async function existingJob(deps: AppDeps, jobId: string): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new NotFoundError(`no job ${jobId} in the ledger`);
  return job;
}

/**
 * Starts (or restarts) a run: analyzes a new job, or moves a failed, stopped or interrupted one back to
 * `encoding` (reclaiming tasks left running by dead invocations). Returns only the tasks not done, so a
 * restarted job re-encodes nothing that finished.
 */
export async function startRun(deps: AppDeps, jobId: string, staleMs = DEFAULT_STALE_TASK_MS): Promise<RunPlan> {
  let job = await existingJob(deps, jobId);
  if (job.status === 'done') return { segments: [], segmentCount: 0, audio: false };
  // No plan yet: the analysis did not finish (interrupted, or failed and now retried): analyze again.
  if (!job.plan && (job.status === 'analyzing' || job.status === 'failed' || job.status === 'cancelled')) {
    job = await deps.ledger.updateJob(jobId, [job.status], 'created', { clearError: true });
  }
  if (job.status === 'created') {
    job = await analyzeJob(deps, jobId);
  } else {
    const reclaimed = await reclaimStaleTasks(deps, jobId, staleMs);
    job = await deps.ledger.updateJob(jobId, [job.status], 'encoding', { clearError: true, startedAt: deps.clock() });
    await emit(deps, jobId, 'job.resumed', `new run: only tasks not done are run${reclaimed ? ` (${reclaimed} reclaimed)` : ''}`);
  }
  const tasks = await deps.ledger.listTasks(jobId);
  const todo = pendingTasks(job, tasks);
  const segments = todo.filter((t) => t.kind === 'video').map((t) => t.index);
  return { segments, segmentCount: segments.length, audio: todo.some((t) => t.kind === 'audio') };
}

export interface EncodeStepOptions {
  /** Threads for ffmpeg; default the job's own for this segment (core/segment-threads.ts). */
  threads?: number;
  signal?: AbortSignal;
  staleMs?: number;
}

/**
 * Encodes one task. A task already done returns its record (a redelivered invocation encodes nothing); one
 * left running by a dead invocation is reclaimed; one running elsewhere right now is refused with a plain
 * (so retryable) error, and the workflow tries again later.
 */
export async function encodeStep(deps: AppDeps, id: TaskId, opts: EncodeStepOptions = {}): Promise<TaskRecord> {
  const task = await deps.ledger.getTask(id);
  if (task?.status === 'running') {
    const alive = task.worker ? deps.isWorkerAlive?.(task.worker) : undefined;
    const age = deps.clock() - (task.heartbeatAt ?? 0);
    if (alive !== false && age <= (opts.staleMs ?? DEFAULT_STALE_TASK_MS)) {
      throw new Error(`${task.key} is being encoded by ${task.worker ?? 'another worker'} (heartbeat ${Math.round(age / 1000)} s ago)`);
    }
    await deps.ledger.transitionTask(id, ['running'], 'pending', { attempts: task.attempts }, task.attempts);
    await emit(deps, id.jobId, 'task.reclaimed', `${task.key} was left running by ${task.worker}; it will be encoded again`);
  }
  // Without explicit threads (the emulated workflow, on one machine): the job's own split, as locally.
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
    job = await deps.ledger.updateJob(jobId, [job.status], 'encoding', { clearError: true });
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

/**
 * Claims a failed or stopped job for one new execution (`retry` on a workflow backend): one conditional write
 * moves it on (to `encoding`, or to `created` when its analysis never finished), so of two retries started at
 * once only one gets the job and starts an execution; the other is told the job is already being retried.
 */
export async function claimRetry(deps: AppDeps, jobId: string): Promise<JobRecord> {
  const job = await existingJob(deps, jobId);
  if (job.status !== 'failed' && job.status !== 'cancelled') {
    throw new InputError(
      `job ${jobId} is ${job.status}; only failed or stopped jobs can be retried${job.status === 'encoding' || job.status === 'created' || job.status === 'analyzing' ? ' (another retry or run has it)' : ''}`,
    );
  }
  try {
    // A new run starts now (its time is what a failure adds to the total).
    return await deps.ledger.updateJob(jobId, [job.status], job.plan ? 'encoding' : 'created', {
      clearError: true,
      startedAt: deps.clock(),
    });
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
    throw new InputError(`job ${jobId} is already being retried (it is ${(err.current as JobRecord | undefined)?.status ?? 'gone'})`);
  }
}

export interface RunFailure {
  /** The failing task, when the workflow named one. */
  task?: { kind: TaskKind; index: number };
  /** What the workflow engine said (error name and message). */
  message: string;
}

/**
 * Records a failed run: the job becomes `failed` with a message naming the failing task (as the local mode
 * words it, from the task's record). Where the engine named no task (a Distributed Map reports only
 * States.ExceedToleratedFailureThreshold; an execution can fail outside any state), the ledger's failed task
 * is named, the engine's words after it. A job already done or failed is left as it is.
 */
export async function failRun(deps: AppDeps, jobId: string, failure: RunFailure): Promise<JobRecord> {
  const job = await existingJob(deps, jobId);
  if (job.status === 'done' || job.status === 'failed') return job;
  const named = failure.task ? await deps.ledger.getTask({ jobId, ...failure.task }) : undefined;
  // Only a task that failed in this run: one left failed by an earlier run is not this failure's cause.
  const runStart = job.startedAt ?? 0;
  const task =
    named ??
    (failure.task ? undefined : (await deps.ledger.listTasks(jobId)).find((t) => t.status === 'failed' && (t.finishedAt ?? 0) >= runStart));
  const what = named
    ? describeFailedTask(named, failure.message)
    : task
      ? `${describeFailedTask(task)} (${failure.message})`
      : failure.message;
  const message = `${what}; fix the cause, then run \`shardcast retry ${jobId} --backend ${job.backend}\``;
  const now = deps.clock();
  const totalMs = (job.timings.totalMs ?? 0) + (job.startedAt ? now - job.startedAt : 0);
  const failed = await deps.ledger.updateJob(jobId, [job.status], 'failed', {
    error: message,
    finishedAt: now,
    timings: { ...job.timings, totalMs },
  });
  await emit(deps, jobId, 'job.failed', message, task ? { key: task.key } : undefined);
  return failed;
}
