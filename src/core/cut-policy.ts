/**
 * Where a segment's read starts and which frames it keeps: by an input seek to the cut where the source's
 * keyframes can be trusted, else by pre-roll from the third keyframe before it (docs/adr/0007). Pure: numbers
 * and filter strings from the analysis.
 */
import { parseRate } from './probe-parse.js';
import type { AnalysisHead, MediaAnalysis, PlannedSegment, SegmentRead } from './types.js';

/** Smallest time-base tick (seconds) for which the keyframe seek below is used: its margin must beat µs rounding. */
const MIN_KEYFRAME_SEEK_TICK = 8e-6;

/**
 * How segments read their frames. `seek`: input seeking lands on the keyframe at or before the cut (index-based
 * containers: MP4, Matroska, WebM). `preroll`: MPEG-TS and MPEG-PS seek by timestamp, landing on whatever packet
 * has the DTS (not on a keyframe), and their flagged packets may be recovery points without an IDR (intra
 * refresh) or open-GOP I-frames the decoder will not start on: measured on an intra-refresh TS, segments started
 * 38-104 frames late or held no frames at all, and on a plain IDR TS a cut inside a GOP started at the next one,
 * with the right frame count. There each segment decodes from the third flagged packet before its start (two
 * refresh periods of pre-roll: with B-frames one recovery spans more than one), one second early.
 *
 * Either way the segment keeps its frames by their source times (`-copyts`, `trim`), so a decode that starts
 * late (a flagged keyframe in an MP4 that is an intra-refresh recovery point, not an IDR) comes out short and the
 * segment check sees it, never a right count of the wrong frames. Such a segment is read again by pre-roll, and
 * the job remembers it (`fallback`: the first segment's finding) so later segments start with pre-roll.
 */
export type CutMethod = 'seek' | 'preroll';

export function cutMethodFor(analysis: AnalysisHead, fallback?: string): { method: CutMethod; reason?: string } {
  if (fallback) return { method: 'preroll', reason: fallback };
  const f = analysis.formatName.split(',');
  if (f.includes('mpegts') || f.includes('mpeg') || f.includes('mpegtsraw')) {
    return {
      method: 'preroll',
      reason: `${f[0]} seeks by timestamp and its keyframe flags may mark recovery points, not IDR frames: each segment decodes from the third keyframe before it and keeps its own frames by time`,
    };
  }
  return { method: 'seek' };
}

/** Pre-roll seconds before the third flagged keyframe: covers the seek landing on a DTS before a B-frame delay. */
const PREROLL_MARGIN_SECONDS = 1;

/**
 * How many flagged keyframes back a pre-roll read starts (counting the one at or before the segment start). An
 * intra-refresh recovery point completes `recovery_frame_cnt` reference frames later, and with B-frames between
 * them that is more than one flag interval: x264 keyint 60 with B-frames, recovery_frame_cnt 41, a decode from
 * the flag two back first output a frame 2 frames after the segment start (the check failed, 121 of 123).
 */
const PREROLL_KEYFRAMES = 3;

/** The -ss value of a pre-roll read: one second before the third flagged keyframe before the segment start. */
export function prerollSeekSeconds(analysis: MediaAnalysis, startFrame: number): number | undefined {
  const keys = analysis.video.keyframeIndices.filter((k) => k <= startFrame);
  if (keys.length < PREROLL_KEYFRAMES) return undefined;
  const at = analysis.video.frameTimes[keys[keys.length - PREROLL_KEYFRAMES]!]! - PREROLL_MARGIN_SECONDS - analysis.startTime;
  return at > 0 ? at : undefined;
}

/**
 * How far (as a share of the frame before it) the last frame's duration may differ from the one before before
 * the read takes the frame after (ms-rounded CFR timestamps differ by a few percent; a VFR gap by many times).
 */
const TAIL_FRAME_DURATION_CHANGE = 0.25;

