/**
 * The core promise: the segmented output has exactly the source's frames at the source's times. With a
 * lossless encode (x264 CRF 0) every decoded frame must hash the same as the source's, across seams that
 * fall on keyframes and between them, for constant and variable frame rate sources.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { frameHashes, makeClip, sharedMedia, tempDir, videoTimes } from '../support/media.js';

describe('frame-exact segmenting (lossless encode)', () => {
  const t = tempDir();
  const state = join(t.dir, 'state');
  after(t.cleanup);

  function transcodeLossless(src: string, out: string, segmentSeconds: string) {
    const r = cli(['transcode', src, out, '--crf', '0', '--preset', 'ultrafast', '--segment-seconds', segmentSeconds, '--json', '--no-progress'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  function assertSameFrames(src: string, out: string) {
    const a = frameHashes(src);
    const b = frameHashes(out);
    assert.equal(b.length, a.length, 'frame count');
    const firstDiff = a.findIndex((h, i) => h !== b[i]);
    assert.equal(firstDiff, -1, `first differing frame: ${firstDiff}`);
    const ta = videoTimes(src);
    const tb = videoTimes(out);
    const worst = Math.max(...ta.map((x, i) => Math.abs(x - ta[0]! - (tb[i]! - tb[0]!))));
    assert.ok(worst < 0.002, `frame times differ by up to ${worst} s`);
  }

  let cfr: string;
  before(() => {
    // 7 s at 30 fps with a keyframe every 37 frames: cuts at 1.5 s land between keyframes.
    cfr = makeClip(join(t.dir, 'cfr.mp4'), { seconds: 7, gop: 37 });
  });

  it('CFR source with cuts on and off keyframes: every frame identical', () => {
    const out = join(t.dir, 'cfr-out.mp4');
    const job = transcodeLossless(cfr, out, '1.5');
    assert.equal(job.status, 'done');
    assert.ok(job.segmentsTotal >= 4, `expected several segments, got ${job.segmentsTotal}`);
    assert.equal(job.frames, 210);
    assertSameFrames(cfr, out);
  });

  // Real files with B-frames, open GOPs and other time bases, cut on their own keyframes (where a segment's
  // seek lands right on the keyframe rather than decoding from the one before).
  const realSources: Array<[file: string, segmentSeconds: string, out: string]> = [
    ['bbb_720p24_10s_h264_aac.mp4', '2', 'bbb-h264.mp4'],
    ['real_640x360_40s_noaudio.mp4', '6', 'real.mp4'],
    ['mpeg2_1080p24_mp2_bbb.ts', '0.6', 'mpeg2.mkv'],
    ['bbb_720p24_30s_vp8_vorbis.webm', '6', 'vp8.mkv'],
    // (hevc_1080p30_10s_aac.mp4 is full-range yuvj420p: the 4:2:0 output is not lossless against it.)
  ];
  for (const [file, segmentSeconds, outName] of realSources) {
    it(`${file}: cut on its keyframes, every frame identical`, () => {
      const src = sharedMedia(file);
      const out = join(t.dir, outName);
      const job = transcodeLossless(src, out, segmentSeconds);
      assert.equal(job.status, 'done');
      assert.ok(job.segmentsTotal >= 3, `expected several segments, got ${job.segmentsTotal}`);
      const status = JSON.parse(cli(['status', job.id, '--json'], { stateDir: state }).stdout);
      assert.ok(status.segments.some((s: { kind: string; index: number; startsOnKeyframe?: boolean }) => s.kind === 'video' && s.index > 0), 'has cuts');
      assertSameFrames(src, out);
    });
  }

  it('extreme VFR screen recording: every frame identical, at the same times', () => {
    const src = sharedMedia('screenrec_h264_extreme_vfr.mp4');
    const out = join(t.dir, 'vfr-out.mkv');
    const job = transcodeLossless(src, out, '2');
    assert.equal(job.status, 'done');
    assert.ok(job.segmentsTotal >= 3, `expected several segments, got ${job.segmentsTotal}`);
    assertSameFrames(src, out);
  });
});
