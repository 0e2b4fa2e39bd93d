/**
 * Segment planning: a pure function from the frame times and keyframes of the source to segments
 * [startFrame, startFrame + frameCount). Cuts go on the keyframe nearest each target point when one is close
 * enough; where keyframes are too sparse the cut goes on the exact frame (input seeking with re-encode is
 * frame-exact, it only costs decoding from the previous keyframe).
 *
 * With `workers` given and more than one round of work, the end of the source is cut finer ("taper"): `workers`
 * segments of half the target, then `workers` of a quarter (aimed at 2 s or more; a cut moved onto a keyframe
 * within 35% of a piece can make one shorter). Encoded longest first, the short ones come last, so the workers
 * run out of work at nearly the same time and the segments that get the tail threads (segment-threads.ts) are
 * small: those threads cost CPU per frame (8 s of noisy 720p: 20.0 CPU s with one decoder + two encoder threads
 * against 18.5 with one + one), so the fewer frames run with them the better.
 *
 * With `workers` given and no more segments than workers (one round: every segment runs at once), the source is
 * split into equal parts instead, cut on a keyframe only within 5% of a part, else on the exact frame: the job
 * lasts as long as its longest segment, and an exact cut costs only decoding from the keyframe before (10 s
 * clip, VP9, 2 cores: 163 + 137 frames on keyframes took 44.0 s, 150 + 150 took 33.1 s, one pair each).
 *
 * With `waveWidth` given (segments run in rounds of that many, an AWS Map), a plan of more than one round gets a
 * target whose count fills the rounds where that encodes sooner (`planSegments`).
 *
 * With `sceneCuts` given (scene-cuts.ts), a cut goes on a scene change near its point before any keyframe or exact
 * cut: within 25% of the target, of the shorter tapered piece, or the balance window of a one-round plan; one that
 * is a source keyframe first. The one-pass encode puts a keyframe there too, so the segment's own costs nothing.
 *
 * Over 300 lines: the planner and that search, which plans the source again at other targets.
 */
import { sceneCutNear } from './scene-cuts.js';
import type { PlannedSegment, SegmentPlan } from './types.js';

export interface PlanInput {
  frameTimes: readonly number[];
  keyframeIndices: readonly number[];
  lastFrameDuration: number;
  targetSeconds: number;
  /** Parallel workers: when given, a long plan ends in shorter segments and a one-round plan is split evenly. */
  workers?: number;
  /**
   * A cut off the source's keyframes adds a keyframe the one-pass encode does not have; such a cut is made only
   * when the segment before it is at least this long (`minExactCutSeconds`), else the segment runs on to the
   * next keyframe (or to this length where none comes sooner).
   */
  minExactSeconds?: number;
  /**
   * Segments encoded at once where they run in rounds (an AWS Map's MaxConcurrency): a plan of more than one
   * round gets a segment count that fills its rounds, so that no last round holds a few segments alone
   * (161 at 40: 5 rounds, the last holding one). See `fillWaves`.
   */
  waveWidth?: number;
  /**
   * The longest target the rounds may lengthen segments to (a function's time limit on a segment); absent, no
   * bound but the planner's. At or below the target, the count only rounds up (shorter segments).
   */
  maxTargetSeconds?: number;
  /**
   * Frame indices of the source's scene changes (VideoInfo.sceneCuts): a cut prefers one near its point, where
   * the one-pass encode has a keyframe too. A cut there off the source's keyframes is an exact cut that adds no
   * keyframe, so `minExactSeconds` does not hold it back.
   */
  sceneCuts?: readonly number[];
}

/** Share of a segment's bytes one added keyframe may cost. */
const EXACT_CUT_BUDGET = 0.015;

/**
 * The shortest segment worth an exact cut, from what a keyframe costs in the source (probe-parse.ts
 * keyframeCostSeconds): real_640x360 (0.39 s) gets 26 s, so it is cut on its own keyframes (8.4 s apart) and not
 * every 5 s: 11 segments cost +4.3% bytes and 0.37 dB against a one-pass encode, 5 on keyframes -0.2% and
 * -0.02 dB (with warm segment starts). Noisy content, where a keyframe costs little more than a P frame, is
 * barely affected.
 */
