import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PSNR_CAP_DB,
  SEAM_WINDOW_FRAMES,
  buildQualityArgs,
  buildQualityReport,
  describeQuality,
  parseQualityFrames,
} from '../../src/core/quality-report.js';
import type { SegmentPlan } from '../../src/core/types.js';

function planOf(lengths: number[]): SegmentPlan {
  let start = 0;
  const segments = lengths.map((n, index) => {
    const s = { index, startFrame: start, frameCount: n, startTime: start / 25, endTime: (start + n) / 25, startsOnKeyframe: true };
    start += n;
    return s;
  });
  return { segments, targetSeconds: 1, totalFrames: start, encodeOrder: segments.map((s) => s.index) };
}

const times = (n: number) => Array.from({ length: n }, (_, i) => i / 25);

function printed(psnr: Array<number | 'inf'>, ssim: number[]): string {
  return psnr
    .map((p, i) =>
      [
        `frame:${i}    pts:${i}       pts_time:${i / 1e6}`,
        'lavfi.psnr.mse_avg=1.0',
        `lavfi.psnr.psnr.y=${p}`,
        `lavfi.psnr.psnr_avg=${p}`,
        'lavfi.ssim.Y=0.9',
        `lavfi.ssim.All=${ssim[i]}`,
        'lavfi.ssim.dB=20.0',
      ].join('\n'),
    )
    .join('\n');
}

describe('quality report', () => {
  it('parses per-frame PSNR and SSIM from metadata=print, counting inf as the cap', () => {
    const q = parseQualityFrames(printed([40, 'inf', 38.5], [0.99, 1, 0.98]));
    assert.deepEqual(q.psnr, [40, PSNR_CAP_DB, 38.5]);
    assert.deepEqual(q.ssim, [0.99, 1, 0.98]);
  });

  it('measures each cut against the frames around it and names the worst seam', () => {
    const plan = planOf([50, 50, 50]);
    const psnr = Array.from({ length: 150 }, () => 45);
    psnr[49] = 44; // seam 1: 1 dB below
    psnr[100] = 41; // seam 2: the first frame after the cut, 4 dB below
    const ssim = Array.from({ length: 150 }, () => 0.99);
    const r = buildQualityReport(parseQualityFrames(printed(psnr, ssim)), plan, times(150));
    assert.equal(r.frames, 150);
    assert.equal(r.seams.length, 2);
    assert.deepEqual(
      r.seams.map((s) => [s.index, s.frame, s.psnrBefore, s.psnrAfter, s.psnrAround, s.dipDb]),
      [
        [1, 50, 44, 45, 45, 1],
        [2, 100, 45, 41, 45, 4],
      ],
    );
    assert.equal(r.seams[1]!.time, 4);
    assert.equal(r.worstSeam, 2);
    assert.equal(r.psnrMin, 41);
    assert.equal(r.psnrMinFrame, 100);
    assert.match(
      describeQuality(r),
      /worst seam: before segment 2 at 4\.000 s \(frame 100\): 45\.00 \| 41\.00 dB either side, 4\.00 dB below/,
    );
  });

  it('keeps a seam neighbourhood inside the two segments beside it', () => {
    // Short segments: the window (SEAM_WINDOW_FRAMES each side) would reach into a third segment.
    const plan = planOf([30, 3, 30]);
    const psnr = Array.from({ length: 63 }, (_, i) => (i >= 30 && i < 33 ? 50 : 40));
    const r = buildQualityReport({ psnr, ssim: psnr.map(() => 1) }, plan, times(63));
    // Seam 1 (frame 30): around = frames [30-1-W, 29) of segment 0 at 40 and frames 31, 32 of segment 1 at 50.
    const w = SEAM_WINDOW_FRAMES;
    assert.equal(r.seams[0]!.psnrAround, Number(((w * 40 + 2 * 50) / (w + 2)).toFixed(3)));
    assert.equal(r.seams[1]!.psnrBefore, 50);
    assert.equal(r.seams[1]!.psnrAfter, 40);
  });

  it('has no seams for a one-segment job', () => {
    const r = buildQualityReport({ psnr: [40, 41], ssim: [0.9, 0.95] }, planOf([2]), times(2));
    assert.deepEqual(r.seams, []);
    assert.equal(r.worstSeam, undefined);
    assert.equal(r.psnrMean, 40.5);
    assert.match(describeQuality(r), /no seams/);
  });

  it('refuses a measurement that does not cover every planned frame', () => {
    assert.throws(() => buildQualityReport({ psnr: [40, 41], ssim: [0.9, 0.95] }, planOf([3]), times(3)), /covered 2 frames/);
    // A sparse array: three frames long, the second missing.
    const ssim: number[] = [];
    ssim[0] = 0.9;
    ssim[2] = 0.9;
    const holes = { psnr: [40, 41, 42], ssim };
    assert.throws(() => buildQualityReport(holes, planOf([3]), times(3)), /covered 3 frames/);
  });

  it('compares the source at the output size and pixel format, frames renumbered', () => {
    const args = buildQualityArgs({ outputLocation: '/o.mp4', sourceLocation: '/s.mkv', pixelFormat: 'yuv420p10le' });
    assert.deepEqual(args.slice(4, 8), ['-i', 'file:/o.mp4', '-i', 'file:/s.mkv']);
    const remote = buildQualityArgs({
      outputLocation: '/o.mp4',
      sourceLocation: 'https://b.s3.amazonaws.com/in.mkv?X-Amz-Signature=x',
      pixelFormat: 'yuv420p',
    });
    assert.ok(
      remote
        .join(' ')
        .includes('-reconnect 1 -reconnect_on_network_error 1 -reconnect_on_http_error 5xx -reconnect_delay_max 10 -i https://b.s3'),
      'a presigned source reconnects',
    );
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    assert.match(graph, /^\[1:v:0\]\[0:v:0\]scale2ref/);
    assert.equal(graph.match(/format=yuv420p10le,settb=AVTB,setpts=N/g)?.length, 2);
    assert.match(graph, /psnr=shortest=1\[p\];\[p\]\[s2\]ssim=shortest=1,metadata=mode=print:file=-$/);
  });
});
