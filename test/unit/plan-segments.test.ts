/**
 * Table tests for the segment planner, plus a seeded property test over generated frame-time arrays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSegmentSeconds, lastWaveOf, planSegments, taperLengths, type PlanInput } from '../../src/core/plan-segments.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import type { SegmentPlan } from '../../src/core/types.js';

/** Frame times of a constant-rate stream: `count` frames from `start` at `fps`. */
function cfr(count: number, fps: number, start = 0): number[] {
  return Array.from({ length: count }, (_, i) => start + i / fps);
}

/** Every `every`-th frame index from 0 below `count`. */
function everyNth(count: number, every: number): number[] {
  const k: number[] = [];
  for (let i = 0; i < count; i += every) k.push(i);
  return k;
}

const durationOf = (plan: SegmentPlan, i: number) => plan.segments[i]!.endTime - plan.segments[i]!.startTime;

/** The invariants every plan must satisfy, whatever the input. */
function assertInvariants(input: PlanInput, plan: SegmentPlan): void {
  const times = input.frameTimes;
  const total = times.length;
  const endOfAll = times[total - 1]! + input.lastFrameDuration;
  const keys = new Set(input.keyframeIndices);
  assert.equal(plan.totalFrames, total, 'totalFrames');
  assert.ok(plan.segments.length >= 1, 'at least one segment');
  let next = 0;
  plan.segments.forEach((s, i) => {
    assert.equal(s.index, i, `segment ${i}: index`);
    assert.equal(s.startFrame, next, `segment ${i}: contiguous (starts where the previous ended)`);
    assert.ok(Number.isInteger(s.frameCount) && s.frameCount > 0, `segment ${i}: frameCount ${s.frameCount} > 0`);
    assert.equal(s.startTime, times[s.startFrame], `segment ${i}: startTime is its first frame's time`);
    const after = s.startFrame + s.frameCount;
    assert.equal(s.endTime, after < total ? times[after] : endOfAll, `segment ${i}: endTime is the next frame's time (or the end)`);
    assert.equal(s.startsOnKeyframe, s.startFrame === 0 || keys.has(s.startFrame), `segment ${i}: startsOnKeyframe`);
    next = after;
  });
  assert.equal(next, total, 'segments cover every frame exactly once');
  const order = plan.encodeOrder;
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    plan.segments.map((s) => s.index),
    'encodeOrder is a permutation',
  );
  for (let i = 1; i < order.length; i++) {
    const prev = durationOf(plan, order[i - 1]!);
    const cur = durationOf(plan, order[i]!);
    assert.ok(prev > cur || (prev === cur && order[i - 1]! < order[i]!), `encodeOrder longest first at ${i}: ${prev} then ${cur}`);
  }
}

const starts = (plan: SegmentPlan) => plan.segments.map((s) => s.startFrame);
const counts = (plan: SegmentPlan) => plan.segments.map((s) => s.frameCount);

interface PlanCase {
  name: string;
  input: PlanInput;
  startFrames: number[];
  frameCounts?: number[];
  onKeyframe?: boolean[];
  check?: (plan: SegmentPlan) => void;
}

const oneKeyframe36s = cfr(1080, 30);
const vfrTimes = [...cfr(100, 10), ...cfr(1000, 50, 10)]; // 10 s at 10 fps, then 20 s at 50 fps
const gapTimes = [...cfr(270, 30), ...cfr(540, 30, 12)]; // frames up to 8.97 s, a 3 s gap, then 12 s to 30 s

