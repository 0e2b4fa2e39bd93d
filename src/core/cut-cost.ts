/**
 * What cutting costs, measured in the output encoder. Every segment starts with a keyframe and an encoder that
 * knows nothing of the frames before it, where a one-pass encode has neither; a cut on one of the source's own
 * keyframes costs as much as any other, since the one-pass encoder does not keep the source's keyframes. The
 * source's own keyframe sizes (packet-scan.ts keyframeCostSeconds) misjudge it where the source codec is
 * intra-heavy: MPEG-2 480i said 0.058 s, a measured cut costs 0.17 s (+14.2% bytes cut every second).
 *
 * So where a user asks for short segments, a few seconds of the source are encoded twice with the job's own
 * settings, whole and in pieces of the asked length, and the difference per cut, in seconds of the output's
 * bitrate, says what each cut of the plan costs.
 */
import { firstIndexAtOrAfter } from './plan-segments.js';
import type { PlannedSegment } from './types.js';

/** The share of the video's bytes an asked-for segment length may cost before the planner lengthens it. */
export const REQUEST_CUT_BUDGET = 0.05;
/** Asked-for segments at least this long are not measured: their cuts cost little on any content seen. */
export const CUT_COST_CHECK_BELOW_SECONDS = 8;
/** Sources shorter than this are not measured (the sample would be most of the source). */
export const CUT_COST_MIN_SOURCE_SECONDS = 8;
/** The plan's cuts the measurement encodes lie within this many seconds of each other (at least one cut). */
const SAMPLE_CUT_SPAN_SECONDS = 4;
/** Source encoded before the first of them and after the last. */
const SAMPLE_MARGIN_SECONDS = 1;

export interface CutSample {
  /** The sample as one segment. */
  whole: PlannedSegment;
  /** The same frames cut where the plan cuts them. */
  pieces: PlannedSegment[];
  seconds: number;
}

/**
 * The sample: the plan's own cuts nearest the middle of the source (on a source keyframe or not: a keyframe the
 * source put on a scene change costs the one-pass encoder the same, and so costs the cut little), as many as lie
 * within 4 s of each other, with 1 s of source before the first and after the last. Undefined for a plan without
 * cuts.
 */
export function cutSample(
  frameTimes: readonly number[],
  keyframeIndices: readonly number[],
  lastFrameDuration: number,
  segments: readonly Pick<PlannedSegment, 'startFrame'>[],
): CutSample | undefined {
  const n = frameTimes.length;
  const end = frameTimes[n - 1]! + lastFrameDuration;
  const cuts = segments.map((s) => s.startFrame).filter((f) => f > 0 && f < n);
  if (!cuts.length) return undefined;
  const mid = (frameTimes[0]! + end) / 2;
  let at = 0;
  cuts.forEach((c, i) => {
    if (Math.abs(frameTimes[c]! - mid) < Math.abs(frameTimes[cuts[at]!]! - mid)) at = i;
  });
  let lo = at;
  let hi = at;
  for (;;) {
    const span = (a: number, b: number) => frameTimes[cuts[b]!]! - frameTimes[cuts[a]!]!;
    const right = hi + 1 < cuts.length && span(lo, hi + 1) <= SAMPLE_CUT_SPAN_SECONDS ? hi + 1 : undefined;
    const left = lo > 0 && span(lo - 1, hi) <= SAMPLE_CUT_SPAN_SECONDS ? lo - 1 : undefined;
    if (right !== undefined && (left === undefined || hi - at <= at - lo)) hi = right;
    else if (left !== undefined) lo = left;
    else break;
  }
  const chosen = cuts.slice(lo, hi + 1);
  const indexAt = (t: number): number => firstIndexAtOrAfter(frameTimes, t - 1e-6);
  const first = Math.min(chosen[0]! - 1, indexAt(frameTimes[chosen[0]!]! - SAMPLE_MARGIN_SECONDS));
  const stop = Math.max(
    chosen[chosen.length - 1]! + 1,
    Math.min(n, indexAt(frameTimes[chosen[chosen.length - 1]!]! + SAMPLE_MARGIN_SECONDS)),
  );
  const keys = new Set(keyframeIndices);
  const timeOf = (i: number): number => (i < n ? frameTimes[i]! : end);
  const segment = (index: number, a: number, b: number): PlannedSegment => ({
    index,
    startFrame: a,
    frameCount: b - a,
    startTime: frameTimes[a]!,
    endTime: timeOf(b),
    startsOnKeyframe: keys.has(a),
  });
  const starts = [Math.max(0, first), ...chosen];
  const pieces = starts.map((s, i) => segment(i, s, starts[i + 1] ?? stop));
  return { whole: segment(0, starts[0]!, stop), pieces, seconds: timeOf(stop) - frameTimes[starts[0]!]! };
}

/**
 * What one cut costs, in seconds of the output's bitrate: the bytes the pieces spend over the whole, per cut,
 * over the whole's bytes per second. Never below 0 (a cut can land where the encoder would have put a keyframe).
 */
export function cutCostSeconds(wholeBytes: number, pieceBytes: readonly number[], sampleSeconds: number): number {
  const cuts = pieceBytes.length - 1;
  if (cuts < 1 || wholeBytes <= 0 || sampleSeconds <= 0) return 0;
  const extra = pieceBytes.reduce((a, b) => a + b, 0) - wholeBytes;
  return Math.max(0, extra / cuts / (wholeBytes / sampleSeconds));
}

/** The share of the video's bytes a plan's cuts add: one cut cost per segment after the first. */
export function planCutOverhead(costSeconds: number, segments: number, durationSeconds: number): number {
  return durationSeconds > 0 ? (costSeconds * Math.max(0, segments - 1)) / durationSeconds : 0;
}

/** The shortest segment length (to the half second above) whose cuts cost at most `budget` of the bytes. */
export function affordableSegmentSeconds(costSeconds: number, budget = REQUEST_CUT_BUDGET): number {
  return Math.ceil((costSeconds / budget) * 2) / 2;
}
