/**
 * How a run ends when it does not finish: the one place that decides what the failure says, which status the
 * job takes (`failed`, or `cancelled` when the user stopped it) and which command the user runs next. Every
 * home ends a run here: runJob's catch, the workflow's MarkFailed step, a workflow execution that could not
 * record its own failure.
 */
import { CancelledError, HomeUnreachableError, InputError, oneLine } from '../core/errors.js';
import type { JobRecord, TaskKind, TaskRecord } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { endJob } from './transitions.js';
import { taskName } from './outputs/describe-task.js';

/**
 * How a stopped job goes on: `resume` where a process drives it (local, cluster); an execution of a workflow
 * home is not resumed, a new one is started by `retry`.
 */
export const continueVerb = (job: Pick<JobRecord, 'backend'>): 'resume' | 'retry' =>
  job.backend === 'aws' || job.backend === 'aws-emulated' ? 'retry' : 'resume';

/** The command that continues a job, as a person types it (`--backend` for a job of another home). */
export function commandFor(verb: 'resume' | 'retry', job: Pick<JobRecord, 'id' | 'backend'>, extra = ''): string {
  return `shardcast ${verb} ${job.id}${extra}${job.backend && job.backend !== 'local' ? ` --backend ${job.backend}` : ''}`;
}

/** One line for a task that ended failed, e.g. `segment 2 failed after 3 attempts: ffmpeg exited with 1`. */
export function describeFailedTask(task: TaskRecord, fallbackError = 'unknown error'): string {
  return `${taskName(task)} failed after ${task.attempts} attempts: ${task.error ?? fallbackError}`;
}

/** Why a run ended unfinished. */
export type RunFailure =
  /** The user stopped it. */
  | { kind: 'stopped' }
  /** Tasks ended failed (after their retries): the first is named. `fallback`: the executor's words, for a task that holds none. */
  | { kind: 'tasks'; failed: TaskRecord | undefined; more: number; fallback?: string }
  /**
   * A workflow engine reported the run failed (`message`: its error name and words). `task`: the task it named;
   * without one, the task that failed in this run is named from the ledger (a Distributed Map reports only
   * States.ExceedToleratedFailureThreshold; an execution can fail outside any state).
   */
  | { kind: 'workflow'; message: string; task?: { kind: TaskKind; index: number }; errorName?: string }
  /** Anything else thrown by a step (a bad input, a full disk, a home that went away). */
  | { kind: 'error'; error: unknown };

/** The job's error line and its status for a failure (reads the ledger, never writes it). */
export async function describeFailure(
  deps: AppDeps,
  job: JobRecord,
  failure: RunFailure,
): Promise<{ error: string; status: 'failed' | 'cancelled'; key?: string; errorKind?: 'input' }> {
  const retry = `fix the cause, then run \`${commandFor('retry', job)}\``;
  switch (failure.kind) {
    case 'stopped':
      return { status: 'cancelled', error: `stopped by the user; run \`${commandFor(continueVerb(job), job)}\` to continue` };
    case 'tasks': {
      const which = failure.failed ? describeFailedTask(failure.failed, failure.fallback) : (failure.fallback ?? 'a task failed');
      return {
        status: 'failed',
        error: `${which}${failure.more > 0 ? ` (and ${failure.more} more)` : ''}; ${retry}`,
        ...(failure.failed ? { key: failure.failed.key } : {}),
      };
    }
    case 'workflow': {
      const named = failure.task ? await deps.ledger.getTask({ jobId: job.id, ...failure.task }) : undefined;
      // Only a task that failed in this run: one left failed by an earlier run is not this failure's cause.
      const runStart = job.startedAt ?? 0;
      const task =
        named ??
        (failure.task
          ? undefined
          : (await deps.ledger.listTasks(job.id)).find((t) => t.status === 'failed' && (t.finishedAt ?? 0) >= runStart));
      const what = named
        ? describeFailedTask(named, failure.message)
        : task
          ? `${describeFailedTask(task)} (${failure.message})`
          : failure.message;
      // The error's name crosses the engine (workflow-payloads.ts): an InputError outside any task is the source's.
      if (!task && failure.errorName === 'InputError') return { status: 'failed', error: what, errorKind: 'input' };
      return { status: 'failed', error: `${what}; ${retry}`, ...(task ? { key: task.key } : {}) };
    }
    case 'error':
      // The home itself went away (a cluster's Redis): nothing is wrong with the job, which resumes once it is back.
      if (failure.error instanceof HomeUnreachableError)
        return { status: 'failed', error: `${oneLine(failure.error)}; run \`${commandFor(continueVerb(job), job)}\` once it is back` };
      if (failure.error instanceof CancelledError) return describeFailure(deps, job, { kind: 'stopped' });
      // The source cannot be used as it is: a retry would fail the same way (run-steps.ts claimRetry refuses one).
      if (failure.error instanceof InputError) return { status: 'failed', error: oneLine(failure.error), errorKind: 'input' };
      return { status: 'failed', error: oneLine(failure.error) };
  }
}

/**
 * Ends the job's run `failed` (or `cancelled`) with the line `describe` chose, this run's wall time added to the
 * total. A job already done, or already in that status, is left as it is. Returns the job and its error line.
 */
export async function failRun(
  deps: AppDeps,
  jobId: string,
  failure: RunFailure,
  /** When this run began, where the caller knows (a run that failed before it recorded its start). */
  runStartedAt?: number,
): Promise<{ job: JobRecord | undefined; error: string }> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) return { job, error: failure.kind === 'error' ? oneLine(failure.error) : 'the job is gone' };
  const { error, status, key, errorKind } = await describeFailure(deps, job, failure);
  if (job.status === 'done' || job.status === status) return { job, error };
  const now = deps.clock();
  const since = Math.max(job.startedAt ?? 0, runStartedAt ?? 0);
  const totalMs = (job.timings.totalMs ?? 0) + (since ? now - since : 0);
  const ended = await endJob(deps.ledger, job, status, {
    error,
    ...(errorKind ? { errorKind } : {}),
    finishedAt: now,
    timings: { ...job.timings, totalMs },
  });
  await emit(deps, jobId, status === 'cancelled' ? 'job.cancelled' : 'job.failed', error, key ? { key } : undefined);
  return { job: ended, error };
}