export function minExactCutSeconds(keyframeCostSeconds: number | undefined): number {
  return keyframeCostSeconds === undefined ? 0 : keyframeCostSeconds / EXACT_CUT_BUDGET;
}

/** A keyframe within this fraction of the target length from the ideal cut point is used instead of it. */
const KEYFRAME_WINDOW = 0.35;
/**
 * A scene change within this fraction of the target (or of the shorter tapered piece) from the ideal cut point is
 * used before any keyframe: segments stay within 0.75-1.25 of the target, inside the keyframe cuts' bounds, and
 * a one-round plan keeps its BALANCE_WINDOW.
 */
const SCENE_WINDOW = 0.25;
/** A remainder shorter than this fraction of the target is folded into the segment before it. */
const MIN_TAIL = 0.5;

/** In a one-round plan, a keyframe is used for a cut only this close to the equal split (fraction of a part). */
const BALANCE_WINDOW = 0.05;

/** Shortest tapered segment: below this, per-segment start-up (process, encoder, keyframe) starts to count. */
const TAPER_MIN_SECONDS = 2;

/** Lengths of the tapered tail, in order: `workers` × half the target, then `workers` × a quarter (≥ 2 s). */
export function taperLengths(targetSeconds: number, workers: number): number[] {
  const w = Math.max(1, Math.floor(workers));
  const half = Math.min(targetSeconds, Math.max(TAPER_MIN_SECONDS, targetSeconds / 2));
  const quarter = Math.min(half, Math.max(TAPER_MIN_SECONDS, targetSeconds / 4));
  if (quarter >= targetSeconds) return [];
  return [...Array<number>(w).fill(half), ...Array<number>(w).fill(quarter)];
}

/** Default target length from the duration and the number of parallel workers: about four segments per worker. */
export function defaultSegmentSeconds(durationSeconds: number, workers: number): number {
  const raw = durationSeconds / (Math.max(1, workers) * 4);
  return Math.min(120, Math.max(5, Math.round(raw)));
}

