/**
 * Every status write of a job or a task, by name. Each is one conditional write to the ledger, checked
 * against the lifecycle tables of core/lifecycle.ts; no other module calls `updateJob` or `transitionTask`
 * (test/unit/lifecycle.test.ts counts them). The caller tells the events: a transition only moves the record.
 */
import { UsageError } from '../core/errors.js';
import { isJobMove, isTaskMove } from '../core/lifecycle.js';
import type { JobHead, JobRecord, JobStatus, JobTimings, TaskRecord, TaskStatus, TranscodeOptions } from '../core/types.js';
import type { JobPatch, Ledger, TaskId, TaskPatch } from '../ports/ledger.js';

function moveJob(ledger: Ledger, jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch): Promise<JobRecord> {
  const bad = from.find((f) => !isJobMove(f, to));
  if (bad) throw new UsageError(`a job cannot move from ${bad} to ${to}`);
  return ledger.updateJob(jobId, from, to, patch);
}

function moveTask(
  ledger: Ledger,
  id: TaskId,
  from: readonly TaskStatus[],
  to: TaskStatus,
  patch: TaskPatch,
  ifAttempts: number,
): Promise<TaskRecord> {
  const bad = from.find((f) => !isTaskMove(f, to));
  if (bad) throw new UsageError(`a task cannot move from ${bad} to ${to}`);
  return ledger.transitionTask(id, from, to, patch, ifAttempts);
}

export const taskIdOf = (t: Pick<TaskRecord, 'jobId' | 'kind' | 'index'>): TaskId => ({ jobId: t.jobId, kind: t.kind, index: t.index });

// ---- the job ----

/** The job-level lease: this process drives the job now (its status stays). */
export const holdLease = (ledger: Ledger, job: JobRecord, runner: string) => moveJob(ledger, job.id, [job.status], job.status, { runner });

/** `created -> analyzing`: a run's analysis begins (the run's start). */
export const beginAnalysis = (ledger: Ledger, jobId: string, startedAt: number) =>
  moveJob(ledger, jobId, ['created'], 'analyzing', { startedAt });

/** The options the analysis fixed (the segment length, the ladder's rungs), before the tasks are written. */
export const fixAnalyzedOptions = (ledger: Ledger, jobId: string, options: TranscodeOptions) =>
  moveJob(ledger, jobId, ['analyzing'], 'analyzing', { options });

/** `analyzing -> encoding`: the analysis and the plan are stored; the tasks were written before. */
export const finishAnalysis = (ledger: Ledger, jobId: string, patch: Required<Pick<JobPatch, 'analysis' | 'plan' | 'timings'>>) =>
  moveJob(ledger, jobId, ['analyzing'], 'encoding', patch);

/** Back to `created`: a job whose analysis never finished is analyzed again by its next run. */
export const reopenAnalysis = (ledger: Ledger, job: JobRecord) => moveJob(ledger, job.id, [job.status], 'created', { clearError: true });

/** To `encoding` for a new run of a planned job (resume, retry, a new execution, a redriven merge). */
export const restartRun = (ledger: Ledger, job: JobRecord, startedAt: number) =>
  moveJob(ledger, job.id, [job.status], 'encoding', { clearError: true, startedAt });

/** `failed | cancelled ->` a new run, in one conditional write: of two retries at once only one gets the job. */
export const claimForRetry = (ledger: Ledger, job: JobRecord, startedAt: number) =>
  moveJob(ledger, job.id, [job.status], job.plan ? 'encoding' : 'created', { clearError: true, startedAt });

/** `encoding -> merging`, with this run's encode time. */
export const beginMerge = (ledger: Ledger, jobId: string, timings: JobTimings) =>
  moveJob(ledger, jobId, ['encoding'], 'merging', { timings });

/** `merging -> verifying`, with the merge time. */
export const beginVerify = (ledger: Ledger, jobId: string, timings: JobTimings) =>
  moveJob(ledger, jobId, ['merging'], 'verifying', { timings });