const cases: PlanCase[] = [
  {
    name: 'CFR 30 fps, 60 s, keyframes every 2 s, target 10: cuts on the keyframes at the targets',
    input: { frameTimes: cfr(1800, 30), keyframeIndices: everyNth(1800, 60), lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0, 300, 600, 900, 1200, 1500],
    frameCounts: [300, 300, 300, 300, 300, 300],
    onKeyframe: [true, true, true, true, true, true],
  },
  {
    name: 'CFR with keyframes near, not on, the targets: cut on the nearest keyframe in the window',
    // keyframes at 9.5 s (285), 21 s (630), 29 s (870), 40 s (1200); target 10, window 3.5 s
    input: { frameTimes: cfr(1500, 30), keyframeIndices: [0, 285, 630, 870, 1200], lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0, 285, 630, 870, 1200],
    onKeyframe: [true, true, true, true, true],
  },
  {
    name: 'keyframes equally far either side of the target: the earlier one',
    input: { frameTimes: cfr(900, 30), keyframeIndices: everyNth(900, 120), lastFrameDuration: 1 / 30, targetSeconds: 10 },
    // ideal 10 s: keyframes at 8 s and 12 s are both 2 s away; then ideal 18 s: 16 s and 20 s
    startFrames: [0, 240, 480],
    onKeyframe: [true, true, true],
  },
  {
    name: 'one-keyframe file: exact cuts at the first frame at or after each target',
    input: { frameTimes: oneKeyframe36s, keyframeIndices: [0], lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0, 300, 600, 900],
    frameCounts: [300, 300, 300, 180],
    onKeyframe: [true, false, false, false],
  },
  {
    name: 'no keyframe flags at all (transport stream without flags): exact cuts, first segment still counts as keyframe-start',
    input: { frameTimes: cfr(750, 25), keyframeIndices: [], lastFrameDuration: 0.04, targetSeconds: 10 },
    startFrames: [0, 250, 500],
    onKeyframe: [true, false, false],
  },
  {
    name: 'sparse keyframes (every 30 s) far from the targets: exact cuts, keyframe used only where it is near',
    input: { frameTimes: cfr(1500, 25), keyframeIndices: [0, 750], lastFrameDuration: 0.04, targetSeconds: 10 },
    startFrames: [0, 250, 500, 750, 1000, 1250],
    frameCounts: [250, 250, 250, 250, 250, 250],
    onKeyframe: [true, false, false, true, false, false],
  },
  {
    name: 'VFR (10 fps then 50 fps): cuts by time, not by frame count',
    input: { frameTimes: vfrTimes, keyframeIndices: [0], lastFrameDuration: 0.02, targetSeconds: 10 },
    startFrames: [0, 100, 600],
    frameCounts: [100, 500, 500],
    check: (plan) => {
      assert.ok(Math.abs(plan.segments[1]!.startTime - 10) < 1e-9);
      assert.ok(Math.abs(plan.segments[2]!.startTime - 20) < 1e-9);
    },
  },
  {
    name: 'VFR with a 3 s gap across the target: the cut goes on the first frame after the gap',
    input: { frameTimes: gapTimes, keyframeIndices: [0], lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0, 270, 570],
    check: (plan) => assert.equal(plan.segments[1]!.startTime, 12),
  },
  {
    name: 'times starting at 1.4 s (MPEG-TS): targets measured from the first frame',
    input: { frameTimes: cfr(500, 25, 1.4), keyframeIndices: everyNth(500, 12), lastFrameDuration: 0.04, targetSeconds: 5 },
    // ideal 6.4 s = frame 125; keyframes at 120 (6.2 s) and 132 (6.68 s): 120 is nearer; and so on
    startFrames: [0, 120, 240, 360],
    check: (plan) => {
      assert.equal(plan.segments[0]!.startTime, 1.4);
      assert.ok(Math.abs(plan.segments.at(-1)!.endTime - 21.4) < 1e-9);
    },
  },
  {
    name: 'times starting below 0 (edit list, B-frame delay of 2 frames)',
    input: { frameTimes: cfr(900, 30, -2 / 30), keyframeIndices: everyNth(900, 30), lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0, 300, 600],
    frameCounts: [300, 300, 300],
    check: (plan) => {
      assert.ok(plan.segments[0]!.startTime < 0);
      assert.ok(Math.abs(plan.segments[1]!.startTime - (10 - 2 / 30)) < 1e-9);
    },
  },
  {
    name: 'a single frame',
    input: { frameTimes: [0], keyframeIndices: [0], lastFrameDuration: 0.04, targetSeconds: 10 },
    startFrames: [0],
    frameCounts: [1],
    check: (plan) => assert.equal(plan.segments[0]!.endTime, 0.04),
  },
  {
    name: 'a file shorter than the target: one segment',
    input: { frameTimes: cfr(90, 30), keyframeIndices: [0, 30, 60], lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0],
    frameCounts: [90],
  },
  {
    name: 'a file under 1.5 targets: one segment, no short tail',
    input: { frameTimes: cfr(420, 30), keyframeIndices: everyNth(420, 30), lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0],
  },
  {
    name: 'tail folding: 24 s at target 10 gives 10 + 14, not 10 + 10 + 4',
    input: { frameTimes: cfr(720, 30), keyframeIndices: everyNth(720, 30), lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0, 300],
    frameCounts: [300, 420],
  },
  {
    name: 'tail folding after keyframe snapping: a keyframe 3 s late would leave a 3 s tail, so no cut',
    input: { frameTimes: cfr(480, 30), keyframeIndices: [0, 390], lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0],
  },
  {
    name: 'a tail of at least half a target is kept as its own segment',
    input: { frameTimes: cfr(780, 30), keyframeIndices: everyNth(780, 30), lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0, 300, 600],
    frameCounts: [300, 300, 180],
  },
  {
    name: 'duplicate and out-of-range keyframe indices are ignored for cutting',
    input: { frameTimes: cfr(600, 30), keyframeIndices: [0, 0, 300, 300, 600, 9999, -1], lastFrameDuration: 1 / 30, targetSeconds: 10 },
    startFrames: [0, 300],
    onKeyframe: [true, true],
  },
  {
    name: 'taper, 2 workers: 60 s at target 8 ends in 2 × 4 s and 2 × 2 s (keyframes every 2 s)',
    input: { frameTimes: cfr(1800, 30), keyframeIndices: everyNth(1800, 60), lastFrameDuration: 1 / 30, targetSeconds: 8, workers: 2 },
    startFrames: [0, 240, 480, 720, 960, 1200, 1440, 1560, 1680, 1740],
    frameCounts: [240, 240, 240, 240, 240, 240, 120, 120, 60, 60],
    onKeyframe: [true, true, true, true, true, true, true, true, true, true],
    check: (plan) => assert.deepEqual(plan.encodeOrder.slice(-2), [8, 9], 'the 2 s segments are encoded last'),
  },
  {
    name: 'taper with one keyframe: the tail pieces are exact cuts',
    input: { frameTimes: cfr(1200, 25), keyframeIndices: [0], lastFrameDuration: 0.04, targetSeconds: 10, workers: 1 },
    // 48 s; tail 5 + 2.5 s from 40.5 s: main 0–40.5 s in 10 s segments with the 10.5 s remainder folded
    startFrames: [0, 250, 500, 750, 1013, 1138],
    frameCounts: [250, 250, 250, 263, 125, 62],
    onKeyframe: [true, false, false, false, false, false],
  },
  {
    name: 'taper at target 5, 2 workers: 20 s keeps one round (2 × 5 s) before its 9 s tail',
    input: { frameTimes: cfr(600, 30), keyframeIndices: everyNth(600, 30), lastFrameDuration: 1 / 30, targetSeconds: 5, workers: 2 },
    // tail 2.5 + 2.5 + 2 + 2 s from 11 s; 13.5 s lies between the keyframes at 13 s and 14 s: the earlier one
    startFrames: [0, 150, 330, 390, 480, 540],
  },
  {
    name: 'no taper when less than one round of full segments would come before the tail',
    input: { frameTimes: cfr(567, 30), keyframeIndices: everyNth(567, 30), lastFrameDuration: 1 / 30, targetSeconds: 5, workers: 2 },
    // 18.9 s < 9 s tail + 2 × 5 s
    startFrames: [0, 150, 300, 450],
    check: (plan) => {
      const without = planSegments({
        frameTimes: cfr(567, 30),
        keyframeIndices: everyNth(567, 30),
        lastFrameDuration: 1 / 30,
        targetSeconds: 5,
      });
      assert.deepEqual(starts(plan), starts(without), 'same cuts as without workers');
    },
  },
  {
    name: 'one round (2 segments, 2 workers): equal halves, the exact middle rather than a keyframe 1 s off',
    input: { frameTimes: cfr(300, 30), keyframeIndices: everyNth(300, 60), lastFrameDuration: 1 / 30, targetSeconds: 5, workers: 2 },
    startFrames: [0, 150],
    onKeyframe: [true, false],
    check: () => {
      const without = planSegments({
        frameTimes: cfr(300, 30),
        keyframeIndices: everyNth(300, 60),
        lastFrameDuration: 1 / 30,
        targetSeconds: 5,
      });
      assert.deepEqual(starts(without), [0, 120], 'without workers: the keyframe at 4 s');
    },
  },
  {
    name: 'one round: a keyframe within 5% of a part is used',
    // 16 s, target 5 → 3 segments, 4 workers: parts of 5.33 s; keyframes at 5.2 s (156) and 10 s (300)
    input: { frameTimes: cfr(480, 30), keyframeIndices: [0, 156, 300], lastFrameDuration: 1 / 30, targetSeconds: 5, workers: 4 },
    startFrames: [0, 156, 320],
    onKeyframe: [true, true, false],
  },
  {
    name: 'target 0 falls back to 10 s',
    input: { frameTimes: cfr(900, 30), keyframeIndices: everyNth(900, 30), lastFrameDuration: 1 / 30, targetSeconds: 0 },
    startFrames: [0, 300, 600],
    check: (plan) => assert.equal(plan.targetSeconds, 10),
  },
];

