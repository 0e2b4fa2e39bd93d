/**
 * Who may drive a job and its tasks, and what a new run repairs before it starts: the job-level lease (one
 * process drives a job), tasks left running by dead workers (reclaimed), tasks whose file went missing
 * (encoded again). Used by the start step (run-steps.ts), so every home gets them.
 */
import { InputError, JobFailedError } from '../core/errors.js';
import type { JobRecord, JobStatus, TaskRecord } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { reclaimTask, requeueLostTask } from './transitions.js';
import { commandFor } from './run-failure.js';
import { taskName } from './outputs/describe-task.js';

/**
 * A running task whose heartbeat is older than this belongs to a dead worker (heartbeats come every 5 s); an
 * active job whose tasks are this fresh is driven by something. The one figure every home uses.
 */
export const STALE_TASK_MS = 30_000;

/** A runner this process cannot check (another host) holds its lease while it showed life this recently. */
export const RUNNER_LEASE_MS = 60_000;

const ACTIVE: JobStatus[] = ['analyzing', 'encoding', 'merging', 'verifying'];

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
export async function takeJobLease(deps: AppDeps, job: JobRecord, force: boolean): Promise<string | undefined> {
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

/**
 * Hands back tasks left `running` by a dead worker (crash, kill -9): the worker's process is gone, or its
 * heartbeat is older than `staleMs`, or (`force`) it cannot be checked from here. Returns how many were
 * reclaimed; throws if a live worker holds one.
 */
export async function reclaimStaleTasks(deps: AppDeps, jobId: string, staleMs = STALE_TASK_MS, force = false): Promise<number> {
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
    await reclaimTask(deps.ledger, t);
    await emit(deps, jobId, 'task.reclaimed', `${t.key} was left running by ${t.worker}; it will be encoded again`);
    n++;
  }
  return n;
}

/**
 * A done task whose file is gone or changed (deleted by hand, a job folder removed, a disk that lost it) is
 * encoded again: back to pending, told in the events. Its size and checksum are held against the ledger's.
 * Returns the tasks as they now stand.
 */
export async function repairLostOutputs(deps: AppDeps, jobId: string, tasks: TaskRecord[]): Promise<TaskRecord[]> {
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
    const what = taskName(t);
    out.push(await requeueLostTask(deps.ledger, t));
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