/**
 * Whether a segment's last frame lasts unlike the frame before it. x264 knows a frame's duration only from the
 * next frame's timestamp and gives a stream's last frame the duration of the one before (the first, 1 / frame
 * rate); its rate control and macroblock tree weigh a frame by how long it shows. A one-pass encode knows that
 * the frame before a 1.5 s gap in a screen recording lasts 1.5 s and codes it 5-7 dB better than a segment that
 * ends there (measured on a generated VFR MKV cut at its gaps); the read then keeps the frame after too.
 */
export function lastFrameDurationDiffers(analysis: MediaAnalysis, segment: PlannedSegment): boolean {
  const t = analysis.video.frameTimes;
  const e = segment.startFrame + segment.frameCount;
  if (e >= t.length || segment.frameCount < 1) return false;
  const last = t[e]! - t[e - 1]!;
  const rate = parseRate(analysis.video.frameRate);
  const before = segment.frameCount >= 2 ? t[e - 1]! - t[e - 2]! : rate > 0 ? 1 / rate : last;
  return Math.abs(last - before) > TAIL_FRAME_DURATION_CHANGE * before;
}

/**
 * The trim window of a segment's read, in source times: halfway to the neighbouring frames on either side; with
 * `tailFrame`, the frame after the segment is kept too.
 */
export function segmentTrim(analysis: MediaAnalysis, segment: PlannedSegment, tailFrame = false): string {
  const t = analysis.video.frameTimes;
  const s = segment.startFrame;
  const e = s + segment.frameCount + (tailFrame ? 1 : 0);
  const parts = [];
  if (s > 0) parts.push(`start=${((t[s - 1]! + t[s]!) / 2).toFixed(6)}`);
  if (e < t.length) parts.push(`end=${((t[e - 1]! + t[e]!) / 2).toFixed(6)}`);
  return parts.length ? `trim=${parts.join(':')}` : 'null';
}

/**
 * The -ss value that starts the segment exactly on frame `startFrame`. ffmpeg's input `-ss` does two things:
 * the demuxer seeks to the last keyframe at or before it, then frames before it are dropped after decoding.
 *
 * - A segment that does not start on a keyframe: halfway between the frame and the one before (half a frame of
 *   margin against every rounding on the way), decoding from the keyframe before.
 * - A segment that starts on a keyframe: a quarter of a time-base tick before the keyframe. The seek target
 *   rounds to the keyframe's own tick, so the demuxer lands on it, and the frame before is at least a tick
 *   earlier, so it is still dropped. The halfway point would land on the keyframe *before* and decode a whole
 *   GOP for nothing (measured: 1.8 CPU s per segment on a noisy 720p source with a 2 s GOP, 5% of a 60 s
 *   job). With a time base finer than 8 µs the margin would not cover ffprobe's µs rounding, so such
 *   sources keep the halfway point.
 */
export function seekSecondsFor(analysis: MediaAnalysis, startFrame: number, startsOnKeyframe = false): number | undefined {
  if (startFrame <= 0) return undefined;
  const t = analysis.video.frameTimes;
  const tick = parseRate(analysis.video.timeBase);
  const at = startsOnKeyframe && tick >= MIN_KEYFRAME_SEEK_TICK ? t[startFrame]! - tick / 4 : (t[startFrame - 1]! + t[startFrame]!) / 2;
  return Math.max(0, at - analysis.startTime);
}

/** A segment's read window from the frame list (stored with its task at planning). */
export function segmentReadOf(analysis: MediaAnalysis, segment: PlannedSegment): SegmentRead {
  const seek = seekSecondsFor(analysis, segment.startFrame, segment.startsOnKeyframe);
  const preroll = prerollSeekSeconds(analysis, segment.startFrame);
  const tailFrame = lastFrameDurationDiffers(analysis, segment);
  return {
    ...(seek !== undefined ? { seekSeconds: seek } : {}),
    ...(preroll !== undefined ? { prerollSeekSeconds: preroll } : {}),
    trim: segmentTrim(analysis, segment, tailFrame),
    ...(tailFrame ? { tailFrame: true as const } : {}),
  };
}
