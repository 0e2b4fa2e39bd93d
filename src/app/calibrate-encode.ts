/**
 * Encode-speed calibration for `shardcast estimate`: encodes a few seconds from the middle of the source with
 * the job's settings, exactly as a segment would be encoded, and times it.
 */
import { join } from 'node:path/posix';
import { buildSegmentEncodeArgs } from '../core/ffmpeg-args.js';
import { segmentReadOf } from '../core/cut-policy.js';
import { FfmpegError } from '../core/errors.js';
import { planSegments } from '../core/plan-segments.js';
import type { EncodeProfile, MediaAnalysis, PlannedSegment } from '../core/types.js';
import type { AppDeps } from './deps.js';
import type { CalibrationSample } from './job-cost.js';

export interface CalibrateOptions {
  /** Seconds of source to encode. */
  seconds: number;
  threads: number;
  /** A blob prefix for the scratch file (removed after). */
  scratchId: string;
}

export async function calibrateEncode(
  deps: AppDeps,
  source: string,
  analysis: MediaAnalysis,
  profile: EncodeProfile,
  opts: CalibrateOptions,
): Promise<CalibrationSample> {
  const plan = planSegments({
    frameTimes: analysis.video.frameTimes,
    keyframeIndices: analysis.video.keyframeIndices,
    lastFrameDuration: analysis.video.lastFrameDuration,
    targetSeconds: opts.seconds,
  });
  const segment = plan.segments[Math.floor(plan.segments.length / 2)]!;
  try {
    const run = await encodeSample(deps, source, analysis, profile, segment, opts.threads, opts.scratchId, 'calibration');
    return {
      wallMs: run.wallMs,
      sourceSeconds: segment.endTime - segment.startTime,
      outputBytes: run.bytes,
      threads: opts.threads,
    };
  } finally {
    await deps.blobs.deletePrefix(`${opts.scratchId}/`);
  }
}

/**
 * Encodes the frames of `segment` exactly as a segment task would, into the scratch prefix `scratchId` (the
 * caller removes it), and says how long it took and how many bytes it made.
 */
export async function encodeSample(
  deps: AppDeps,
  source: string,
  analysis: MediaAnalysis,
  profile: EncodeProfile,
  segment: PlannedSegment,
  threads: number,
  scratchId: string,
  name: string,
): Promise<{ wallMs: number; bytes: number }> {
  const outputPath = join(await deps.blobs.scratchDir(scratchId), `${name}.mp4`);
  const ffmpeg = (await deps.media.info()).find((t) => t.tool === 'ffmpeg');
  const args = buildSegmentEncodeArgs({
    sourceLocation: await deps.readableSource(source),
    analysis,
    segment,
    read: segmentReadOf(analysis, segment),
    profile,
    threads,
    outputPath,
    avcodecMajor: ffmpeg?.avcodecMajor ?? 0,
  });
  const r = await deps.media.run('ffmpeg', args);
  if (r.exitCode !== 0) {
    throw new FfmpegError(`${name} encode failed: ${r.stderrTail.trim().split('\n').pop() ?? ''}`, {
      tool: 'ffmpeg',
      exitCode: r.exitCode,
      signal: r.signal,
      stderrTail: r.stderrTail,
    });
  }
  return { wallMs: r.wallMs, bytes: (await deps.sourceSize(outputPath)) ?? 0 };
}
