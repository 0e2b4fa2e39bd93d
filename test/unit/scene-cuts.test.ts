/**
 * Scene changes: the scan's command line and its parse, the mapping to frame indices, and scene-cut placement
 * by the planner (a table: where each cut lands, and where it landed without the scene changes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSegments, type PlanInput } from '../../src/core/plan-segments.js';
import { buildSceneScanArgs, parseSceneScan, sceneCutFrames, sceneCutNear, SCENE_SCAN_WIDTH } from '../../src/core/scene-cuts.js';

const cfr = (count: number, fps: number, start = 0): number[] => Array.from({ length: count }, (_, i) => start + i / fps);
const everyNth = (count: number, every: number): number[] => Array.from({ length: Math.ceil(count / every) }, (_, i) => i * every);
const starts = (input: PlanInput): number[] => planSegments(input).segments.map((s) => s.startFrame);

describe('buildSceneScanArgs', () => {
  it('decodes the chosen stream at low resolution on the source timeline and prints only the changes', () => {
    const args = buildSceneScanArgs('/media/in.mp4', 2);
    assert.deepEqual(args.slice(args.indexOf('-map'), args.indexOf('-map') + 2), ['-map', '0:2']);
    assert.ok(args.includes('-copyts'), 'source times, as the frame list has them');
    assert.ok(args.indexOf('-skip_loop_filter') < args.indexOf('-i'), 'a decoder option, before the input');
    assert.equal(args[args.indexOf('-i') + 1], 'file:/media/in.mp4');
    const vf = args[args.indexOf('-vf') + 1]!;
    assert.match(vf, new RegExp(`^scale=${SCENE_SCAN_WIDTH}:-2:[^,]*,select=gte\\(scene\\\\,0\\.3\\),metadata=mode=print:file=-$`));
    assert.deepEqual(args.slice(-3), ['-f', 'null', '-']);
  });
});

describe('parseSceneScan', () => {
  const table: Array<[string, string, number[]]> = [
    ['nothing printed', '', []],
    [
      'two changes with their metadata lines',
      'frame:0    pts:90112   pts_time:7.33333\nlavfi.scene_score=0.637071\nframe:1    pts:149504  pts_time:12.1667\nlavfi.scene_score=0.661838\n',
      [7.33333, 12.1667],
    ],
    [
      'a negative time (an edit list) and an exponent',
      'frame:0 pts:-1001 pts_time:-0.0417083\nframe:9 pts:9 pts_time:1e-05\n',
      [-0.0417083, 0.00001],
    ],
    ['stray lines are not frames', 'lavfi.scene_score=0.5\n[Parsed_metadata_2 @ 0x5] frame:3 pts:3 pts_time:3\n', []],
  ];
  for (const [name, text, expected] of table) it(name, () => assert.deepEqual(parseSceneScan(text), expected));
});

describe('sceneCutFrames', () => {
  const table: Array<[string, number[], number[], number[]]> = [
    ['CFR, exact times', cfr(100, 25), [1, 2.4], [25, 60]],
    ['ms-rounded times go to the nearest frame', cfr(100, 30), [1.001, 2.333], [30, 70]],
    ['VFR: the nearest frame, whatever the rate', [0, 0.1, 0.2, 1.5, 1.52, 1.54], [1.5, 1.52], [3, 4]],
    ['a time in a gap, far from both frames (more than half the nearer interval), or past the end, is dropped', [0, 1, 1.1, 3], [2, 9], []],
    ['the first frame is never a cut; repeats and order are cleaned', cfr(50, 10), [0, 3, 1, 3], [10, 30]],
  ];
  for (const [name, frames, times, expected] of table) it(name, () => assert.deepEqual(sceneCutFrames(frames, times), expected));
});

describe('sceneCutNear', () => {
  const times = cfr(600, 30);
  it('a keyframe among the changes wins over a nearer change that is not one', () => {
    assert.equal(sceneCutNear([295, 330], new Set([0, 330]), times, 0, 10, 2.5), 330);
  });
  it('equally far either side: the earlier', () => {
    assert.equal(sceneCutNear([270, 330], new Set([0]), times, 0, 10, 2.5), 270);
  });
  it('none after the segment start, none outside the window', () => {
    assert.equal(sceneCutNear([100, 400], new Set([0]), times, 100, 10, 2.5), undefined);
  });
});

interface SceneCase {
  name: string;
  input: PlanInput;
  /** Start frames with the scene changes. */
  startFrames: number[];
  /** Start frames without them (today's plan): a case whose cuts the changes do not move says so by equal lists. */
  without: number[];
  onKeyframe?: boolean[];
}

