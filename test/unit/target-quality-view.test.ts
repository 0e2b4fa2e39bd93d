/**
 * What a user sees of `--target-quality` (issue 28): the job view's target figures, `status`'s per-segment
 * search lines (kept CRF, score, bytes, band, trials; a running segment's trials so far), and the quality
 * report's per-segment rows and table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobView } from '../../src/app/job-view.js';
import { statusText, summary } from '../../src/cli/commands.js';
import { buildQualityReport, describeQuality } from '../../src/core/quality-report.js';
import { bandPosition, targetLabel, trialsText } from '../../src/core/target-text.js';
import type { JobRecord, QualityTarget, QualityTrial, SegmentPlan, SegmentQuality, TaskRecord } from '../../src/core/types.js';

const T0 = 1_000_000;
const TARGET: QualityTarget = { metric: 'vmaf', value: 93, band: 1, minCrf: 18, maxCrf: 40 };

function job(target: QualityTarget | null = TARGET, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'job1',
    status: 'encoding',
    backend: 'local',
    source: '/in.mp4',
    output: '/out.mp4',
    options: {
      profile: { container: 'mp4', videoCodec: 'h264', crf: 23, preset: 'medium', audioCodec: 'aac', ...(target ? { target } : {}) },
      workers: 2,
      threadsPerWorker: 1,
      maxAttempts: 3,
      verify: true,
    },
    createdAt: T0,
    updatedAt: T0,
    startedAt: T0,
    timings: {},
    plan: { totalFrames: 300 } as JobRecord['plan'],
    ...over,
  } as JobRecord;
}

function trial(kind: QualityTrial['kind'], crf: number, score: number, bytes: number, ms: number): QualityTrial {
  return { kind, crf, score, bytes, frames: 100, ms, cpuSeconds: ms / 1000 };
}

function quality(over: Partial<SegmentQuality>): SegmentQuality {
  return { metric: 'vmaf', target: 93, band: 1, trials: [], ...over };
}

function task(index: number, over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    jobId: 'job1',
    kind: 'video',
    index,
    key: `job1/v${String(index).padStart(5, '0')}`,
    startFrame: index * 100,
    frameCount: 100,
    startTime: index * 4,
    endTime: index * 4 + 4,
    status: 'pending',
    attempts: 0,
    outputKey: `job1/v${index}.mp4`,
    ...over,
  };
}

const inBand = task(0, {
  status: 'done',
  attempts: 1,
  sizeBytes: 1_234_000,
  quality: quality({
    trials: [
      trial('probe', 26, 91.02, 300_000, 1100),
      trial('probe', 22, 95.1, 410_000, 1200),
      trial('encode', 24, 93.41, 1_234_000, 3400),
    ],
    crf: 24,
    score: 93.41,
    inBand: true,
  }),
});
const below = task(1, {
  status: 'done',
  attempts: 1,
  sizeBytes: 2_000_000,
  quality: quality({
    trials: [trial('probe', 18, 89, 900_000, 1000), trial('encode', 18, 88.2, 2_000_000, 3000)],
    crf: 18,
    score: 88.2,
    inBand: false,
    reason: 'the CRF range ran out at --min-crf 18',
  }),
});
const running = task(2, {
  status: 'running',
  attempts: 1,
  startedAt: T0,
  quality: quality({ trials: [trial('probe', 23, 92.5, 350_000, 1300)] }),
});

describe('a quality target in the job view and status', () => {
  it('counts the segments in band and names those outside it, with what is not scored yet', () => {
    const v = jobView(job(), [inBand, below, running]);
    assert.ok(v.target);
    assert.equal(v.target.summary, '1 of 3 segments in band (vmaf 93 ±1), 1 not scored yet');
    assert.deepEqual(v.target.outside, [
      { index: 1, position: 'below', crf: 18, score: 88.2, reason: 'the CRF range ran out at --min-crf 18' },
    ]);
    assert.equal(v.segments[0]!.quality?.position, 'in');
    assert.equal(v.segments[1]!.quality?.position, 'below');
    assert.equal(v.segments[2]!.quality?.position, undefined, 'a running search has no kept encode');
    assert.equal(v.segments[2]!.quality?.trials.length, 1);
  });

  it('has no target for a job without one', () => {
    const v = jobView(job(null), [task(0)]);
    assert.equal(v.target, undefined);
    assert.equal(JSON.parse(JSON.stringify(v)).target, undefined);
    assert.doesNotMatch(statusText(v), /quality target|trials/);
  });

  it('status prints the job line, the segment outside the band with its reason, and each segment’s trials', () => {
    const text = statusText(jobView(job(), [inBand, below, running]));
    const lines = text.split('\n');
    assert.ok(lines.includes('  quality target: 1 of 3 segments in band (vmaf 93 ±1), 1 not scored yet; crf 18-40'), text);
    assert.ok(lines.includes('    segment 1 below the band: vmaf 88.20 at crf 18 (the CRF range ran out at --min-crf 18)'), text);
    assert.ok(lines.includes('          crf 24 → vmaf 93.41, in band, 1.23 MB'), text);
    assert.ok(
      lines.includes(
        '          trials (crf → vmaf): probe 26 → 91.02 (300 KB, 1.1 s) · probe 22 → 95.10 (410 KB, 1.2 s) · encode 24 → 93.41 (1.23 MB, 3.4 s)',
      ),
      text,
    );
    assert.ok(lines.includes('          crf 18 → vmaf 88.20, below the band (the CRF range ran out at --min-crf 18), 2.00 MB'), text);
    // The running segment: its trials so far under its own line.
    const at = lines.findIndex((l) => l.startsWith('  v00002  running'));
    assert.ok(at > 0, text);
    assert.equal(lines[at + 1], '          searching for vmaf 93 ±1: 1 trial so far');
    assert.equal(lines[at + 2], '          trials (crf → vmaf): probe 23 → 92.50 (350 KB, 1.3 s)');
  });

  it('a failed segment keeps its trials for the next attempt and does not read as searching', () => {
    const failed = task(4, {
      status: 'failed',
      attempts: 1,
      error: 'killed',
      quality: quality({ trials: [trial('probe', 23, 92, 300_000, 900)] }),
    });
    const lines = statusText(jobView(job(), [failed])).split('\n');
    const at = lines.findIndex((l) => l.startsWith('  v00004  failed'));
    assert.equal(lines[at + 1], '          no encode kept: 1 trial so far');
  });

  it('a finished run’s summary says how many segments landed in the band and names the others', () => {
    const done = job(TARGET, { status: 'done' });
    const lines = summary(done, [], jobView(done, [inBand, below]).target).split('\n');
    assert.ok(lines.includes('quality target: 1 of 2 segments in band (vmaf 93 ±1); crf 18-40'), lines.join('\n'));
    assert.ok(lines.includes('  segment 1 below the band: vmaf 88.20 at crf 18 (the CRF range ran out at --min-crf 18)'));
    assert.doesNotMatch(summary(done), /quality target/);
  });

  it('places a score above, below, in the band, or under the floor', () => {
    const q = { target: 93, band: 1 };
    assert.equal(bandPosition({ ...q, score: 94.5 }), 'above');
    assert.equal(bandPosition({ ...q, score: 91.9 }), 'below');
    assert.equal(bandPosition({ ...q, score: 92, inBand: true }), 'in', 'the band’s edge is in it');
    assert.equal(bandPosition({ ...q, score: 93.2, inBand: false }), 'floor');
    assert.equal(bandPosition({ ...q, score: 95, inBand: true }), 'in', 'above the band, held there by the floor: in band, as judge says');
    assert.equal(bandPosition(q), undefined);
    assert.equal(targetLabel({ metric: 'ssim', value: 0.98, band: 0.005 }), 'ssim 0.98 ±0.005');
    assert.equal(targetLabel({ metric: 'psnr', value: 42, band: 0.5 }), 'psnr 42 ±0.5 dB');
    assert.equal(trialsText({ metric: 'vmaf', trials: [] }), 'no trials yet');
  });
});

function planOf(lengths: number[]): SegmentPlan {
  let start = 0;
  const segments = lengths.map((n, index) => {
    const s = { index, startFrame: start, frameCount: n, startTime: start / 25, endTime: (start + n) / 25, startsOnKeyframe: true };
    start += n;
    return s;
  });
  return { segments, targetSeconds: 1, totalFrames: start, encodeOrder: segments.map((s) => s.index) };
}

describe('a targeted job’s quality report', () => {
  const plan = planOf([100, 100]);
  const frames = {
    psnr: [...Array.from({ length: 100 }, () => 42), ...Array.from({ length: 100 }, (_, i) => (i % 2 ? 36 : 38))],
    ssim: [...Array.from({ length: 100 }, () => 0.99), ...Array.from({ length: 100 }, () => 0.97)],
  };
  const times = Array.from({ length: 200 }, (_, i) => i / 25);

  it('gives each segment its own PSNR and SSIM means beside its task’s CRF, score and bytes', () => {
    const r = buildQualityReport(frames, plan, times, [inBand, below]);
    assert.deepEqual(r.segments, [
      {
        index: 0,
        startFrame: 0,
        frameCount: 100,
        psnrMean: 42,
        ssimMean: 0.99,
        metric: 'vmaf',
        target: 93,
        band: 1,
        crf: 24,
        score: 93.41,
        inBand: true,
        bytes: 1_234_000,
      },
      {
        index: 1,
        startFrame: 100,
        frameCount: 100,
        psnrMean: 37,
        ssimMean: 0.97,
        metric: 'vmaf',
        target: 93,
        band: 1,
        crf: 18,
        score: 88.2,
        inBand: false,
        reason: 'the CRF range ran out at --min-crf 18',
        bytes: 2_000_000,
      },
    ]);
  });

  it('has no segments without the tasks (an untargeted job), and describeQuality prints no table then', () => {
    const r = buildQualityReport(frames, plan, times);
    assert.equal(r.segments, undefined);
    assert.equal(describeQuality(r).split('\n').length, 2);
  });

  it('describeQuality prints the per-segment table under the whole and the worst seam', () => {
    const lines = describeQuality(buildQualityReport(frames, plan, times, [inBand, below])).split('\n');
    assert.deepEqual(lines.slice(2), [
      'per segment (target vmaf 93 ±1):',
      '  segment  crf  vmaf (search)  psnr dB    ssim    bytes  band',
      '        0   24          93.41    42.00  0.9900  1.23 MB  in band',
      '        1   18          88.20    37.00  0.9700  2.00 MB  below the band (the CRF range ran out at --min-crf 18)',
    ]);
  });
});