describe('planSegments', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planSegments(c.input);
      assertInvariants(c.input, plan);
      assert.deepEqual(starts(plan), c.startFrames, 'start frames');
      if (c.frameCounts) assert.deepEqual(counts(plan), c.frameCounts, 'frame counts');
      if (c.onKeyframe)
        assert.deepEqual(
          plan.segments.map((s) => s.startsOnKeyframe),
          c.onKeyframe,
          'startsOnKeyframe',
        );
      c.check?.(plan);
    });
  }

  it('encodeOrder puts the longest segment first (the folded tail)', () => {
    const plan = planSegments({
      frameTimes: cfr(720, 30),
      keyframeIndices: everyNth(720, 30),
      lastFrameDuration: 1 / 30,
      targetSeconds: 10,
    });
    assert.deepEqual(plan.encodeOrder, [1, 0]);
  });

  it('encodeOrder breaks ties by index', () => {
    // 32 fps: every frame time is exact in binary, so the three segments last exactly 10 s each.
    const plan = planSegments({
      frameTimes: cfr(960, 32),
      keyframeIndices: everyNth(960, 32),
      lastFrameDuration: 1 / 32,
      targetSeconds: 10,
    });
    assert.deepEqual(counts(plan), [320, 320, 320]);
    assert.deepEqual(plan.encodeOrder, [0, 1, 2]);
  });

  it('a held last frame alone in the last segment joins the segment before it', () => {
    // 99 frames at 25 fps, then the last frame 1.5 s later and shown 1.5 s, a keyframe on it: cut every second,
    // the last cut would leave that one frame alone.
    const frameTimes = [...cfr(99, 25), 99 / 25 + 1.5];
    const input = { frameTimes, keyframeIndices: [0, 25, 50, 75, 99], lastFrameDuration: 1.5, targetSeconds: 1 };
    const plan = planSegments(input);
    assertInvariants(input, plan);
    assert.deepEqual(starts(plan), [0, 25, 50, 75]);
    assert.equal(plan.segments.at(-1)!.frameCount, 25);
  });

  it('throws on no frames', () => {
    assert.throws(() => planSegments({ frameTimes: [], keyframeIndices: [], lastFrameDuration: 0.04, targetSeconds: 10 }), /no frames/);
  });
});

