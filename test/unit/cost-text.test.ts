/**
 * The words and numbers of `shardcast cost` and `shardcast estimate` (issue 27, item 6): plurals, quantities
 * without e-notation, cost rows in fixed columns, the plan's segments and waves as the plan has them, the
 * calibration host's load, and what `cost` scales a job's times from.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planLimits } from '../../src/adapters/aws/plan-limits.js';
import { limitsText, loadPrices, waveFilledTarget } from '../../src/cli/aws-commands.js';
import {
  amountText,
  costEstimateText,
  costTable,
  cpuShareOf,
  decimal,
  estimateText,
  hostText,
  measuredOnText,
  planText,
  size,
  usd,
} from '../../src/cli/cost-text.js';
import { estimateJobCost, type AwsDeployment, type CostLine, type MeasuredJob } from '../../src/core/cost-model.js';
import { longestSegmentSeconds, projectJob, type ProjectionInputs } from '../../src/core/job-projection.js';
import type { JobRecord, MediaAnalysis, TaskRecord } from '../../src/core/types.js';
import { plural, pluralWord } from '../../src/core/words.js';
import { fullJob } from '../contract/ledger-fixtures.js';

const DEPLOYMENT: AwsDeployment = { storage: 's3', architecture: 'x86_64', memoryMb: 3008, ephemeralMb: 10_240 };

/** A small job, as `estimate` projects a 30 s clip: 9 s from start to end, a few MB. */
const SMALL_JOB: MeasuredJob = {
  video: Array.from({ length: 4 }, () => ({ wallMs: 2600, attempts: 1, sizeBytes: 780_000 })),
  audio: { wallMs: 600, attempts: 1, sizeBytes: 480_000 },
  analyzeMs: 100,
  mergeMs: 200,
  finalizeMs: 500,
  sourceBytes: 3_100_000,
  outputBytes: 2_660_000,
  totalMs: 9_000,
  downloaded: true,
};

const line = (over: Partial<CostLine>): CostLine => ({ item: 'x', quantity: 1, unit: 'request', unitUsd: 1, usd: 1, ...over });

describe('plural', () => {
  it('one is singular, every other count plural, the head of a phrase takes the s', () => {
    assert.equal(plural(1, 'segment'), '1 segment');
    assert.equal(plural(0, 'segment'), '0 segments');
    assert.equal(plural(6, 'request'), '6 requests');
    assert.equal(plural(66, 'write request unit'), '66 write request units');
    assert.equal(pluralWord(17.97, 'GB-second of /tmp above 512 MB'), 'GB-seconds of /tmp above 512 MB');
    assert.equal(pluralWord(1, 'GB-second'), 'GB-second');
    assert.equal(plural(2, 'pass'), '2 passes');
    assert.equal(plural(3, 'entry'), '3 entries');
    assert.equal(plural(2, 'child', 'children'), '2 children');
  });
});

describe('no "1 segments" in estimate and cost', () => {
  it('the limits, the invocations and the counts of one say one', () => {
    const limits = {
      segments: 1,
      mapMode: 'inline' as const,
      deploymentMapMode: 'auto' as const,
      maxInlineSegments: 2490,
      historyEvents: 40,
      historyEventLimit: 25_000,
      largestPayloadBytes: 100,
      payloadLimitBytes: 262_144,
      jobItemBytes: 3000,
      largestItemBytes: 3000,
      itemLimitBytes: 409_600,
      readUnitsPerSegment: 1,
    };
    const text = limitsText(limits);
    assert.match(text, /^AWS limits: 1 segment planned,/);
    assert.match(text, /, 1 read unit per segment$/);
    assert.match(limitsText({ ...limits, segments: 2, readUnitsPerSegment: 2 }), /2 segments planned[^]*2 read units per segment/);
    const one = estimateJobCost({ ...SMALL_JOB, video: [], audio: undefined }, DEPLOYMENT, loadPrices());
    assert.equal(one.lines[0]!.item, 'Lambda compute (3 invocations at 3008 MB)');
    assert.doesNotMatch(costEstimateText(one).join('\n'), /(?<![\w.-])1 [a-z-]+s\b/);
  });
});