/** The output is committed: its result and timings, the job still `verifying` until it is finished. */
export const recordResult = (ledger: Ledger, jobId: string, patch: Pick<JobPatch, 'result' | 'timings'>) =>
  moveJob(ledger, jobId, ['verifying'], 'verifying', patch);

/** `verifying -> done`. */
export const completeJob = (ledger: Ledger, jobId: string, timings: JobTimings, finishedAt: number) =>
  moveJob(ledger, jobId, ['verifying'], 'done', { timings, finishedAt, clearError: true });

/** A done job's quality report, measured after it finished. */
export const storeQualityReport = (ledger: Ledger, job: JobRecord, patch: Pick<JobPatch, 'result' | 'timings'>) =>
  moveJob(ledger, job.id, ['done'], 'done', patch);

/** An unfinished job ends `failed` or `cancelled`, with the one line that says why. */
export const endJob = (
  ledger: Ledger,
  job: JobRecord,
  to: 'failed' | 'cancelled',
  patch: Pick<JobPatch, 'error' | 'errorKind' | 'finishedAt' | 'timings'>,
) => moveJob(ledger, job.id, [job.status], to, patch);

/** The first segment that had to be read by pre-roll tells the job, so its later segments start so. */
export const noteCutFallback = (ledger: Ledger, head: JobHead, reason: string) =>
  moveJob(ledger, head.id, [head.status], head.status, { cutFallback: reason });

// ---- a task ----

/** `pending | failed -> running`: this worker's attempt `attempts + 1` begins. */
export const claimTask = (ledger: Ledger, cur: TaskRecord, patch: TaskPatch) =>
  moveTask(ledger, taskIdOf(cur), ['pending', 'failed'], 'running', patch, cur.attempts);

/** `-> running` as a queue reports it: an attempt began on a worker, whatever the record said (a lost lock). */
export const recordAttemptStart = (ledger: Ledger, cur: TaskRecord, patch: TaskPatch) =>
  moveTask(ledger, taskIdOf(cur), [cur.status], 'running', patch, cur.attempts);

/** `running -> done` for the attempt `attempt`. */
export const completeTask = (ledger: Ledger, id: TaskId, patch: TaskPatch, attempt: number) =>
  moveTask(ledger, id, ['running'], 'done', patch, attempt);

/** `-> done` from whatever the record said: a queue accepted the result of an attempt it no longer tracked. */
export const recordTaskResult = (ledger: Ledger, cur: TaskRecord, patch: TaskPatch) =>
  moveTask(ledger, taskIdOf(cur), [cur.status], 'done', patch, cur.attempts);

/** `running -> failed`: attempt `attempt` failed (the executor decides whether another follows). */
export const failAttempt = (ledger: Ledger, id: TaskId, patch: TaskPatch, attempt: number) =>
  moveTask(ledger, id, ['running'], 'failed', patch, attempt);

/** `-> failed` for good, from whatever the record said (a queue gave up on the task). */
export const failTaskForGood = (ledger: Ledger, cur: TaskRecord, patch: TaskPatch) =>
  moveTask(ledger, taskIdOf(cur), [cur.status], 'failed', patch, cur.attempts);

/** `running -> pending`: an attempt stopped (by the user, a worker shutting down) hands its task back. */
export const handBackTask = (ledger: Ledger, id: TaskId, attempts: number, attempt: number) =>
  moveTask(ledger, id, ['running'], 'pending', { attempts }, attempt);

/** `running -> pending`: a task left running by a dead worker is taken back. */
export const reclaimTask = (ledger: Ledger, t: TaskRecord) =>
  moveTask(ledger, taskIdOf(t), ['running'], 'pending', { attempts: t.attempts }, t.attempts);

/** `done -> pending`: a task whose file is gone or changed is encoded again. */
export const requeueLostTask = (ledger: Ledger, t: TaskRecord) =>
  moveTask(ledger, taskIdOf(t), ['done'], 'pending', { attempts: t.attempts }, t.attempts);