// 30 fps, a keyframe every second (fixed GOP), 60 s, target 10: without changes, cuts every 300 frames.
const fixedGop = { frameTimes: cfr(1800, 30), keyframeIndices: everyNth(1800, 30), lastFrameDuration: 1 / 30, targetSeconds: 10 };

const cases: SceneCase[] = [
  {
    name: 'fixed GOP: a change 1.5 s after the target is cut on exactly, off the keyframes; the rest shift with it',
    input: { ...fixedGop, sceneCuts: [345] },
    // then 21.5 s: the keyframes at 21 and 22 s are equally near, the earlier
    startFrames: [0, 345, 630, 930, 1230, 1530],
    without: [0, 300, 600, 900, 1200, 1500],
    onKeyframe: [true, false, true, true, true, true],
  },
  {
    name: 'a change that is a source keyframe wins over a nearer one that is not',
    input: { ...fixedGop, sceneCuts: [310, 360] },
    startFrames: [0, 360, 660, 960, 1260, 1560],
    without: [0, 300, 600, 900, 1200, 1500],
    onKeyframe: [true, true, true, true, true, true],
  },
  {
    name: 'a change 30% off the target (outside the 25% window) is not used',
    input: { ...fixedGop, sceneCuts: [390] },
    startFrames: [0, 300, 600, 900, 1200, 1500],
    without: [0, 300, 600, 900, 1200, 1500],
  },
  {
    name: 'a change 24% early is used (segments stay over 0.75 of the target)',
    input: { ...fixedGop, sceneCuts: [228] },
    // then 17.6 s: the keyframe at 18 s
    startFrames: [0, 228, 540, 840, 1140, 1440],
    without: [0, 300, 600, 900, 1200, 1500],
  },
  {
    name: 'sparse keyframes where exact cuts cost too much (minExact 26 s): the change is cut on anyway',
    input: {
      frameTimes: cfr(1800, 30),
      keyframeIndices: [0, 840, 1500],
      lastFrameDuration: 1 / 30,
      targetSeconds: 25,
      minExactSeconds: 26,
      sceneCuts: [700],
    },
    startFrames: [0, 700],
    without: [0, 840],
    onKeyframe: [true, false],
  },
  {
    name: 'one round over 2 workers: a change inside the 5% balance window is used, one outside it is not',
    input: { frameTimes: cfr(600, 30), keyframeIndices: [0], lastFrameDuration: 1 / 30, targetSeconds: 10, workers: 2, sceneCuts: [290] },
    startFrames: [0, 290],
    without: [0, 300],
  },
  {
    name: 'one round over 2 workers: a change 10% off the equal split is not used',
    input: { frameTimes: cfr(600, 30), keyframeIndices: [0], lastFrameDuration: 1 / 30, targetSeconds: 10, workers: 2, sceneCuts: [270] },
    startFrames: [0, 300],
    without: [0, 300],
  },
  {
    name: 'tapered tail (2 workers): the pieces cut on changes within 25% of the shorter piece',
    // 90 s: the main part to 75 s, then pieces of 5, 5, 2.5, 2.5 s. The change at 79.5 s is 0.5 s from the cut at
    // 80 s (window 1.25 s), the one at 82.67 s is 2.33 s from 85 s: not used.
    input: { ...fixedGop, frameTimes: cfr(2700, 30), keyframeIndices: everyNth(2700, 30), workers: 2, sceneCuts: [2385, 2480] },
    startFrames: [0, 300, 600, 900, 1200, 1500, 1800, 2100, 2250, 2385, 2550, 2610],
    without: [0, 300, 600, 900, 1200, 1500, 1800, 2100, 2250, 2400, 2550, 2610],
  },
  {
    name: 'changes on frame 0, past the end, repeated and unsorted are harmless',
    input: { ...fixedGop, sceneCuts: [5000, 345, 0, 345, -3] },
    startFrames: [0, 345, 630, 930, 1230, 1530],
    without: [0, 300, 600, 900, 1200, 1500],
  },
];

describe('planSegments: scene-cut placement (a table)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { sceneCuts: _, ...plain } = c.input;
      assert.deepEqual(starts(plain), c.without, 'without the scene changes');
      const plan = planSegments(c.input);
      assert.deepEqual(
        plan.segments.map((s) => s.startFrame),
        c.startFrames,
        'with them',
      );
      if (c.onKeyframe)
        assert.deepEqual(
          plan.segments.map((s) => s.startsOnKeyframe),
          c.onKeyframe,
          'startsOnKeyframe',
        );
      assert.deepEqual(planSegments(c.input), plan, 'deterministic');
    });
  }
  it('no changes, or an empty list, plans as before', () => {
    assert.deepEqual(planSegments({ ...fixedGop, sceneCuts: [] }), planSegments(fixedGop));
  });
});
