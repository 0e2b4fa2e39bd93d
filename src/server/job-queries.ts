/**
 * Read models for the API: the list items, the job detail (the CLI's jobView plus what only the server
 * knows), and whether a job is being run by some process right now.
 */
import { readdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { jobProgress, jobView, targetView } from '../app/job-view.js';
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

/** The names a ladder's folder holds (the folder may hold other files of the user's): its playlists and renditions. */
const LADDER_TOP = /^(master\.m3u8|manifest\.mpd)$/;
const LADDER_DIR = /^[vas]\d{1,5}$/;
const LADDER_FILE = /^(index\.m3u8|iframes\.m3u8|init\.mp4|seg_\d{5,}\.m4s|subtitles(-dash)?\.vtt)$/;

/** A finished ladder's bytes on disk: its playlists, manifests, init and media segments of every rendition. */
async function ladderSize(master: string): Promise<number | undefined> {
  if ((await fileSize(master)) === undefined) return undefined;
  const dir = dirname(master);
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isFile() && LADDER_TOP.test(e.name)) total += (await fileSize(join(dir, e.name))) ?? 0;
    else if (e.isDirectory() && LADDER_DIR.test(e.name)) {
      for (const f of await readdir(join(dir, e.name)).catch(() => [] as string[]))
        if (LADDER_FILE.test(f)) total += (await fileSize(join(dir, e.name, f))) ?? 0;
    }
  }
  return total;
}

/** This server's host name: a worker id `host:pid/start` of this host is shown as "this machine". */
const SERVER_HOST = hostname();

/** The encodes this server runs report their frames more often than the heartbeats write them: the fresher wins. */
function withLiveFrames(live: ReturnType<ServerContext['live']['forJob']>, tasks: TaskRecord[]): TaskRecord[] {
  return tasks.map((t) => {
    const l = live[t.key];
    const written = t.progress?.at ?? 0;
    return t.status === 'running' && l && l.at >= written ? { ...t, progress: { frames: l.frames, at: l.at } } : t;
  });
}

export async function loadJob(ctx: ServerContext, id: string): Promise<JobRecord> {
  const job = await ctx.backend.ledger.getJob(id);
  if (!job) throw new NotFoundError(`no job ${id}`);
  return job;
}

export async function jobDetail(ctx: ServerContext, id: string) {
  const job = await loadJob(ctx, id);
  const ledgerTasks = await ctx.backend.ledger.listTasks(id);
  const live = ctx.live.forJob(id);
  const tasks = withLiveFrames(live, ledgerTasks);
  const view = jobView(job, tasks, Date.now());
  const ladder = job.options.profile.ladder !== undefined;
  const outputSize = job.status !== 'done' ? undefined : ladder ? await ladderSize(job.output) : await fileSize(job.output);
  return {
    ...view,
    sourceName: await ctx.files.sourceName(id, job.source),
    running: ctx.runner.isRunning(id),
    runningElsewhere: activeElsewhere(ctx, job, ledgerTasks),
    outputAvailable: outputSize !== undefined,
    outputSizeBytes: outputSize,
    /** Frames encoded so far by the running encodes of this server, by task key (also in each segment's `progress`). */
    live: Object.fromEntries(Object.entries(live).map(([k, v]) => [k, v.frames])),
    serverHost: SERVER_HOST,
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
    const done = job.status === 'done';
    // Frames done of all (with fps and time left) for a job that encodes now, and a targeted job's segments in
    // band: only these read the job's tasks.
    const tasks = job.status === 'encoding' || p.target ? await ledger.listTasks(s.id) : [];
    const progress = job.status === 'encoding' ? jobProgress(job, withLiveFrames(ctx.live.forJob(s.id), tasks), Date.now()) : undefined;
    const target = targetView(p.target, tasks);
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
        ladder: p.ladder,
      },
      segmentsDone: s.segmentsDone,
      segmentsTotal: s.segmentsTotal,
      progress,
      duration,
      wallMs,
      speed: done && duration && wallMs ? duration / (wallMs / 1000) : undefined,
      sizeBytes: job.result?.sizeBytes,
      running: ctx.runner.isRunning(s.id),
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      error: s.error,
      target: target && {
        metric: target.metric,
        value: target.value,
        label: target.label,
        segments: target.segments,
        scored: target.scored,
        inBand: target.inBand,
      },
    });
  }
  return items;
}
