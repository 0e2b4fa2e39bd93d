/**
 * The orchestration, the same for every executor: analyze (once), hand the tasks that are not done to the
 * executor, merge, verify, commit the output. `resumeJob` and `retryJob` are this plus a repair of the
 * task states first; both re-run only what is not done.
 */
import { CancelledError, HomeUnreachableError, InputError, JobFailedError, oneLine, ShardcastError } from '../core/errors.js';
import type { JobRecord, JobStatus, TaskRecord, TranscodeOptions, Backend } from '../core/types.js';
import type { Executor } from '../ports/executor.js';
import type { TaskId } from '../ports/ledger.js';
import { analyzeJob } from './analyze-job.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { commitMergedOutput, describeFailedTask, finishJob } from './complete-job.js';
import { checkSpace } from './disk-space.js';

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

const RESTARTABLE: JobStatus[] = ['encoding', 'merging', 'verifying', 'failed', 'cancelled'];

function taskIdOf(t: TaskRecord): TaskId {
  return { jobId: t.jobId, kind: t.kind, index: t.index };
}

/** Encode order: the audio track first (it runs beside the video), then segments longest first. */
export function pendingTasks(job: JobRecord, tasks: TaskRecord[]): TaskId[] {
  const byIndex = new Map(tasks.filter((t) => t.kind === 'video').map((t) => [t.index, t]));
  const order: TaskId[] = tasks.filter((t) => t.kind === 'audio' && t.status !== 'done').map(taskIdOf);
  for (const i of job.plan!.encodeOrder) {
    const t = byIndex.get(i);
    if (t && t.status !== 'done') order.push(taskIdOf(t));
  }
  return order;
}

/**
 * A done task whose file is gone or changed (deleted by hand, a job folder removed, a disk that lost it) is
 * encoded again: back to pending, told in the events. Its size and checksum are held against the ledger's.
 * Returns the tasks as they now stand.
 */
async function repairLostOutputs(deps: AppDeps, jobId: string, tasks: TaskRecord[]): Promise<TaskRecord[]> {
  const out: TaskRecord[] = [];
  for (const t of tasks) {
    if (t.status !== 'done') {
      out.push(t);
      continue;
    }
    const stored = await deps.blobs.stat(t.outputKey);
    if (stored && stored.sizeBytes === t.sizeBytes && (!t.checksum || stored.checksum === t.checksum)) {
      out.push(t);
      continue;
    }
    const what = t.kind === 'audio' ? 'the audio track' : `segment ${t.index}`;
    out.push(await deps.ledger.transitionTask(taskIdOf(t), ['done'], 'pending', { attempts: t.attempts }, t.attempts));
    await emit(
      deps,
      jobId,
      'task.lost',
      `${what}: its file ${stored ? 'changed' : 'is missing'} (${t.outputKey}); it will be encoded again`,
      { key: t.key },
    );
  }
  return out;
}

async function fail(deps: AppDeps, jobId: string, err: unknown, status: JobStatus = 'failed'): Promise<void> {
  const cur = await deps.ledger.getJob(jobId);
  if (!cur || cur.status === 'done' || cur.status === status) return;
  await deps.ledger.updateJob(jobId, [cur.status], status, { error: oneLine(err), finishedAt: deps.clock() });
  await emit(deps, jobId, status === 'cancelled' ? 'job.cancelled' : 'job.failed', oneLine(err));
}

/** The command that continues a job, as a person types it (`--backend` for a job of another home). */
export function commandFor(verb: 'resume' | 'retry', job: Pick<JobRecord, 'id' | 'backend'>, extra = ''): string {
  return `shardcast ${verb} ${job.id}${extra}${job.backend && job.backend !== 'local' ? ` --backend ${job.backend}` : ''}`;
}