/** The first frame index at or after time `t`, from index `from` on (a binary search). */
export function firstIndexAtOrAfter(times: readonly number[], t: number, from = 0): number {
  let lo = from;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nearestKeyframe(
  keys: readonly number[],
  times: readonly number[],
  after: number,
  target: number,
  window: number,
): number | undefined {
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

/** Segments in the last round of `width`: `width` where the rounds are full. */
export function lastWaveOf(segments: number, width: number): number {
  const w = Math.max(1, Math.floor(width));
  return segments - (Math.ceil(segments / w) - 1) * w;
}

/** Steps of the search for a target that gives a count (each one plans the source). */
const WAVE_SEARCH_STEPS = 40;

/** The least gain in encode time (rounds over segments) worth changing the plan's segment lengths for. */
const WAVE_MIN_GAIN = 0.02;

/**
 * The plan at `input.targetSeconds`, and where it runs more than one round of `waveWidth` with the last not
 * full, the plan at a target whose count fills its rounds. Full rounds take the same encode time whatever
 * their number (the source over the width), while a last round of a few segments costs a whole segment's
 * time: 161 at 40 take 5 rounds of 1/161 of the source, 160 take 4 of 1/160. So the count goes down to the
 * multiple below (longer segments, only up to `maxTargetSeconds`) or up to the one above (shorter), whichever
 * encodes sooner, fewer segments on a tie; keyframe cuts make the count a step function of the target, so the
 * count can land a little under the multiple (199 for 200: the last round 39 of 40). The plan changes only
 * where that gains at least WAVE_MIN_GAIN. Its target alone reproduces it (`targetSeconds`, without the width).
 */
export function planSegments(input: PlanInput): SegmentPlan {
  const plan = planOnce(input);
  const width = input.waveWidth === undefined ? 0 : Math.floor(input.waveWidth);
  const n = plan.segments.length;
  if (width < 2 || n <= width || n % width === 0) return plan;
  // Encode time per source second, in segment times: rounds over segments.
  const cost = (p: SegmentPlan) => Math.ceil(p.segments.length / width) / p.segments.length;
  const target = plan.targetSeconds;
  const down = Math.floor(n / width) * width;
  const most = input.maxTargetSeconds ?? Number.POSITIVE_INFINITY;
  let best = plan;
  for (const count of [down, down + width]) {
    // The proportional target, and the search to half as far again (keyframe cuts are not proportional).
    const near = (target * n) / count;
    const far = target + (near - target) * 1.5;
    // Fewer segments: longer, up to the bound (none where it is the target); more: shorter.
    const [lo, hi] = count < n ? [target, Math.min(most, far)] : [Math.max(1, far), target];
    const found = fewestAtMost(input, count, lo, hi);
    if (!found) continue;
    const better = cost(found) <= cost(plan) * (1 - WAVE_MIN_GAIN);
    if (better && (cost(found) < cost(best) || (cost(found) === cost(best) && found.segments.length < best.segments.length))) best = found;
  }
  return best;
}

/**
 * The plan with the most segments up to `count` at a target in [lo, hi], by bisection for the shortest target
 * whose count is at most `count` (the count falls as the target grows); undefined where even `hi` gives more.
 * Its target is the roundest (fewest decimals, 0 to 3) giving the same count.
 */
function fewestAtMost(input: PlanInput, count: number, lo: number, hi: number): SegmentPlan | undefined {
  const planAt = (t: number) => planOnce({ ...input, targetSeconds: t });
  if (!(hi > lo)) return undefined;
  const [low, high] = [lo, hi];
  let top = planAt(hi);
  if (top.segments.length > count) return undefined;
  const bottom = planAt(lo);
  if (bottom.segments.length <= count) return bottom;
  for (let i = 0; i < WAVE_SEARCH_STEPS && hi - lo > 1e-4; i++) {
    const mid = (lo + hi) / 2;
    const p = planAt(mid);
    if (p.segments.length <= count) {
      hi = mid;
      top = p;
    } else lo = mid;
  }
  // The roundest target with the same count, within the bounds searched.
  for (let d = 0; d <= 3; d++) {
    const f = 10 ** d;
    for (const t of [Math.floor(hi * f) / f, Math.ceil(hi * f) / f]) {
      if (t <= low || t > high) continue;
      const p = planAt(t);
      if (p.segments.length === top.segments.length) return p;
    }
  }
  return top;
}

function planOnce(input: PlanInput): SegmentPlan {
  const { frameTimes: times, lastFrameDuration } = input;
  const total = times.length;
  if (total === 0) throw new Error('planSegments: no frames');
  const target = input.targetSeconds > 0 ? input.targetSeconds : 10;
  const keys = [...new Set(input.keyframeIndices)].filter((k) => k > 0 && k < total).sort((a, b) => a - b);
  const keySet = new Set(input.keyframeIndices);
  const scenes = [...new Set(input.sceneCuts ?? [])].filter((k) => k > 0 && k < total).sort((a, b) => a - b);
  const endOfAll = times[total - 1]! + lastFrameDuration;
  const window = target * KEYFRAME_WINDOW;
  const minExact = input.minExactSeconds ?? 0;
  /** The first keyframe after frame `after` at or before time `limit`. */
  const firstKeyframeUpTo = (after: number, limit: number): number | undefined => keys.find((k) => k > after && times[k]! <= limit);

  const workers = input.workers === undefined ? undefined : Math.max(1, Math.floor(input.workers));
  // The tapered tail applies when the part before it still holds a full round of target-length segments.
  const pieces = workers !== undefined ? taperLengths(target, workers) : [];
  const tailSpan = pieces.reduce((a, b) => a + b, 0);
  const taper = pieces.length > 0 && endOfAll - times[0]! >= tailSpan + workers! * target;
  const mainEnd = taper ? endOfAll - tailSpan : endOfAll;

  const cuts = [0];
  let start = 0;
  /**
   * Cuts at fixed times: each on the keyframe nearest it within `window`, else on the exact frame. A cut that
   * would leave the segment before it under `minBefore` (one that landed late, past a gap in the timestamps)
   * is skipped, so that segment runs on into the next; none leaves less than `minLast` after it.
   */
  const cutAtTimes = (points: Array<{ at: number; window: number; sceneWindow: number; minBefore: number }>, minLast: number): void => {
    for (const p of points) {
      const key = sceneCutNear(scenes, keySet, times, start, p.at, p.sceneWindow) ?? nearestKeyframe(keys, times, start, p.at, p.window);
      // An exact cut into a segment shorter than minExact is not worth its keyframe: skip it (run on).
      if (key === undefined && (p.at - times[start]! < minExact || endOfAll - p.at < minExact * MIN_TAIL)) continue;
      const cut = key ?? firstIndexAtOrAfter(times, p.at, start + 1);
      if (cut >= total || cut <= start || times[cut]! - times[start]! < p.minBefore) continue;
      if (endOfAll - times[cut]! < minLast) break;
      cuts.push(cut);
      start = cut;
    }
  };

  for (;;) {
    const startTime = times[start]!;
    if (mainEnd - startTime < target * (1 + MIN_TAIL)) break;
    const ideal = startTime + target;
    let cut =
      sceneCutNear(scenes, keySet, times, start, ideal, target * SCENE_WINDOW) ?? nearestKeyframe(keys, times, start, ideal, window);
    if (cut === undefined && target < minExact) {
      // Too short to pay for a keyframe of its own: on to the next source keyframe, at most minExact long.
      cut = firstKeyframeUpTo(start, startTime + minExact) ?? firstIndexAtOrAfter(times, startTime + minExact, start + 1);
      if (cut >= total || endOfAll - times[cut]! < (keySet.has(cut) ? target : minExact) * MIN_TAIL) break;
    }
    if (cut === undefined) cut = firstIndexAtOrAfter(times, ideal, start + 1);
    if (cut >= total || cut <= start) break;
    if (mainEnd - times[cut]! < target * MIN_TAIL) break;
    cuts.push(cut);
    start = cut;
  }
  if (taper) {
    // The end of the main part, then the end of each piece but the last; the keyframe window is 35% of the
    // shorter neighbour.
    let at = mainEnd;
    cutAtTimes(
      pieces.map((len, k) => {
        const before = k === 0 ? target : pieces[k - 1]!;
        const shorter = Math.min(before, len);
        const point = { at, window: shorter * KEYFRAME_WINDOW, sceneWindow: shorter * SCENE_WINDOW, minBefore: before * MIN_TAIL };
        at += len;
        return point;
      }),
      pieces.at(-1)! * MIN_TAIL,
    );
  } else if (workers !== undefined && cuts.length >= 2 && cuts.length <= workers) {
    // One round: equal parts, so that the segments, all running at once, also end together.
    const n = cuts.length;
    const part = (endOfAll - times[0]!) / n;
    cuts.length = 1;
    start = 0;
    cutAtTimes(
      Array.from({ length: n - 1 }, (_, i) => ({
        at: times[0]! + (i + 1) * part,
        window: part * BALANCE_WINDOW,
        sceneWindow: part * BALANCE_WINDOW,
        minBefore: part * MIN_TAIL,
      })),
      part * MIN_TAIL,
    );
  }

  // A last segment of one frame is a keyframe for one frame, the dearest cut there is, and its encoder cannot know
  // how long that frame is shown (a VFR source's held last frame, alone in its segment, came out 6.6 dB below a
  // one-pass encode): it joins the segment before it. One in the middle stays: joined, a long gap after it could
  // take the segment before it past its length bound.
  if (cuts.length > 1 && total - cuts[cuts.length - 1]! === 1) cuts.pop();

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
