/**
 * The public shape of a job (CLI --json, HTTP API): the record without bulky analysis arrays, with its
 * tasks and derived totals.
 */
import { cutMethodFor } from '../core/cut-policy.js';
import { chooseOutputFormat } from '../core/output-format.js';
import type { EncodeProfile, JobRecord, MediaAnalysis, TaskRecord } from '../core/types.js';
import type { Ledger } from '../ports/ledger.js';

export interface TaskView {
  kind: TaskRecord['kind'];
  index: number;
  key: string;
  status: TaskRecord['status'];
  startFrame: number;
  frameCount: number;
  startTime: number;
  endTime: number;
  attempts: number;
  worker?: string;
  startedAt?: number;
  finishedAt?: number;
  wallMs?: number;
  cpuSeconds?: number;
  sizeBytes?: number;
  error?: string;
}

export function taskView(t: TaskRecord): TaskView {
  const { args: _a, stderrTail: _s, checksum: _c, heartbeatAt: _h, jobId: _j, outputKey: _o, exitCode: _e, ...rest } = t;
  return rest;
}

export function jobView(job: JobRecord, tasks: TaskRecord[]) {
  const videos = tasks.filter((t) => t.kind === 'video');
  const a = job.analysis;
  const cpuSeconds = tasks.reduce((s, t) => s + (t.cpuSeconds ?? 0), 0);
  const sourceDuration = a?.duration;
  const wall = job.timings.totalMs;
  return {
    id: job.id,
    status: job.status,
    backend: job.backend,
    source: job.source,
    output: job.output,
    profile: job.options.profile,
    options: {
      segmentSeconds: job.plan?.targetSeconds ?? job.options.segmentSeconds,
      workers: job.options.workers,
      threadsPerWorker: job.options.threadsPerWorker,
      tailThreads: job.options.tailThreads ?? job.options.threadsPerWorker,
      maxAttempts: job.options.maxAttempts,
      verify: job.options.verify,
      qualityReport: job.options.qualityReport === true,
      acceptCutCost: job.options.acceptCutCost === true,
    },
    /** What the planner changed from what was asked (a lengthened --segment-seconds), and why. */
    planNotices: job.plan?.notices ?? [],
    error: job.error,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    sourceInfo: a
      ? {
          format: a.formatName,
          duration: a.duration,
          width: a.video.width,
          height: a.video.height,
          codec: a.video.codec,
          frameRateMode: a.video.frameRateMode,
          frames: a.video.frameTimes.length,
          rotation: a.video.rotation,
          audioStreams: a.audio.length,
          subtitleStreams: a.subtitles.length,
        }
      : undefined,
    /** The output's pictures as chosen from the source (pixel format, range, HDR10) and what was not kept. */
    picture: a ? pictureOf(job.options.profile, a) : undefined,
    /** How segments read their frames from the source, and why (core/cut-policy.ts cutMethodFor). */
    cutting: a ? cutMethodFor(a, job.cutFallback) : undefined,
    frames: job.result?.frames,
    expectedFrames: job.plan?.totalFrames,
    durations: job.result ? { video: job.result.videoDuration, audio: job.result.audioDuration, source: sourceDuration } : undefined,
    sizeBytes: job.result?.sizeBytes,
    verify: job.result?.verify,
    /** PSNR/SSIM against the source, whole and per seam (core/quality-report.ts); with --quality-report or when asked. */
    quality: job.result?.quality,
    /** A ladder's renditions: size, measured peak and average bitrate, segments (outputs/ladder/publish-ladder.ts). */
    renditions: job.result?.renditions,
    timings: job.timings,
    cpuSeconds,
    speed: sourceDuration && wall ? sourceDuration / (wall / 1000) : undefined,
    segmentsDone: videos.filter((t) => t.status === 'done').length,
    segmentsFailed: videos.filter((t) => t.status === 'failed').length,
    segmentsTotal: videos.length,
    segments: tasks.map(taskView),
  };
}

function pictureOf(profile: EncodeProfile, analysis: MediaAnalysis) {
  const f = chooseOutputFormat(analysis.video, profile);
  return {
    sourcePixelFormat: analysis.video.pixelFormat,
    pixelFormat: f.pixelFormat,
    fullRange: f.fullRange,
    hdr10: !!f.hdr,
    notices: f.notices,
  };
}

export type JobView = ReturnType<typeof jobView>;

export async function loadJobView(ledger: Ledger, jobId: string): Promise<JobView | undefined> {
  const job = await ledger.getJob(jobId);
  if (!job) return undefined;
  return jobView(job, await ledger.listTasks(jobId));
}
