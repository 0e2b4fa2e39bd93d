/**
 * Read models for the API: the list items, the job detail (the CLI's jobView plus what only the server
 * knows), and whether a job is being run by some process right now.
 */
import { stat } from 'node:fs/promises';
import { jobView } from '../app/job-view.js';
import { NotFoundError } from '../core/errors.js';
import type { JobRecord, TaskRecord } from '../core/types.js';
import { jobCostView } from './cost-estimate.js';
import type { ServerContext } from './server-context.js';

/** Whether another process (a CLI run, another host's worker, an execution) is working on the job now. */
export function activeElsewhere(ctx: ServerContext, job: JobRecord, tasks: TaskRecord[]): boolean {
  return !ctx.runner.isRunning(job.id) && ctx.backend.runsElsewhere(job, tasks);
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

export async function loadJob(ctx: ServerContext, id: string): Promise<JobRecord> {
  const job = await ctx.backend.ledger.getJob(id);
  if (!job) throw new NotFoundError(`no job ${id}`);
  return job;
}

export async function jobDetail(ctx: ServerContext, id: string) {
  const job = await loadJob(ctx, id);
  const tasks = await ctx.backend.ledger.listTasks(id);
  const view = jobView(job, tasks);
  const outputSize = job.status === 'done' ? await fileSize(job.output) : undefined;
  return {
    ...view,
    sourceName: await ctx.files.sourceName(id, job.source),
    running: ctx.runner.isRunning(id),
    runningElsewhere: activeElsewhere(ctx, job, tasks),
    outputAvailable: outputSize !== undefined,
    outputSizeBytes: outputSize,
    live: ctx.live.forJob(id),
    costEstimate: jobCostView(job, tasks, ctx.prices),
  };
}

export type JobDetail = Awaited<ReturnType<typeof jobDetail>>;

export async function listJobItems(ctx: ServerContext, limit: number) {
  const { ledger } = ctx.backend;
  const summaries = await ledger.listJobs({ limit });
  const items = [];
  for (const s of summaries) {
    const job = await ledger.getJob(s.id);
    if (!job) continue;
    const p = job.options.profile;
    const duration = job.analysis?.duration;
    const wallMs = job.timings.totalMs;
    items.push({
      id: s.id,
      status: s.status,
      backend: s.backend,
      source: s.source,
      sourceName: await ctx.files.sourceName(s.id, s.source),
      profile: {
        container: p.container,
        videoCodec: p.videoCodec,
        crf: p.crf,
        preset: p.preset,
        width: p.width,
        height: p.height,
        audioCodec: p.audioCodec,
      },
      segmentsDone: s.segmentsDone,
      segmentsTotal: s.segmentsTotal,
      duration,
      wallMs,
      speed: duration && wallMs ? duration / (wallMs / 1000) : undefined,
      sizeBytes: job.result?.sizeBytes,
      running: ctx.runner.isRunning(s.id),
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      error: s.error,
    });
  }
  return items;
}