describe('taperLengths', () => {
  const table: Array<[target: number, workers: number, expected: number[]]> = [
    [8, 2, [4, 4, 2, 2]],
    [5, 2, [2.5, 2.5, 2, 2]], // a quarter would be 1.25 s: floored at 2 s
    [56, 3, [28, 28, 28, 14, 14, 14]],
    [3, 1, [2, 2]], // half and quarter both floored at 2 s
    [2, 4, []], // nothing shorter than 2 s: no taper
    [0.5, 2, []],
    [10, 0, [5, 2.5]], // workers < 1 counts as one
  ];
  for (const [t, w, expected] of table) {
    it(`target ${t} s, ${w} workers → [${expected.join(', ')}]`, () => assert.deepEqual(taperLengths(t, w), expected));
  }
});

describe('defaultSegmentSeconds', () => {
  const table: Array<[duration: number, workers: number, expected: number]> = [
    [60, 2, 8], // 60 / 8 = 7.5 → 8
    [10, 2, 5], // below the floor of 5 s
    [0, 4, 5],
    [600, 4, 38], // 37.5 → 38
    [3600, 2, 120], // 450 → capped at 120
    [3600, 16, 56], // 56.25 → 56
    [100, 0, 25], // workers < 1 counts as one
    [100, 1, 25],
  ];
  for (const [d, w, expected] of table) {
    it(`${d} s with ${w} workers → ${expected} s`, () => assert.equal(defaultSegmentSeconds(d, w), expected));
  }
});

