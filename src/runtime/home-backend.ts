/**
 * The one Backend: the verbs of backend.ts written once, over a `Home` that says only what differs per home —
 * where the input is put and the output delivered, how a job is driven (an Executor in this process, or a
 * workflow execution), the default worker count, what the home supports, whether a job is driven elsewhere.
 * local-backend.ts, cluster-backend.ts and workflow-backend.ts each build a Home and hand it here.
 */
import { MAX_DEFAULT_WORKERS } from '../core/concurrency.js';
import type { AppDeps } from '../app/deps.js';
import { jobView } from '../app/job-view.js';
import { addQualityReport } from '../app/measure-quality.js';
import { refusedAtInput, removeJob } from '../app/remove-job.js';
import { createJob, resumeJob, retryJob, runJob } from '../app/run-job.js';
import { STALE_TASK_MS } from '../app/job-lease.js';
import { ConditionFailedError, NotFoundError, UsageError } from '../core/errors.js';
import { ACTIVE_STATUSES, type EncodeProfile, type JobRecord, type TaskRecord } from '../core/types.js';
import type { Executor } from '../ports/executor.js';
import type { Ledger } from '../ports/ledger.js';
import type { Backend, BackendKind, DoctorReport, GcCriteria, JobRequest, RunHooks, RunResult } from './backend.js';
import { newJobId } from './process-identity.js';
import { parseTranscodeOptions } from './transcode-options.js';
import { refuseUnsignedNotify } from './start-notifier.js';
import type { WorkerInfo } from '../adapters/bullmq/protocol.js';

export type RunVerb = 'submit' | 'resume' | 'retry';

/** What one home is: the parts of a Backend that differ between homes. */
export interface Home {
  kind: BackendKind;
  ledger: Ledger;
  /** Where its jobs live, for messages. */
  where: string;
  /** The deps a job is read and removed with (a cluster job: those of its own Redis and store). */
  depsFor(jobId?: string): Promise<AppDeps>;
  /** Checks a request's locations (and the home itself) before any job is made. */
  checkRequest(req: JobRequest): Promise<{ source: string; output: string }>;
  /**
   * Whether the encodes of this home can run the profile's encoders with their options, checked before any job
   * is made (app/encoder-check.ts); a home whose encodes run on another machine's ffmpeg has none.
   */
  checkEncoders?(profile: EncodeProfile): Promise<void>;
  /**
   * The environment of the process that sends this home's webhooks, where it is this one: a job with
   * `--notify` whose signing secret it lacks is refused before it exists.
   */
  senderEnv?: Record<string, string | undefined>;
  /** `--workers` where the request names none (the encodes the home offers now), if the home knows. */
  defaultWorkers?(): Promise<number | undefined>;
  /** Puts the input where the home's encodes read it (a store, a bucket); the job's source. Default: as it is. */
  placeInput?(jobId: string, source: string, hooks: RunHooks): Promise<string>;
  /** Where the job writes its output; `localOutput`: a local path it is delivered to after. Default: as it is. */
  placeOutput?(jobId: string, output: string): { output: string; localOutput?: string };
  /** Records what the home must remember of a new job (events), once it exists. */
  remember?(deps: AppDeps, jobId: string, request: { source: string; output: string; localOutput?: string }): Promise<void>;
  /** The note for a person once the job exists. Default: `job ID: SOURCE -> OUTPUT`. */
  noteOf?(jobId: string, job: { original: string; source: string; output: string; workers: number }): string;
  /** Drives a job to its end: a new one, or a stopped one resumed or retried (`job`: its record as just read). */
  drive(job: JobRecord, verb: RunVerb, hooks: RunHooks & { force?: boolean }): Promise<RunResult>;
  /** `quality` where the home measures some other way (or refuses). Default: measure here. */
  quality?(jobId: string, hooks: RunHooks): Promise<JobRecord>;
  runsElsewhere(job: JobRecord, tasks: TaskRecord[]): boolean;
  /** Removes what the home holds of a job beyond its records and files (a cluster's queue flow). */
  forget?(jobId: string): Promise<void>;
  checks?(): Promise<DoctorReport>;
  workers?(): Promise<WorkerInfo[]>;
  close(): Promise<void>;
}

/** The most parallel encodes a job is given by default (core/concurrency.ts). */
export { MAX_DEFAULT_WORKERS };

