/**
 * Exact cuts (off the source's keyframes) add a keyframe a one-pass encode does not have: made only where a
 * segment is long enough to pay for it, measured from what a keyframe costs in the source.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minExactCutSeconds, planSegments } from '../../src/core/plan-segments.js';
import { keyframeCostSeconds, type PacketRow } from '../../src/core/packet-scan.js';

describe('keyframeCostSeconds', () => {
  it('keyframe bytes over other frames, in seconds of the mean bitrate', () => {
    // 10 frames over 0.9 s (10 fps): one 10 000-byte keyframe, nine of 1 000: 19 000 bytes / 0.9 s.
    const rows: PacketRow[] = Array.from({ length: 10 }, (_, i) => ({
      pts: i / 10,
      duration: 0.1,
      key: i === 0,
      size: i === 0 ? 10_000 : 1_000,
    }));
    assert.equal(keyframeCostSeconds(rows)!.toFixed(4), (9_000 / (19_000 / 0.9)).toFixed(4));
  });
  it('undefined without sizes, or without both kinds of frame', () => {
    assert.equal(
      keyframeCostSeconds([
        { pts: 0, duration: 0.1, key: true },
        { pts: 0.1, duration: 0.1, key: false },
      ]),
      undefined,
    );
    assert.equal(
      keyframeCostSeconds([
        { pts: 0, duration: 0.1, key: true, size: 5 },
        { pts: 0.1, duration: 0.1, key: true, size: 5 },
      ]),
      undefined,
    );
  });
  it('minExactCutSeconds: 1.5% of a segment per keyframe; 0 when unknown', () => {
    assert.equal(minExactCutSeconds(0.39).toFixed(1), '26.0');
    assert.equal(minExactCutSeconds(undefined), 0);
  });
});

describe('planSegments with minExactSeconds', () => {
  // 40 s at 30 fps, keyframes every 250 frames (8.33 s), like real_640x360.
  const frameTimes = Array.from({ length: 1200 }, (_, i) => i / 30);
  const keyframeIndices = [0, 250, 500, 750, 1000];
  const base = { frameTimes, keyframeIndices, lastFrameDuration: 1 / 30, targetSeconds: 5, workers: 2 };
  const starts = (p: ReturnType<typeof planSegments>) => p.segments.map((s) => s.startFrame);

  it('expensive keyframes: cut only on the source keyframes (no exact cut, no tapered pieces)', () => {
    const p = planSegments({ ...base, minExactSeconds: 26 });
    assert.deepEqual(starts(p), [0, 250, 500, 750, 1000]);
    assert.ok(p.segments.every((s) => s.startsOnKeyframe));
  });
  it('cheap keyframes (or none known): the plan as before, with exact cuts and the taper', () => {
    const before = planSegments(base);
    assert.deepEqual(starts(planSegments({ ...base, minExactSeconds: 1 })), starts(before));
    assert.ok(before.segments.some((s) => !s.startsOnKeyframe));
  });
  it('no keyframe within minExact: an exact cut at minExact', () => {
    const p = planSegments({ ...base, keyframeIndices: [0], minExactSeconds: 12 });
    assert.deepEqual(starts(p), [0, 360, 720]);
    assert.ok(p.segments.every((s, i) => i === p.segments.length - 1 || s.frameCount >= 360));
  });
});