/** Seeded, so the property test is the same on every run. */
const rng = seededRandom;

function generate(rand: () => number): PlanInput {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const n = 1 + Math.floor(rand() ** 2 * 3000);
  const start = pick([0, 0, 1.4, -0.066, 10 * rand() - 2, 600]);
  const times: number[] = [];
  const mode = pick(['cfr', 'vfr', 'gappy'] as const);
  const fps = pick([23.976, 24, 25, 29.97, 30, 50, 60]);
  let t = start;
  for (let i = 0; i < n; i++) {
    times.push(t);
    if (mode === 'cfr') t = start + (i + 1) / fps;
    else if (mode === 'vfr') t += 0.005 + rand() * 0.2;
    else t += rand() < 0.01 ? 1 + rand() * 5 : 1 / fps;
  }
  const keyMode = pick(['first', 'none', 'regular', 'random', 'all'] as const);
  let keys: number[] = [];
  if (keyMode === 'first') keys = [0];
  else if (keyMode === 'regular') keys = everyNth(n, 1 + Math.floor(rand() * 300));
  else if (keyMode === 'random') keys = times.map((_, i) => i).filter(() => rand() < 0.02);
  else if (keyMode === 'all') keys = times.map((_, i) => i);
  const targetSeconds = pick([0, 0.5, 1, 2, 5, 6, 10, 30 * rand()]);
  const lastFrameDuration = pick([1 / fps, 0.001, 0.5, rand()]);
  const workers = pick([undefined, undefined, 1, 2, 4, 16]);
  // Scene changes on half the inputs (scene-cuts.ts): cuts move onto them within the same length bounds.
  const sceneCuts = rand() < 0.5 ? times.map((_, i) => i).filter(() => rand() < 0.01) : undefined;
  return {
    frameTimes: times,
    keyframeIndices: keys,
    lastFrameDuration,
    targetSeconds,
    ...(workers !== undefined ? { workers } : {}),
    ...(sceneCuts ? { sceneCuts } : {}),
  };
}

