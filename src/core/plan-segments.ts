/**
 * Segment planning: a pure function from the frame times and keyframes of the source to segments
 * [startFrame, startFrame + frameCount). Cuts go on the keyframe nearest each target point when one is close
 * enough; where keyframes are too sparse the cut goes on the exact frame (input seeking with re-encode is
 * frame-exact, it only costs decoding from the previous keyframe).
 */
import type { PlannedSegment, SegmentPlan } from './types.js';

export interface PlanInput {
  frameTimes: readonly number[];
  keyframeIndices: readonly number[];
  lastFrameDuration: number;
  targetSeconds: number;
}

/** A keyframe within this fraction of the target length from the ideal cut point is used instead of it. */
const KEYFRAME_WINDOW = 0.35;
/** A remainder shorter than this fraction of the target is folded into the segment before it. */
const MIN_TAIL = 0.5;

/** Default target length from the duration and the number of parallel workers: about four segments per worker. */
export function defaultSegmentSeconds(durationSeconds: number, workers: number): number {
  const raw = durationSeconds / (Math.max(1, workers) * 4);
  return Math.min(120, Math.max(5, Math.round(raw)));
}

function firstIndexAtOrAfter(times: readonly number[], t: number, from: number): number {
  let lo = from;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nearestKeyframe(keys: readonly number[], times: readonly number[], after: number, target: number, window: number): number | undefined {
  let best: number | undefined;
  let bestDist = Infinity;
  for (const k of keys) {
    if (k <= after) continue;
    const d = Math.abs(times[k]! - target);
    if (times[k]! > target + window) break;
    if (d <= window && d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best;
}

export function planSegments(input: PlanInput): SegmentPlan {
  const { frameTimes: times, lastFrameDuration } = input;
  const total = times.length;
  if (total === 0) throw new Error('planSegments: no frames');
  const target = input.targetSeconds > 0 ? input.targetSeconds : 10;
  const keys = [...new Set(input.keyframeIndices)].filter((k) => k > 0 && k < total).sort((a, b) => a - b);
  const keySet = new Set(input.keyframeIndices);
  const endOfAll = times[total - 1]! + lastFrameDuration;
  const window = target * KEYFRAME_WINDOW;

  const cuts = [0];
  let start = 0;
  for (;;) {
    const startTime = times[start]!;
    if (endOfAll - startTime < target * (1 + MIN_TAIL)) break;
    const ideal = startTime + target;
    let cut = nearestKeyframe(keys, times, start, ideal, window);
    if (cut === undefined) cut = firstIndexAtOrAfter(times, ideal, start + 1);
    if (cut >= total || cut <= start) break;
    if (endOfAll - times[cut]! < target * MIN_TAIL) break;
    cuts.push(cut);
    start = cut;
  }

  const segments: PlannedSegment[] = cuts.map((s, i) => {
    const next = cuts[i + 1] ?? total;
    return {
      index: i,
      startFrame: s,
      frameCount: next - s,
      startTime: times[s]!,
      endTime: next < total ? times[next]! : endOfAll,
      startsOnKeyframe: s === 0 || keySet.has(s),
    };
  });
  const encodeOrder = segments
    .map((s) => s.index)
    .sort((a, b) => {
      const da = segments[a]!.endTime - segments[a]!.startTime;
      const db = segments[b]!.endTime - segments[b]!.startTime;
      return db - da || a - b;
    });
  return { segments, targetSeconds: target, totalFrames: total, encodeOrder };
}
