/**
 * The public shape of a job (CLI --json, HTTP API): the record without bulky analysis arrays, with its
 * tasks and derived totals.
 */
import { cutMethodFor } from '../core/cut-policy.js';
import { chooseOutputFormat } from '../core/output-format.js';
import { bandPosition, targetLabel, type BandPosition } from '../core/target-text.js';
import type {
  EncodeProfile,
  JobRecord,
  MediaAnalysis,
  QualityTarget,
  SegmentQuality,
  TaskLiveProgress,
  TaskRecord,
} from '../core/types.js';
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
  /** A running attempt's live figures: frames encoded so far, frames a second, seconds left at that rate. */
  progress?: LiveFigures;
  /** A targeted job's segment: its CRF search's trials so far, the kept CRF and score, where that lands. */
  quality?: SegmentQualityView;
}

export interface SegmentQualityView extends SegmentQuality {
  /** Where the kept encode's score lands against the band (core/target-text.ts); absent while it searches. */
  position?: BandPosition;
}

/** A targeted job's figures: the target, and how many of its video segments landed in the band. */
export interface TargetView extends QualityTarget {
  /** "vmaf 93 ±1". */
  label: string;
  segments: number;
  /** Segments with a kept encode (the others still search, or have not started). */
  scored: number;
  inBand: number;
  /** The scored segments outside the band, and why. */
  outside: Array<{ index: number; position: BandPosition; crf: number; score: number; reason?: string }>;
  /** "3 of 4 segments in band (vmaf 93 ±1)", with how many are not scored yet. */
  summary: string;
}

export interface LiveFigures {
  frames: number;
  fps?: number;
  etaSeconds?: number;
  /** Epoch ms of the reading. */
  at: number;
}

/** The job's encoding progress: frames done (finished segments and the running ones' frames) out of all. */
export interface JobProgress {
  frames: number;
  totalFrames: number;
  /** Frames a second: those encoded since this run's encoding began over the time since (or the running segments' sum). */
  fps?: number;
  /** Seconds of encoding left at that rate (merge and verify come after). */
  etaSeconds?: number;
  at?: number;
}

const readingOf = (t: TaskRecord): TaskLiveProgress | undefined => (t.status === 'running' ? t.progress : undefined);
/** Frames of a task done so far: all of a done one, a running one's reading. */
const framesOf = (t: TaskRecord): number => (t.status === 'done' ? t.frameCount : Math.min(t.frameCount, readingOf(t)?.frames ?? 0));

/** Frames a second of a running attempt: its own figure, else frames over the time since it started. */
function attemptFps(t: TaskRecord, p: TaskLiveProgress): number | undefined {
  if (p.fps !== undefined && Number.isFinite(p.fps) && p.fps > 0) return p.fps;
  const secs = t.startedAt !== undefined ? (p.at - t.startedAt) / 1000 : 0;
  return secs > 0.5 && p.frames > 0 ? p.frames / secs : undefined;
}

function liveFigures(t: TaskRecord): LiveFigures | undefined {
  const p = readingOf(t);
  if (!p) return undefined;
  const frames = Math.min(Math.max(0, p.frames), t.frameCount || p.frames);
  const fps = attemptFps(t, p);
  const left = Math.max(0, t.frameCount - frames);
  return { frames, fps, etaSeconds: fps && t.kind === 'video' ? left / fps : undefined, at: p.at };
}

export function taskView(t: TaskRecord): TaskView {
  const {
    args: _a,
    stderrTail: _s,
    checksum: _c,
    heartbeatAt: _h,
    jobId: _j,
    outputKey: _o,
    exitCode: _e,
    progress: _p,
    quality: q,
    ...rest
  } = t;
  const progress = liveFigures(t);
  const position = q && bandPosition(q);
  return {
    ...rest,
    ...(progress ? { progress } : {}),
    ...(q ? { quality: position ? { ...q, position } : q } : {}),
  };
}