describe('planSegments property test (seeded)', () => {
  const rand = rng(0x5eed);
  const N = 400;
  it(`${N} generated inputs satisfy the invariants and the length bounds`, () => {
    let multi = 0;
    let tapers = 0;
    let balanced = 0;
    let onScenes = 0;
    for (let k = 0; k < N; k++) {
      const input = generate(rand);
      const plan = planSegments(input);
      if (plan.segments.length >= 3) multi++;
      const scenes = new Set(input.sceneCuts);
      if (plan.segments.some((s) => s.startFrame > 0 && scenes.has(s.startFrame))) onScenes++;
      const label = `case ${k}: ${input.frameTimes.length} frames, target ${input.targetSeconds}, workers ${input.workers}`;
      try {
        assertInvariants(input, plan);
      } catch (err) {
        assert.fail(`${label}: ${(err as Error).message}`);
      }
      const target = plan.targetSeconds;
      const times = input.frameTimes;
      let maxGap = input.lastFrameDuration;
      for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, times[i]! - times[i - 1]!);
      const eps = 1e-9;
      // With a tapered tail, the tail's pieces are shorter than the target: a cut never leaves the segment before
      // it under half its intended length, the last segment is at least half the last piece, and a piece that
      // ran on into the next (after a late cut) is at most three pieces long.
      const pieces = input.workers !== undefined ? taperLengths(target, input.workers) : [];
      const endOfAll = times.at(-1)! + input.lastFrameDuration;
      const tapered = pieces.length > 0 && endOfAll - times[0]! >= pieces.reduce((a, b) => a + b, 0) + Math.max(1, input.workers!) * target;
      const unbalanced = input.workers !== undefined && !tapered ? planSegments({ ...input, workers: undefined }) : undefined;
      if (unbalanced && unbalanced.segments.length >= 2 && unbalanced.segments.length <= Math.max(1, input.workers!)) {
        // One round: equal parts; a skipped cut (past a timestamp gap) merges two parts, and a late one can add a gap.
        balanced++;
        const part = (endOfAll - times[0]!) / unbalanced.segments.length;
        plan.segments.forEach((s, i) => {
          const d = s.endTime - s.startTime;
          assert.ok(d >= 0.5 * part - eps, `${label}: balanced segment ${i} lasts ${d}, under half of ${part}`);
          assert.ok(d <= 2 * part + maxGap + eps, `${label}: balanced segment ${i} lasts ${d}, over 2 × ${part} + a frame gap`);
        });
        continue;
      }
      if (tapered) {
        tapers++;
        const minPiece = Math.min(...pieces);
        const maxLen = Math.max(1.85 * target, 3 * Math.max(...pieces)) + maxGap;
        plan.segments.forEach((s, i) => {
          const d = s.endTime - s.startTime;
          assert.ok(d >= 0.5 * minPiece - eps, `${label}: tapered segment ${i} lasts ${d}, under half of ${minPiece}`);
          assert.ok(d <= maxLen + eps, `${label}: tapered segment ${i} lasts ${d}, over ${maxLen}`);
        });
        continue;
      }
      plan.segments.forEach((s, i) => {
        const d = s.endTime - s.startTime;
        const last = i === plan.segments.length - 1;
        if (!last) {
          // A keyframe cut is at most 35% of a target early, a scene cut 25%; an exact cut is never early.
          assert.ok(d >= 0.65 * target - eps, `${label}: segment ${i} lasts ${d}, under 0.65 × ${target}`);
          assert.ok(d <= 1.35 * target + maxGap + eps, `${label}: segment ${i} lasts ${d}, over 1.35 × ${target} + a frame gap`);
        } else if (plan.segments.length > 1) {
          // No tiny tail: the last segment is at least half a target.
          assert.ok(d >= 0.5 * target - eps, `${label}: last segment lasts ${d}, under half of ${target}`);
          assert.ok(d <= 1.85 * target + maxGap + eps, `${label}: last segment lasts ${d}, over 1.85 × ${target} + a frame gap`);
        }
      });
    }
    // Guard against a generator that only makes trivial one-segment plans.
    assert.ok(multi > N / 4, `only ${multi} of ${N} generated plans have 3 or more segments`);
    assert.ok(tapers > N / 20, `only ${tapers} of ${N} generated plans are tapered`);
    assert.ok(balanced > N / 20, `only ${balanced} of ${N} generated plans are one-round balanced`);
    assert.ok(onScenes > N / 20, `only ${onScenes} of ${N} generated plans cut on a scene change`);
  });
});

