/**
 * The core promise on real files from the corpus (SHARDCAST_MEDIA, default ../shared/media): with a lossless
 * encode (x264 CRF 0) every decoded frame of the segmented output hashes the same as the source's and sits at the
 * source's time, for files with B-frames, open GOPs and other time bases cut on their own keyframes, and for an
 * extreme-VFR screen recording. The generated CFR clip cut on and between keyframes is in
 * test/integration/pipeline-frame-exact.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { assertSameFrames, transcodeLossless } from '../support/frame-exact.js';
import { sharedMedia, tempDir } from '../support/media.js';

describe('frame-exact segmenting (lossless encode) on the corpus', () => {
  const t = tempDir();
  const state = join(t.dir, 'state');
  after(t.cleanup);

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
      const job = transcodeLossless(src, out, segmentSeconds, state);
      assert.equal(job.status, 'done');
      assert.ok(job.segmentsTotal >= 3, `expected several segments, got ${job.segmentsTotal}`);
      const status = JSON.parse(cli(['status', job.id, '--json'], { stateDir: state }).stdout);
      assert.ok(
        status.segments.some((s: { kind: string; index: number; startsOnKeyframe?: boolean }) => s.kind === 'video' && s.index > 0),
        'has cuts',
      );
      assertSameFrames(src, out);
    });
  }

  it('extreme VFR screen recording: every frame identical, at the same times', () => {
    const src = sharedMedia('screenrec_h264_extreme_vfr.mp4');
    const out = join(t.dir, 'vfr-out.mkv');
    const job = transcodeLossless(src, out, '2', state);
    assert.equal(job.status, 'done');
    assert.ok(job.segmentsTotal >= 3, `expected several segments, got ${job.segmentsTotal}`);
    assertSameFrames(src, out);
  });
});