export function makeBackend(home: Home): Backend {
  const { ledger } = home;
  const existing = async (jobId: string): Promise<JobRecord> => {
    const job = await ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`no job ${jobId} in ${home.where}`);
    return job;
  };
  const remove = async (jobId: string) => {
    await home.forget?.(jobId);
    await removeJob(await home.depsFor(jobId), jobId);
  };
  const backend: Backend = {
    kind: home.kind,
    ledger,
    where: home.where,
    async submit(req, hooks = {}) {
      // The options first: a bad flag is told before anything is checked or uploaded.
      let options = parseTranscodeOptions(req.options, req.output);
      if (home.senderEnv) refuseUnsignedNotify(options.notify, home.senderEnv);
      const paths = await home.checkRequest(req);
      await home.checkEncoders?.(options.profile);
      const slots = req.options.workers === undefined ? await home.defaultWorkers?.() : undefined;
      // The home's worker count where none was asked for (the threads per worker follow from it).
      if (slots) options = parseTranscodeOptions({ ...req.options, workers: String(Math.min(MAX_DEFAULT_WORKERS, slots)) }, req.output);
      const id = req.id ?? newJobId();
      // A chosen id (a watched file's) that exists is refused before the input is placed: a cluster's copy into
      // the store would otherwise overwrite the source the existing job's workers read.
      if (req.id !== undefined) {
        const current = await ledger.getJob(req.id);
        if (current) throw new ConditionFailedError(`job ${req.id} already exists`, current);
      }
      const source = home.placeInput ? await home.placeInput(id, paths.source, hooks) : paths.source;
      const { output, localOutput } = home.placeOutput?.(id, paths.output) ?? { output: paths.output };
      const deps = await home.depsFor();
      const job = await createJob(deps, { id, backend: home.kind, source, output, options });
      await home.remember?.(deps, id, { source: paths.source, output: paths.output, ...(localOutput ? { localOutput } : {}) });
      const shown = { original: paths.source, source, output, workers: slots || options.workers };
      hooks.note?.(home.noteOf?.(id, shown) ?? `job ${id}: ${source} -> ${output}`);
      return home.drive(job, 'submit', hooks);
    },
    resume: async (jobId, hooks = {}) => home.drive(await existing(jobId), 'resume', hooks),
    retry: async (jobId, hooks = {}) => home.drive(await existing(jobId), 'retry', hooks),
    async quality(jobId, hooks = {}) {
      if (home.quality) return home.quality(jobId, hooks);
      return addQualityReport(await home.depsFor(jobId), jobId, hooks.signal);
    },
    async status(jobId) {
      const job = await existing(jobId);
      return { view: jobView(job, await ledger.listTasks(jobId)), events: await ledger.listEvents(jobId) };
    },
    jobs: (limit) => ledger.listJobs({ limit }),
    runsElsewhere: (job, tasks) => home.runsElsewhere(job, tasks),
    remove,
    async gc(criteria) {
      const c: GcCriteria = typeof criteria === 'number' ? { olderThanMs: criteria } : criteria;
      if (c.olderThanMs === undefined && !c.failed && !c.refused) throw new UsageError('gc needs --older-than, --failed or --refused');
      if (!c.failed && !c.refused) {
        const ids = await ledger.listJobIdsUpdatedBefore(Date.now() - c.olderThanMs!);
        for (const id of ids) await remove(id);
        return ids;
      }
      const before = c.olderThanMs === undefined ? Infinity : Date.now() - c.olderThanMs;
      const picked = (await ledger.listJobs()).filter(
        (j) => j.status === 'failed' && j.updatedAt < before && (!c.refused || refusedAtInput(j)),
      );
      const removed: string[] = [];
      for (const { id } of picked) {
        // Read again just before: a failed job retried since the list was read is running now, and stays.
        if ((await ledger.getJob(id))?.status !== 'failed') continue;
        await remove(id);
        removed.push(id);
      }
      return removed;
    },
    close: () => home.close(),
  };
  if (home.checks) backend.checks = () => home.checks!();
  if (home.workers) backend.workers = () => home.workers!();
  return backend;
}

/** Drives a job in this process through an Executor (the local and cluster homes). */
export async function driveHere(deps: AppDeps, executor: Executor, jobId: string, verb: RunVerb, hooks: RunHooks & { force?: boolean }) {
  hooks.onJob?.(jobId);
  const signal = hooks.signal ? { signal: hooks.signal } : {};
  const job =
    verb === 'resume'
      ? await resumeJob(deps, executor, jobId, hooks.signal, { force: hooks.force === true })
      : verb === 'retry'
        ? await retryJob(deps, executor, jobId, hooks.signal)
        : await runJob(deps, executor, jobId, signal);
  return { job };
}

/**
 * Whether a job of a home driven by processes (local, cluster) is driven by another one now: a running task's
 * fresh heartbeat, or one of `holders` (the processes whose life says so) alive on this host; else, within a
 * minute of its last update, `recent` says.
 */
export function drivenByAnotherProcess(
  deps: Pick<AppDeps, 'clock' | 'workerId' | 'isWorkerAlive'>,
  job: JobRecord,
  tasks: TaskRecord[],
  holders: (string | undefined)[],
  recent: boolean,
): boolean {
  if (!ACTIVE_STATUSES.includes(job.status)) return false;
  const now = deps.clock();
  if (tasks.some((t) => t.status === 'running' && now - (t.heartbeatAt ?? 0) < STALE_TASK_MS)) return true;
  for (const w of new Set(holders)) if (w && w !== deps.workerId && deps.isWorkerAlive?.(w) === true) return true;
  return recent && now - job.updatedAt < 2 * STALE_TASK_MS;
}
