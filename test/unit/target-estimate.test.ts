/**
 * What a quality target (`--target-quality`, issue 28) adds to a job's cost: `estimate`'s line (the targeted
 * projection beside the same plan encoded plainly) and the dashboard's share of a done job's cost that its CRF
 * searches took.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPrices } from '../../src/cli/aws-commands.js';
import { estimateText, targetExtra, targetText, type TargetEstimate } from '../../src/cli/cost-text.js';
import type { AwsDeployment } from '../../src/core/cost-model.js';
import { projectJob, type ProjectionInputs } from '../../src/core/job-projection.js';
import type { JobRecord, QualityTrial, TaskRecord } from '../../src/core/types.js';
import { jobCostView, keptEncodeMs, keptOnly } from '../../src/server/cost-estimate.js';

const DEPLOYMENT: AwsDeployment = { storage: 's3', architecture: 'x86_64', memoryMb: 3008, ephemeralMb: 10_240 };
const INPUT: ProjectionInputs = {
  durationSeconds: 600,
  sourceBytes: 100_000_000,
  hasAudio: true,
  segmentSeconds: 15,
  segments: 40,
  concurrency: 40,
  calibration: { encodeSecondsPerSourceSecond: 2, threads: 2, outputBytesPerSecond: 200_000 },
};

function projections(factor: number) {
  const prices = loadPrices();
  const plain = projectJob(INPUT, DEPLOYMENT, prices);
  const c = INPUT.calibration;
  const targeted = projectJob(
    { ...INPUT, calibration: { ...c, encodeSecondsPerSourceSecond: c.encodeSecondsPerSourceSecond * factor } },
    DEPLOYMENT,
    prices,
  );
  const target: TargetEstimate = { label: 'vmaf 93 ±1', cpuFactor: factor, plain };
  return { plain, targeted, target };
}

describe('estimate with a quality target', () => {
  it('adds the searches’ function time, vCPU time, wall time and cost over the same plan encoded plainly', () => {
    const { plain, targeted, target } = projections(1.5);
    const x = targetExtra(target, targeted);
    const fn = (p: typeof plain) => p.job.video.reduce((s, v) => s + v.wallMs, 0) / 1000;
    assert.ok(x.functionSeconds > 0);
    assert.equal(x.functionSeconds, fn(targeted) - fn(plain));
    // A segment's encode time grows by the factor.
    assert.ok(Math.abs(fn(targeted) / fn(plain) - 1.5) < 1e-9, `${fn(targeted) / fn(plain)}`);
    assert.equal(x.vcpuSeconds, x.functionSeconds * targeted.vcpus);
    assert.ok(x.usd > 0 && x.usd < targeted.cost.totalUsd);
    assert.ok(x.wallSeconds > 0, 'the segments, not the audio track, set the wall time here');
  });

  it('says so on one line of the estimate, and not at all without a target', () => {
    const { targeted, target } = projections(1.45);
    const base = {
      durationSeconds: 600,
      sourceBytes: 100_000_000,
      calibration: { wallMs: 2000, sourceSeconds: 4, threads: 2 },
      segmentSeconds: 15,
      concurrency: 40,
      deployment: DEPLOYMENT,
      timeoutSeconds: 900,
      projection: targeted,
    };
    const line = estimateText({ ...base, target })
      .split('\n')
      .find((l) => l.startsWith('quality target'));
    assert.equal(line, targetText(target, targeted));
    assert.match(
      line,
      /^quality target vmaf 93 ±1: probes and scoring make each segment about 1\.45x the CPU of a plain encode: \+[\d.]+ vCPU-hours \(\+\d+:\d\d of function time\), \+\d+:\d\d of wall time, \+\$[\d.]+ per job \(\$[\d.]+, not \$[\d.]+\)$/,
    );
    assert.doesNotMatch(estimateText(base), /quality target/);
  });
});

const trial = (kind: QualityTrial['kind'], crf: number, ms: number): QualityTrial => ({
  kind,
  crf,
  score: 93,
  bytes: 1000,
  frames: 100,
  ms,
  cpuSeconds: ms / 1000,
});

describe('a done targeted job’s cost on the dashboard', () => {
  const quality = {
    metric: 'vmaf' as const,
    target: 93,
    band: 1,
    trials: [trial('probe', 23, 1000), trial('encode', 23, 4000), trial('encode', 26, 3000)],
    crf: 26,
    score: 93.2,
    inBand: true,
  };
  const task = (index: number, over: Partial<TaskRecord>): TaskRecord => ({
    jobId: 'j1',
    kind: 'video',
    index,
    key: `j1/v${index}`,
    startFrame: index * 100,
    frameCount: 100,
    startTime: index * 4,
    endTime: index * 4 + 4,
    status: 'done',
    attempts: 1,
    outputKey: `j1/v${index}.mp4`,
    sizeBytes: 1_000_000,
    ...over,
  });
  const job = (target: boolean) =>
    ({
      id: 'j1',
      status: 'done',
      backend: 'local',
      source: '/in.mp4',
      output: '/out.mp4',
      options: {
        profile: {
          container: 'mp4',
          videoCodec: 'h264',
          crf: 23,
          preset: 'medium',
          audioCodec: 'none',
          ...(target ? { target: { metric: 'vmaf', value: 93, band: 1, minCrf: 18, maxCrf: 40 } } : {}),
        },
        workers: 2,
        threadsPerWorker: 1,
        maxAttempts: 3,
        verify: true,
      },
      createdAt: 0,
      updatedAt: 0,
      timings: { analyzeMs: 500, mergeMs: 300, verifyMs: 200, totalMs: 20_000 },
      result: { frames: 200, videoDuration: 8, sizeBytes: 2_000_000 },
    }) as JobRecord;

  it('keeps only the kept encode of each searched segment (the last encode at the kept CRF)', () => {
    assert.equal(keptEncodeMs(quality), 3000);
    assert.equal(keptEncodeMs({ ...quality, crf: undefined }), undefined);
    const tasks = [task(0, { wallMs: 8200, quality }), task(1, { wallMs: 5000 })];
    assert.deepEqual(
      keptOnly(tasks).map((t) => t.wallMs),
      [3000, 5000],
    );
  });

  it('says what share of the cost the searches took, for a targeted job only', () => {
    const tasks = [task(0, { wallMs: 8200, quality }), task(1, { wallMs: 8200, quality })];
    const v = jobCostView(job(true), tasks, loadPrices())!;
    assert.ok(v.search, 'a targeted job has its searches’ share');
    assert.ok(v.search.usd > 0 && v.search.share > 0.3 && v.search.share < 0.7, JSON.stringify(v.search));
    assert.match(v.basis, /; the CRF searches \(probes and the encodes not kept, with their scoring\) are \d+% of it$/);
    const plain = jobCostView(job(false), tasks, loadPrices())!;
    assert.equal(plain.search, undefined);
    assert.equal(plain.usd, v.usd, 'the job’s own cost is the same figure');
  });
});