/** Runs a job from wherever it stands to `done`. Throws JobFailedError, InputError or CancelledError. */
export async function runJob(deps: AppDeps, executor: Executor, jobId: string, signal?: AbortSignal): Promise<JobRecord> {
  const started = deps.clock();
  let home: Pick<JobRecord, 'id' | 'backend'> = { id: jobId, backend: 'local' };
  try {
    let job = (await deps.ledger.getJob(jobId))!;
    home = job;
    // Take the job-level lease: a `resume` from another process is refused while this one is alive.
    if (job.runner !== deps.workerId) job = await deps.ledger.updateJob(jobId, [job.status], job.status, { runner: deps.workerId });
    if (job.status === 'created') job = await analyzeJob(deps, jobId);
    else if (RESTARTABLE.includes(job.status)) job = await deps.ledger.updateJob(jobId, [job.status], 'encoding', { clearError: true });
    const encodeStart = deps.clock();
    const tasks = await repairLostOutputs(deps, jobId, await deps.ledger.listTasks(jobId));
    // Before any encode: room for what the rest of the job writes (a failed check leaves the job resumable).
    await checkSpace(deps, job, tasks);
    const todo = pendingTasks(job, tasks);
    const run = await executor.run(jobId, todo, signal);
    if (signal?.aborted) throw new CancelledError('stopped');
    if (run.failed.length > 0) {
      const first = await deps.ledger.getTask(run.failed[0]!);
      // The task's own error, or the executor's where the ledger could not record it (a full disk).
      const fallback = run.firstError !== undefined ? oneLine(run.firstError) : undefined;
      const which = first ? describeFailedTask(first, fallback) : (fallback ?? 'a task failed');
      throw new JobFailedError(
        `${which}${run.failed.length > 1 ? ` (and ${run.failed.length - 1} more)` : ''}; fix the cause, then run \`${commandFor('retry', home)}\``,
        jobId,
        first?.key,
      );
    }
    await commitMergedOutput(deps, jobId, encodeStart);
    job = await finishJob(deps, jobId, deps.clock() - started);
    return job;
  } catch (err) {
    const cancelled = signal?.aborted || err instanceof CancelledError;
    const elapsed = deps.clock() - started;
    // The home itself went away (a cluster's Redis): nothing is wrong with the job, which resumes once it is back.
    const failure =
      !cancelled && err instanceof HomeUnreachableError
        ? new JobFailedError(`${oneLine(err)}; run \`${commandFor('resume', home)}\` once it is back`, jobId)
        : err;
    await fail(
      deps,
      jobId,
      cancelled ? new CancelledError(`stopped by the user; run \`${commandFor('resume', home)}\` to continue`) : failure,
      cancelled ? 'cancelled' : 'failed',
    ).catch(() => undefined);
    const cur = await deps.ledger.getJob(jobId);
    if (cur)
      await deps.ledger
        .updateJob(jobId, [cur.status], cur.status, { timings: { ...cur.timings, totalMs: (cur.timings.totalMs ?? 0) + elapsed } })
        .catch(() => undefined);
    if (cancelled) throw new CancelledError(`stopped; run \`${commandFor('resume', home)}\` to continue`);
    if (failure instanceof InputError || failure instanceof JobFailedError) throw failure;
    if (err instanceof ShardcastError) throw new JobFailedError(oneLine(err), jobId);
    throw new JobFailedError(`job failed: ${oneLine(err)}`, jobId);
  }
}

/**
 * Hands back tasks left `running` by a dead worker (crash, kill -9): the worker's process is gone, or its
 * heartbeat is older than `staleMs`, or (`force`) it cannot be checked from here. Returns how many were
 * reclaimed; throws if a live worker holds one.
 */
export async function reclaimStaleTasks(deps: AppDeps, jobId: string, staleMs: number, force = false): Promise<number> {
  let n = 0;
  for (const t of await deps.ledger.listTasks(jobId)) {
    if (t.status !== 'running') continue;
    const alive = t.worker ? deps.isWorkerAlive?.(t.worker) : undefined;
    const stale = alive === false || (force && alive === undefined) || deps.clock() - (t.heartbeatAt ?? 0) > staleMs;
    if (!stale)
      throw new JobFailedError(
        `job ${jobId} is still running (task ${t.key} on ${t.worker}); wait for it or stop that process first`,
        jobId,
      );
    await deps.ledger.transitionTask(taskIdOf(t), ['running'], 'pending', { attempts: t.attempts }, t.attempts);
    await emit(deps, jobId, 'task.reclaimed', `${t.key} was left running by ${t.worker}; it will be encoded again`);
    n++;
  }
  return n;
}