describe('cost lines', () => {
  it('units in the plural where the count is not one: "6 requests", "66 write request units"', () => {
    assert.equal(amountText(line({ quantity: 6, unit: 'request (PUT, COPY, POST, LIST)' })), '6 requests');
    assert.equal(amountText(line({ quantity: 1, unit: 'request (GET, SELECT and all others)' })), '1 request');
    assert.equal(amountText(line({ quantity: 66, unit: 'write request unit (1 KB)' })), '66 write request units');
    assert.equal(amountText(line({ quantity: 13, unit: 'state transition' })), '13 state transitions');
    assert.equal(amountText(line({ quantity: 46.68, unit: 'GB-second' })), '46.68 GB-seconds');
  });

  it('no e-notation: storage in bytes for how long it is kept, transfer in MB, tiny numbers in plain decimals', () => {
    const est = estimateJobCost(SMALL_JOB, DEPLOYMENT, loadPrices());
    const text = costEstimateText(est).join('\n');
    assert.doesNotMatch(text, /\de[-+]?\d/, text);
    const temp = est.lines.find((l) => l.item === 'S3 temp storage')!;
    assert.ok(temp.quantity < 1e-6, 'a GB-month quantity that printed as 1.036e-8');
    assert.equal(amountText(temp), '3.43 MB for 9 s');
    assert.equal(amountText(est.keptMonthly[0]!), '5.49 MB for a month');
    assert.equal(amountText(est.fixedMonthly[0]!), '358 MB for a month');
    assert.match(amountText(est.lines.find((l) => /^Data transfer out/.test(l.item))!), /^2\.54 MB$/);
    assert.equal(amountText(line({ quantity: 0.5, unit: 'GB written' })), '512 MB written');
    assert.equal(decimal(4.281e-8), '0.0000000428');
    assert.equal(decimal(0.0412), '0.0412');
    assert.equal(size(11), '11 bytes');
    assert.equal(usd(2.4e-10), '<$0.00000001');
  });

  it('rows in fixed columns whatever the lengths: every price ends at the same offset, amounts start together', () => {
    for (const storage of ['s3', 'efs'] as const) {
      const est = estimateJobCost(SMALL_JOB, { ...DEPLOYMENT, storage }, loadPrices());
      const rows = costEstimateText(est).filter((l) => !/^ {2}(total|plus) /.test(l));
      assert.equal(rows.length, est.lines.length + est.keptMonthly.length + est.fixedMonthly.length);
      const ends = new Set(rows.map((r) => r.length));
      assert.equal(ends.size, 1, `price columns end at ${[...ends].join(', ')}:\n${rows.join('\n')}`);
      const amountStarts = new Set(rows.map((r, i) => r.indexOf(amountText([...est.lines, ...est.keptMonthly, ...est.fixedMonthly][i]!))));
      assert.equal(amountStarts.size, 1, rows.join('\n'));
    }
    // An item longer than any column width the old fixed layout had (56) still lines up.
    const long = costTable([line({ item: 'y'.repeat(70) }), line({ item: 'z', usd: 0.00000123 })]);
    assert.equal(long[0]!.length, long[1]!.length);
  });
});

const PROJECTION_INPUT: ProjectionInputs = {
  durationSeconds: 30,
  sourceBytes: 3_100_000,
  hasAudio: true,
  segmentSeconds: 5,
  segments: 2,
  concurrency: 40,
  calibration: { encodeSecondsPerSourceSecond: 0.3, threads: 2, outputBytesPerSecond: 90_000 },
};

const estimateOf = (over: Partial<ProjectionInputs>, text: Partial<Parameters<typeof estimateText>[0]> = {}) => {
  const input = { ...PROJECTION_INPUT, ...over };
  const projection = projectJob(input, DEPLOYMENT, loadPrices());
  return estimateText({
    durationSeconds: input.durationSeconds,
    sourceBytes: input.sourceBytes,
    calibration: { wallMs: 1200, sourceSeconds: 4, threads: 2 },
    segmentSeconds: input.segmentSeconds,
    concurrency: input.concurrency,
    deployment: DEPLOYMENT,
    timeoutSeconds: 900,
    projection,
    ...text,
  });
};

