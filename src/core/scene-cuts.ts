/**
 * Scene changes, for cuts that cost nothing: every segment starts with a keyframe, and a one-pass encoder puts
 * one on a hard scene change anyway (x264's scenecut), so a cut there adds none. On a source whose keyframes
 * come at a fixed interval (broadcast, `-sc_threshold 0`) the source's keyframes say nothing of the content, so
 * the changes are found by decoding the source once at low resolution and scoring each frame with the `select`
 * filter's scene score: the mean absolute difference from the frame before, less the change in that difference,
 * 0-1. ffmpeg 5.1's `scdet` filter computes the same kind of score on another scale and flagged the same frames,
 * but the npm-shipped 4.1 build has no scdet; `select` is in both (docs/adr/0015). Pure: the command line, the parse of
 * its output, the mapping to frame indices and the planner's pick.
 */
import { inputArgs } from './ffmpeg-args.js';

/** Width the frames are scaled to before the filter: a hard cut shows at any size, and the filter costs less. */
export const SCENE_SCAN_WIDTH = 160;

/**
 * The scene score (0-1) from which a frame counts as a scene change. Measured with ffmpeg 5.1 at this width: the
 * hard cuts in the shared files and the bench's fixed-GOP source scored 0.44-0.76; motion, pans and grain stayed
 * under 0.08, and a handheld phone clip's fast motion reached 0.19. 0.3 lies between.
 */
export const SCENE_THRESHOLD = 0.3;

/**
 * Decodes the video stream once, every frame scaled to SCENE_SCAN_WIDTH wide, and prints the time and score of
 * each frame scoring at least SCENE_THRESHOLD on stdout (`select` passes only those to `metadata=print`). Source
 * times (`-copyts`), as the frame list has them. The deblocking filter is skipped (H.264, HEVC, VP8: a cheaper
 * decode; the score does not need it), and so is the rotation.
 */
export function buildSceneScanArgs(location: string, streamIndex: number): string[] {
  return [
    '-nostdin',
    '-v',
    'error',
    '-copyts',
    '-noautorotate',
    '-threads',
    '0',
    '-skip_loop_filter',
    'all',
    ...inputArgs(location),
    '-map',
    `0:${streamIndex}`,
    '-an',
    '-sn',
    '-dn',
    '-vf',
    `scale=${SCENE_SCAN_WIDTH}:-2:flags=fast_bilinear,select=gte(scene\\,${SCENE_THRESHOLD}),metadata=mode=print:file=-`,
    '-f',
    'null',
    '-',
  ];
}

/** The times (s, source timeline) of the frames `buildSceneScanArgs` printed, in order. */
export function parseSceneScan(text: string): number[] {
  const times: number[] = [];
  for (const m of text.matchAll(/^frame:\s*\d+\s+pts:\s*-?\d+\s+pts_time:\s*(-?[\d.]+(?:e[-+]?\d+)?)\s*$/gm)) {
    const t = Number(m[1]);
    if (Number.isFinite(t)) times.push(t);
  }
  return times;
}

/**
 * The indices into `frameTimes` (sorted) of the frames at `times`: each time goes to the nearest frame, when
 * that frame is within half of the interval to its nearer neighbour (ms-rounded container times differ from
 * the decoder's by less); others are dropped. The first frame is never a cut. Sorted, without repeats.
 */
export function sceneCutFrames(frameTimes: readonly number[], times: readonly number[]): number[] {
  const n = frameTimes.length;
  const out = new Set<number>();
  for (const t of times) {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (frameTimes[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    const candidates = [lo - 1, lo].filter((i) => i >= 0 && i < n);
    if (!candidates.length) continue;
    const i = candidates.reduce((a, b) => (Math.abs(frameTimes[b]! - t) < Math.abs(frameTimes[a]! - t) ? b : a));
    const gaps = [i > 0 ? frameTimes[i]! - frameTimes[i - 1]! : Infinity, i + 1 < n ? frameTimes[i + 1]! - frameTimes[i]! : Infinity];
    const half = Math.min(...gaps) / 2;
    if (i > 0 && Math.abs(frameTimes[i]! - t) <= (Number.isFinite(half) ? half : 0.001)) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The scene change the planner cuts on near `target` (s): among the changes after frame `after` within `window`
 * seconds of it, one that is also a source keyframe (no extra decode), else any; the nearest to the target, the
 * earlier on a tie. Undefined where none is that near. `scenes` sorted.
 */
export function sceneCutNear(
  scenes: readonly number[],
  keyframes: ReadonlySet<number>,
  times: readonly number[],
  after: number,
  target: number,
  window: number,
): number | undefined {
  if (!scenes.length || !(window > 0)) return undefined;
  let lo = 0;
  let hi = scenes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[scenes[mid]!]! < target - window) lo = mid + 1;
    else hi = mid;
  }
  let best: number | undefined;
  let bestKey = false;
  let bestDist = Infinity;
  for (let i = lo; i < scenes.length; i++) {
    const s = scenes[i]!;
    const d = times[s]! - target;
    if (d > window) break;
    if (s <= after || Math.abs(d) > window) continue;
    const key = keyframes.has(s);
    // A keyframe first, then the distance; on a tie the earlier (the one seen first).
    if ((key && !bestKey) || (key === bestKey && Math.abs(d) < bestDist)) {
      best = s;
      bestKey = key;
      bestDist = Math.abs(d);
    }
  }
  return best;
}
