/**
 * What a cut costs (core/cut-cost.ts): the sample taken around the plan's own cuts, the cost per cut from the
 * bytes of the whole and of the pieces, and the segment length that stays within the budget.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { affordableSegmentSeconds, cutCostSeconds, cutSample, planCutOverhead, REQUEST_CUT_BUDGET } from '../../src/core/cut-cost.js';

/** `n` frames at 25 fps. */
const times = (n: number): number[] => Array.from({ length: n }, (_, i) => i / 25);
const starts = (...frames: number[]) => frames.map((startFrame) => ({ startFrame }));

describe('cutSample', () => {
  it('takes the cuts nearest the middle that lie within 4 s of each other, with 1 s of source around them', () => {
    // 20 s, cut every second: the middle cut is at 10 s; 4 s of cuts around it: 8-12 s, then 1 s each side.
    const t = times(500);
    const s = cutSample(t, [0, 250], 0.04, starts(...Array.from({ length: 20 }, (_, i) => i * 25)))!;
    assert.deepEqual(
      s.pieces.map((p) => [p.startFrame, p.frameCount]),
      [
        [175, 25],
        [200, 25],
        [225, 25],
        [250, 25],
        [275, 25],
        [300, 25],
      ],
    );
    assert.deepEqual([s.whole.startFrame, s.whole.frameCount], [175, 150]);
    assert.ok(Math.abs(s.seconds - 6) < 1e-9);
    assert.deepEqual(
      s.pieces.map((p) => p.startsOnKeyframe),
      [false, false, false, true, false, false],
    );
    assert.ok(Math.abs(s.pieces[1]!.startTime - 8) < 1e-9 && Math.abs(s.pieces[1]!.endTime - 9) < 1e-9);
  });

  it('a plan whose cuts are further apart than 4 s: the one cut nearest the middle', () => {
    const s = cutSample(times(500), [0], 0.04, starts(0, 125, 250, 375))!;
    assert.deepEqual(
      s.pieces.map((p) => [p.startFrame, p.frameCount]),
      [
        [225, 25],
        [250, 25],
      ],
    );
  });

  it('the last cut near the end: the sample stops at the last frame', () => {
    const s = cutSample(times(100), [0], 0.04, starts(0, 90))!;
    assert.deepEqual([s.whole.startFrame, s.whole.frameCount], [65, 35]);
    assert.ok(Math.abs(s.seconds - 1.4) < 1e-9);
  });

  it('a plan without cuts: no sample', () => {
    assert.equal(cutSample(times(100), [0], 0.04, starts(0)), undefined);
  });
});

describe('cutCostSeconds, planCutOverhead, affordableSegmentSeconds', () => {
  it('per cut, in seconds of the whole encode: 3 cuts adding 30% of 4 s at 100 kB/s cost 0.4 s each', () => {
    assert.ok(Math.abs(cutCostSeconds(400_000, [130_000, 130_000, 130_000, 130_000], 4) - 0.4) < 1e-9);
  });
  it('pieces smaller than the whole (a cut where the encoder would have put a keyframe anyway): 0, never negative', () => {
    assert.equal(cutCostSeconds(400_000, [90_000, 100_000], 4), 0);
  });
  it('no cut: 0', () => {
    assert.equal(cutCostSeconds(400_000, [400_000], 4), 0);
  });
  it('the overhead of a plan: one cut per segment after the first, over the duration', () => {
    // The 480i MPEG-2 TS cut every second: 10 segments, 0.17 s a cut, 10 s: +15%.
    assert.ok(Math.abs(planCutOverhead(0.17, 10, 10) - 0.153) < 1e-9);
    assert.equal(planCutOverhead(0.17, 1, 10), 0);
  });
  it('the shortest segment within the budget, to the half second above', () => {
    assert.equal(REQUEST_CUT_BUDGET, 0.05);
    assert.equal(affordableSegmentSeconds(0.17), 3.5);
    assert.equal(affordableSegmentSeconds(0.2), 4);
    assert.equal(affordableSegmentSeconds(0.22), 4.5);
  });
});