describe('planSegments: rounds of waveWidth (an AWS Map at MaxConcurrency)', () => {
  const at = (seconds: number, keyEvery: number, fps = 25) => {
    const n = Math.round(seconds * fps);
    return { frameTimes: cfr(n, fps), keyframeIndices: everyNth(n, keyEvery), lastFrameDuration: 1 / fps };
  };
  const waves = (n: number, w: number) => [Math.ceil(n / w), n - (Math.ceil(n / w) - 1) * w];

  it('161 segments at 40 (5 waves, the last holding one) become 160: 4 full waves, segments a little longer', () => {
    // 805 s in 5 s segments, keyframes every frame: 161 segments without rounds.
    const input = { ...at(805, 1), targetSeconds: 5 };
    const plain = planSegments(input);
    assert.equal(plain.segments.length, 161);
    assert.deepEqual(waves(161, 40), [5, 1]);
    const full = planSegments({ ...input, waveWidth: 40 });
    assertInvariants(input, full);
    assert.equal(full.segments.length, 160);
    assert.equal(lastWaveOf(full.segments.length, 40), 40);
    assert.ok(full.targetSeconds > 5 && full.targetSeconds < 5.1, `target ${full.targetSeconds}`);
  });

  it('with a tapered tail (workers given) the count still fills the waves', () => {
    // 45 minutes, keyframes every 2 s, the default target at 40 at once: 217 segments, 6 waves, the last 17.
    const input = { ...at(2700, 50), targetSeconds: 17, workers: 40 };
    assert.equal(planSegments(input).segments.length, 217);
    const full = planSegments({ ...input, waveWidth: 40 });
    assertInvariants(input, full);
    assert.equal(full.segments.length, 200);
    assert.equal(full.targetSeconds, 18);

    // Keyframes every 2 s make the count a step function of the target (16, 18, 20 s segments): where no
    // target gives a multiple, the count that encodes soonest (190: 5 waves, against 221 in 6).
    const steps = { ...at(2760, 50), targetSeconds: 17, workers: 40 };
    assert.equal(planSegments(steps).segments.length, 221);
    const best = planSegments({ ...steps, waveWidth: 40 });
    assert.equal(best.segments.length, 190);
    assert.equal(best.targetSeconds, 19.01);
  });

  it('where segments may not grow (a time limit at the target), the count rounds up to full waves', () => {
    const input = { ...at(805, 1), targetSeconds: 5 };
    const full = planSegments({ ...input, waveWidth: 40, maxTargetSeconds: 5 });
    assertInvariants(input, full);
    // 200 is not a count any target gives at 25 fps (4.00 s or 4.04 s steps): 199, the last wave 39 of 40.
    assert.deepEqual(waves(full.segments.length, 40), [5, 39]);
    assert.ok(full.targetSeconds <= 5);
    // A bound short of what 160 needs: no longer than it, so up again.
    const bounded = planSegments({ ...input, waveWidth: 40, maxTargetSeconds: 5.01 });
    assert.equal(bounded.segments.length, 199);
    assert.ok(bounded.targetSeconds <= 5.01);
  });

  it('a last wave nearly full is left alone: 199 at 40 (the last 39 of 40) stays', () => {
    const input = { ...at(995, 1), targetSeconds: 5 };
    assert.equal(planSegments(input).segments.length, 199);
    assert.deepEqual(planSegments({ ...input, waveWidth: 40 }), planSegments(input));
  });

  it('the target of a filled plan reproduces it alone (a restarted analysis plans the same segments)', () => {
    const input = { ...at(805, 1), targetSeconds: 5 };
    for (const extra of [{}, { maxTargetSeconds: 5 }]) {
      const full = planSegments({ ...input, waveWidth: 40, ...extra });
      assert.deepEqual(planSegments({ ...input, targetSeconds: full.targetSeconds }), full);
    }
  });

  it('one round, full rounds already, or no width: the plan is the plain one', () => {
    const input = { ...at(805, 1), targetSeconds: 5 };
    assert.deepEqual(planSegments({ ...input, waveWidth: 200 }), planSegments(input));
    const even = { ...at(800, 1), targetSeconds: 5 };
    assert.deepEqual(planSegments({ ...even, waveWidth: 40 }), planSegments(even));
    assert.deepEqual(planSegments({ ...input, waveWidth: 1 }), planSegments(input));
  });
});