const ACTIVE: JobStatus[] = ['analyzing', 'encoding', 'merging', 'verifying'];

/** A runner this process cannot check (another host) holds its lease while it showed life this recently. */
export const RUNNER_LEASE_MS = 60_000;

/** `host:pid` of a worker id (`host:pid/start`), for messages. */
const shownWorker = (id: string) => id.replace(/\/\d+$/, '');

/**
 * The job-level lease: a job still being driven by another live process (a `transcode` in another terminal,
 * `shardcast serve`) is not resumed beside it, which would race it between tasks and on the merge. (Retry needs
 * no guard: it only takes failed or stopped jobs.) A runner of this host is checked as a process (a zombie or
 * a later process with its pid is dead); one that cannot be checked (another host) holds the lease while the
 * job or its tasks showed life in the last RUNNER_LEASE_MS, unless `force` takes it over. Returns what the
 * takeover was, for the events.
 */
async function takeJobLease(deps: AppDeps, job: JobRecord, force: boolean): Promise<string | undefined> {
  const runner = job.runner;
  if (!runner || runner === deps.workerId || !ACTIVE.includes(job.status)) return undefined;
  const alive = deps.isWorkerAlive?.(runner);
  if (alive === true) {
    throw new InputError(
      `job ${job.id} is ${job.status} in another process (${shownWorker(runner)}) that is still running; stop it first (Ctrl-C), then resume`,
    );
  }
  if (alive === false) return `its last runner ${shownWorker(runner)} is gone`;
  const beats = (await deps.ledger.listTasks(job.id)).filter((t) => t.worker === runner).map((t) => t.heartbeatAt ?? 0);
  const quiet = deps.clock() - Math.max(job.updatedAt, ...beats);
  if (quiet < RUNNER_LEASE_MS && !force) {
    throw new InputError(
      `job ${job.id} is ${job.status} in ${shownWorker(runner)}, which this host cannot check, last heard from ${Math.round(quiet / 1000)} s ago; if it is gone, run \`${commandFor('resume', job, ' --force')}\``,
    );
  }
  return force
    ? `taken over with --force from ${shownWorker(runner)}, which this host cannot check (last heard from ${Math.round(quiet / 1000)} s ago)`
    : `taken over from ${shownWorker(runner)}, silent for ${Math.round(quiet / 1000)} s`;
}

export interface ResumeOptions {
  /** Take over a job whose runner cannot be checked (another host) even while its lease is fresh. */
  force?: boolean;
}

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
  const takeover = await takeJobLease(deps, job, opts.force === true);
  if (takeover) await emit(deps, jobId, 'job.takeover', `resume: ${takeover}`, { from: job.runner, force: opts.force === true });
  if (!executor.followsRunningTasks) await reclaimStaleTasks(deps, jobId, 30_000, opts.force === true);
  if (job.status === 'analyzing') await deps.ledger.updateJob(jobId, ['analyzing'], 'created');
  await emit(deps, jobId, 'job.resumed', 'resuming: only tasks not done are run');
  return runJob(deps, executor, jobId, signal);
}

/** Re-runs only the failed tasks of a failed (or stopped) job. */
export async function retryJob(deps: AppDeps, executor: Executor, jobId: string, signal?: AbortSignal): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new InputError(`no job ${jobId}`);
  if (job.status !== 'failed' && job.status !== 'cancelled')
    throw new InputError(`job ${jobId} is ${job.status}; only failed or stopped jobs can be retried`);
  if (!executor.followsRunningTasks) await reclaimStaleTasks(deps, jobId, 30_000);
  const failed = (await deps.ledger.listTasks(jobId)).filter((t) => t.status === 'failed');
  await emit(deps, jobId, 'job.retry', `retrying ${failed.length} failed task(s)`, { tasks: failed.map((t) => t.key) });
  if (!job.plan) await deps.ledger.updateJob(jobId, ['failed', 'cancelled'], 'created', { clearError: true });
  return runJob(deps, executor, jobId, signal);
}
