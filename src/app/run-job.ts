/**
 * A run of a job in one process, as the local and cluster homes drive it: the steps of run-steps.ts in a row,
 * start -> the executor runs the tasks -> merge and commit -> finish, and failRun when it does not get there.
 * `resumeJob` takes the lease first; `retryJob` claims the retry first. The AWS home runs the same steps, one
 * per state of its workflow.
 */
import { CancelledError, InputError, JobFailedError, oneLine, ShardcastError } from '../core/errors.js';
import type { Backend, JobRecord, TranscodeOptions } from '../core/types.js';
import type { Executor } from '../ports/executor.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { takeJobLease } from './job-lease.js';
import { commandFor, continueVerb, describeFailure, failRun, type RunFailure } from './run-failure.js';
import { claimRetry, finishStep, mergeStep, refuseInputFailure, startRun } from './run-steps.js';

export interface NewJobInput {
  id: string;
  backend: Backend;
  source: string;
  output: string;
  options: TranscodeOptions;
}

export async function createJob(deps: AppDeps, input: NewJobInput): Promise<JobRecord> {
  const now = deps.clock();
  const job: JobRecord = { ...input, status: 'created', createdAt: now, updatedAt: now, timings: {} };
  await deps.ledger.createJob(job);
  await emit(deps, job.id, 'job.created', `job created: ${input.source} -> ${input.output}`);
  return job;
}

/** Thrown inside runJob when tasks ended failed: carries the failure to the one failure path. */
class TasksFailed extends Error {
  constructor(readonly failure: Extract<RunFailure, { kind: 'tasks' }>) {
    super('tasks failed');
  }
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Reclaim running tasks whose worker cannot be checked from here (`resume --force`). */
  force?: boolean;
}

/** Runs a job from wherever it stands to `done`. Throws JobFailedError, InputError or CancelledError. */
export async function runJob(deps: AppDeps, executor: Executor, jobId: string, opts: RunOptions = {}): Promise<JobRecord> {
  const { signal } = opts;
  const started = deps.clock();
  try {
    const plan = await startRun(deps, jobId, {
      ...(opts.force ? { force: true } : {}),
      ...(executor.followsRunningTasks ? { followsRunningTasks: true } : {}),
    });
    const run = await executor.run(jobId, plan.todo, signal);
    if (signal?.aborted) throw new CancelledError('stopped');
    if (run.failed.length > 0) {
      const first = await deps.ledger.getTask(run.failed[0]!);
      // The task's own error, or the executor's where the ledger could not record it (a full disk).
      const fallback = run.firstError !== undefined ? oneLine(run.firstError) : undefined;
      throw new TasksFailed({ kind: 'tasks', failed: first, more: run.failed.length - 1, ...(fallback ? { fallback } : {}) });
    }
    await mergeStep(deps, jobId);
    return await finishStep(deps, jobId);
  } catch (err) {
    const failure: RunFailure =
      signal?.aborted || err instanceof CancelledError
        ? { kind: 'stopped' }
        : err instanceof TasksFailed
          ? err.failure
          : { kind: 'error', error: err };
    // A ledger that cannot record the failure (a full disk) does not change what the user is told.
    const { job, error } = await failRun(deps, jobId, failure, started).catch(async () => {
      // Reads still work where a write does not.
      const cur = await deps.ledger.getJob(jobId).catch(() => undefined);
      const described = cur ? await describeFailure(deps, cur, failure).catch(() => undefined) : undefined;
      return { job: cur, error: described?.error ?? oneLine(err) };
    });
    const home = job ?? { id: jobId, backend: 'local' as const };
    if (failure.kind === 'stopped') throw new CancelledError(`stopped; run \`${commandFor(continueVerb(home), home)}\` to continue`);
    if (failure.kind === 'tasks') throw new JobFailedError(error, jobId, failure.failed?.key);
    if (err instanceof InputError || err instanceof JobFailedError) throw err;
    if (err instanceof ShardcastError) throw new JobFailedError(error, jobId);
    throw new JobFailedError(`job failed: ${oneLine(err)}`, jobId);
  }
}

export interface ResumeOptions {
  /** Take over a job whose runner cannot be checked (another host) even while its lease is fresh. */
  force?: boolean;
}

/** Continues a stopped or crashed job: runs only what is not done. */
export async function resumeJob(
  deps: AppDeps,
  executor: Executor,
  jobId: string,
  signal?: AbortSignal,
  opts: ResumeOptions = {},
): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new InputError(`no job ${jobId}`);
  if (job.status === 'done') return job;
  refuseInputFailure(job, 'resume');
  const takeover = await takeJobLease(deps, job, opts.force === true);
  if (takeover) await emit(deps, jobId, 'job.takeover', `resume: ${takeover}`, { from: job.runner, force: opts.force === true });
  return runJob(deps, executor, jobId, { ...(signal ? { signal } : {}), ...(opts.force ? { force: true } : {}) });
}

/** Re-runs only the failed tasks of a failed (or stopped) job. */
export async function retryJob(deps: AppDeps, executor: Executor, jobId: string, signal?: AbortSignal): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new InputError(`no job ${jobId}`);
  await claimRetry(deps, jobId);
  return runJob(deps, executor, jobId, signal ? { signal } : {});
}
