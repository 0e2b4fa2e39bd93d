/**
 * The core promise: the segmented output has exactly the source's frames at the source's times. With a
 * lossless encode (x264 CRF 0) every decoded frame must hash the same as the source's, across seams that
 * fall on keyframes and between them, here for a generated constant frame rate clip. The real files (B-frames,
 * open GOPs, other time bases, an extreme-VFR screen recording) are in test/corpus/frame-exact-corpus.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { assertSameFrames, transcodeLossless } from '../support/frame-exact.js';
import { makeClip, tempDir } from '../support/media.js';

describe('frame-exact segmenting (lossless encode)', () => {
  const t = tempDir();
  const state = join(t.dir, 'state');
  after(t.cleanup);

  let cfr: string;
  before(() => {
    // 7 s at 30 fps with a keyframe every 37 frames: cuts at 1.5 s land between keyframes.
    cfr = makeClip(join(t.dir, 'cfr.mp4'), { seconds: 7, gop: 37 });
  });

  it('CFR source with cuts on and off keyframes: every frame identical', () => {
    const out = join(t.dir, 'cfr-out.mp4');
    const job = transcodeLossless(cfr, out, '1.5', state);
    assert.equal(job.status, 'done');
    assert.ok(job.segmentsTotal >= 4, `expected several segments, got ${job.segmentsTotal}`);
    assert.equal(job.frames, 210);
    assertSameFrames(cfr, out);
  });
});