/** The target's figures over the job's video tasks; undefined for a job without a target. */
export function targetView(target: QualityTarget | undefined, tasks: readonly TaskRecord[]): TargetView | undefined {
  if (!target) return undefined;
  const videos = tasks.filter((t) => t.kind === 'video');
  const label = targetLabel(target);
  const scored = videos.flatMap((t) => {
    const q = t.quality;
    const position = q && bandPosition(q);
    return q && position && q.crf !== undefined && q.score !== undefined
      ? [{ index: t.index, position, crf: q.crf, score: q.score, ...(q.reason ? { reason: q.reason } : {}) }]
      : [];
  });
  const outside = scored.filter((s) => s.position !== 'in');
  const inBand = scored.length - outside.length;
  const waiting = videos.length - scored.length;
  return {
    ...target,
    label,
    segments: videos.length,
    scored: scored.length,
    inBand,
    outside,
    summary: `${inBand} of ${videos.length} ${videos.length === 1 ? 'segment' : 'segments'} in band (${label})${waiting ? `, ${waiting} not scored yet` : ''}`,
  };
}

/**
 * The job's live progress from its video tasks: the measured rate is the frames encoded since this run's
 * encoding began (its first task start) over the time since, as of the newest reading (`now`, else the
 * newest heartbeat); with no such time yet, the running attempts' own rates summed.
 */
export function jobProgress(job: JobRecord, tasks: TaskRecord[], now?: number): JobProgress | undefined {
  const videos = tasks.filter((t) => t.kind === 'video');
  if (videos.length === 0) return undefined;
  const totalFrames = videos.reduce((s, t) => s + t.frameCount, 0);
  const frames = videos.reduce((s, t) => s + framesOf(t), 0);
  const readings = videos.map(readingOf).filter((p): p is TaskLiveProgress => !!p);
  const at = now ?? (readings.length ? Math.max(...readings.map((p) => p.at)) : undefined);
  if (job.status !== 'encoding' || at === undefined) return { frames, totalFrames, at };
  const runStart = job.startedAt ?? job.createdAt;
  const thisRun = videos.filter((t) => t.startedAt !== undefined && t.startedAt >= runStart);
  const since = thisRun.length ? Math.min(...thisRun.map((t) => t.startedAt!)) : undefined;
  const runFrames = thisRun.reduce((s, t) => s + framesOf(t), 0);
  let fps: number | undefined;
  if (since !== undefined && at - since >= 1000 && runFrames > 0) fps = runFrames / ((at - since) / 1000);
  else {
    const sum = videos.reduce((s, t) => {
      const p = readingOf(t);
      return s + ((p && attemptFps(t, p)) ?? 0);
    }, 0);
    fps = sum > 0 ? sum : undefined;
  }
  return { frames, totalFrames, fps, etaSeconds: fps ? Math.max(0, totalFrames - frames) / fps : undefined, at };
}

/** `now`: when the view is read (live figures are measured up to it); without it, the newest heartbeat. */
export function jobView(job: JobRecord, tasks: TaskRecord[], now?: number) {
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
    /** The template (`--template`) the job's options came from. */
    template: job.options.template,
    /** `--target-quality`: the target and how many segments reached it (each segment's search is in its `quality`). */
    target: targetView(job.options.profile.target, tasks),
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
    /** Whether the source was analyzed and cut into segments; a job that failed before has no segments to resume. */
    planned: job.plan !== undefined,
    /** It failed on its source (not media, no video): resume and retry would fail the same way, so none is offered. */
    sourceRefused: job.status === 'failed' && job.errorKind === 'input',
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
    /** `--thumbnails`: the poster, sprite sheets and WebVTT map beside the output (app/thumbnails/). */
    thumbnails: job.result?.thumbnails,
    timings: job.timings,
    cpuSeconds,
    /** Source duration over wall time, for a done job only (a failed or stopped run's wall time says nothing). */
    speed: job.status === 'done' && sourceDuration && wall ? sourceDuration / (wall / 1000) : undefined,
    /** Frames encoded of all, with the measured rate and time left while it encodes. */
    progress: jobProgress(job, tasks, now),
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