describe('estimate: the plan as the job would get it', () => {
  it('a 30 s source in 2 planned segments: "2 segments of about 15 s", not "2 segment(s) of about 5 s"', () => {
    const text = estimateOf({});
    assert.match(text, /^plan: 2 segments of about 15 s, all at once \(target 5 s\);/m);
    assert.doesNotMatch(text, /\(s\)/);
    assert.match(estimateOf({ segments: 4 }), /^plan: 4 segments of about 7\.5 s, all at once/m);
    assert.match(estimateOf({ segments: 1 }), /^plan: 1 segment of about 30 s, all at once/m);
  });

  it('says how many waves and what the last holds: 161 at 40 is 5 waves, the last with 1; 160 is 4 full', () => {
    const p161 = projectJob({ ...PROJECTION_INPUT, hasAudio: false, durationSeconds: 2700, segments: 161 }, DEPLOYMENT, loadPrices());
    assert.deepEqual([p161.waves, p161.lastWave], [5, 1]);
    assert.equal(planText(p161, 2700, 40), '161 segments of about 16.77 s in 5 waves of 40, the last with 1');
    const p160 = projectJob({ ...PROJECTION_INPUT, hasAudio: false, durationSeconds: 2700, segments: 160 }, DEPLOYMENT, loadPrices());
    assert.deepEqual([p160.waves, p160.lastWave], [4, 40]);
    assert.equal(planText(p160, 2700, 40), '160 segments of about 16.88 s in 4 waves of 40');
    assert.ok(p160.wallSeconds < p161.wallSeconds, 'one wave less');
    const serial = projectJob({ ...PROJECTION_INPUT, concurrency: 1, segments: 5 }, DEPLOYMENT, loadPrices());
    assert.equal(planText(serial, 30, 1), '5 segments of about 6 s, one at a time');
    assert.match(
      estimateOf({ durationSeconds: 2700, segments: 160, segmentSeconds: 17.1 }, { requestedSegmentSeconds: 17 }),
      /\(target 17\.1 s, not 17 s, so that the waves are full\)/,
    );
  });

  it("the estimate's plan fills its waves: the limits' plan at its target is whole waves of 40", () => {
    // 805 s at 25 fps, a keyframe on every frame, 5 s segments and a tapered tail: not whole waves at 5 s.
    const frames = 805 * 25;
    const base = fullJob('wave').analysis!;
    const analysis: MediaAnalysis = {
      ...base,
      startTime: 0,
      duration: 805,
      video: {
        ...base.video,
        frameTimes: Array.from({ length: frames }, (_, i) => i / 25),
        keyframeIndices: Array.from({ length: frames }, (_, i) => i),
        lastFrameDuration: 0.04,
      },
    };
    const limits = (segmentSeconds: number) =>
      planLimits({ analysis, durationSeconds: 805, options: fullJob('wave').options, segmentSeconds, concurrency: 40, mapMode: 'auto' });
    const plain = limits(5).segments;
    assert.notEqual(plain % 40, 0, `${plain} segments`);
    const target = waveFilledTarget({ analysis, durationSeconds: 805, targetSeconds: 5, concurrency: 40, maxTargetSeconds: 60 });
    assert.equal(limits(target).segments % 40, 0, `${limits(target).segments} segments at ${target} s`);
    assert.ok(limits(target).segments < plain, 'fewer, longer segments');
    // Segments may not grow past 5 s (a function's time limit): more, shorter ones instead.
    const short = waveFilledTarget({ analysis, durationSeconds: 805, targetSeconds: 5, concurrency: 40, maxTargetSeconds: 5 });
    assert.ok(short < 5 && limits(short).segments > plain, `${limits(short).segments} segments at ${short} s`);
    // How far segments may grow: what a function encodes in half its timeout.
    const cal = PROJECTION_INPUT.calibration;
    const longest = longestSegmentSeconds(cal, DEPLOYMENT, 900);
    const p = projectJob({ ...PROJECTION_INPUT, durationSeconds: longest, segments: 1 }, DEPLOYMENT, loadPrices());
    assert.ok(Math.abs(p.segmentWallSeconds - 450) < 1e-6, `${p.segmentWallSeconds}`);
  });

  it('names the calibrating host, its cores and load, and says when it was busy', () => {
    assert.equal(hostText({ cores: 2, loadAverage: 0.3 }), '2 cores, load average 0.30 before it');
    assert.match(hostText({ cores: 2, loadAverage: 2.9 }), /^2 cores, load average 2\.90 before it: the host was busy/);
    assert.match(
      estimateOf({}, { host: { cores: 1, loadAverage: 0 } }),
      /with 2 threads here \(3\.33x real time; 1 core, load average 0\.00 before it\)/,
    );
  });
});

describe('cost: what the times are scaled from', () => {
  const local = (): JobRecord => {
    const j = fullJob('local-cost');
    return { ...j, backend: 'local', options: { ...j.options, workers: 2, threadsPerWorker: 1, tailThreads: undefined } };
  };
  const seg = (index: number, wallMs: number, cpuSeconds: number): TaskRecord => ({
    jobId: 'local-cost',
    kind: 'video',
    index,
    key: `local-cost/v${index}`,
    startFrame: 0,
    frameCount: 1,
    startTime: 0,
    endTime: 1,
    status: 'done',
    attempts: 1,
    outputKey: 'k',
    wallMs,
    cpuSeconds,
    worker: 'build7:842/5798580',
  });

  it('always says the host, its workers and threads, and the scale', () => {
    const lines = measuredOnText(local(), [seg(0, 2000, 1.9), seg(1, 2000, 2.1)], 0.63);
    assert.deepEqual(lines, [
      "  segment times measured on host build7 by 2 workers of 1 thread each, scaled by 0.63 to the function's vCPUs",
    ]);
    assert.deepEqual(measuredOnText(fullJob('aws-cost'), [], 1), ['  segment times measured in the functions on AWS, as they ran']);
  });

  it('says in one line when the host was loaded: its encodes got a small share of the CPU their threads could use', () => {
    // 1.35 CPU s in 7.7 s with one thread: measured here on a host running others' tests.
    const tasks = [seg(0, 7727, 1.35), seg(1, 5430, 1.29)];
    assert.ok(Math.abs(cpuShareOf(local(), tasks)! - 2.64 / 13.157) < 1e-9);
    const lines = measuredOnText(local(), tasks, 0.63);
    assert.equal(lines.length, 2);
    assert.match(
      lines[1]!,
      /^ {2}the host was loaded: its encodes got 20% of the CPU their threads could use, so these times and this cost are higher/,
    );
    assert.equal(cpuShareOf(local(), [{ ...seg(0, 1000, 0), cpuSeconds: undefined }]), undefined);
  });
});
