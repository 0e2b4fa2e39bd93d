/**
 * The local home as a Backend: the SQLite ledger and files under the state dir, encodes in a worker pool of
 * ffmpeg processes on this machine.
 */
import { addQualityReport } from '../../app/measure-quality.js';
import { jobView } from '../../app/job-view.js';
import { removeJob, removeJobsOlderThan } from '../../app/remove-job.js';
import { createJob, resumeJob, retryJob, runJob } from '../../app/run-job.js';
import { NotFoundError } from '../../core/errors.js';
import { ACTIVE_STATUSES, type JobRecord } from '../../core/types.js';
import type { Backend, BackendConfig } from '../backend.js';
import { checkPaths } from '../job-paths.js';
import { makeLocalRuntime, newJobId, type LocalRuntime } from './local-runtime.js';
import { parseTranscodeOptions } from '../transcode-options.js';

/** A heartbeat younger than this says a task's encode is alive. */
const FRESH_MS = 30_000;

export interface LocalBackend extends Backend {
  readonly runtime: LocalRuntime;
}

export function openLocalBackend(cfg: BackendConfig): LocalBackend {
  const rt = makeLocalRuntime({
    stateDir: cfg.stateDir,
    env: cfg.env,
    ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
    ...(cfg.wrapMedia ? { wrapMedia: cfg.wrapMedia } : {}),
  });
  const { deps } = rt;
  const existing = async (jobId: string): Promise<JobRecord> => {
    const job = await deps.ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`no job ${jobId} in ${cfg.stateDir}`);
    return job;
  };
  return {
    kind: 'local',
    runtime: rt,
    ledger: deps.ledger,
    where: cfg.stateDir,
    async submit(req, hooks = {}) {
      const options = parseTranscodeOptions(req.options, req.output);
      const paths = checkPaths(req.input, req.output, req.overwrite);
      const id = req.id ?? newJobId();
      await createJob(deps, { id, backend: 'local', source: paths.source, output: paths.output, options });
      hooks.note?.(`job ${id}: ${paths.source} -> ${paths.output}`);
      hooks.onJob?.(id);
      const job = await runJob(deps, rt.executorFor((await deps.ledger.getJob(id))!), id, hooks.signal);
      return { job };
    },
    async resume(jobId, hooks = {}) {
      const job = await existing(jobId);
      hooks.onJob?.(jobId);
      return { job: await resumeJob(deps, rt.executorFor(job), jobId, hooks.signal, { force: hooks.force === true }) };
    },
    async retry(jobId, hooks = {}) {
      const job = await existing(jobId);
      hooks.onJob?.(jobId);
      return { job: await retryJob(deps, rt.executorFor(job), jobId, hooks.signal) };
    },
    async quality(jobId, hooks = {}) {
      return addQualityReport(deps, jobId, hooks.signal);
    },
    async status(jobId) {
      const job = await deps.ledger.getJob(jobId);
      if (!job) throw new NotFoundError(`no job ${jobId}`);
      return { view: jobView(job, await deps.ledger.listTasks(jobId)), events: await deps.ledger.listEvents(jobId) };
    },
    jobs: (limit) => deps.ledger.listJobs({ limit }),
    runsElsewhere(job, tasks) {
      if (!ACTIVE_STATUSES.includes(job.status)) return false;
      const now = deps.clock();
      if (tasks.some((t) => t.status === 'running' && now - (t.heartbeatAt ?? 0) < FRESH_MS)) return true;
      const workers = new Set(tasks.map((t) => t.worker).filter((w): w is string => !!w && w !== deps.workerId));
      for (const w of workers) if (deps.isWorkerAlive?.(w) === true) return true;
      return tasks.length === 0 && now - job.updatedAt < 2 * FRESH_MS;
    },
    remove: (jobId) => removeJob(deps, jobId),
    gc: (olderThanMs) => removeJobsOlderThan(deps, olderThanMs),
    close: () => rt.close(),
  };
}
