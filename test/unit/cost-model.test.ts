/** The AWS cost model: state transition and request counts, cost lines, projections, and the price file. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  DEFAULT_COST_ASSUMPTIONS,
  countStateTransitions,
  estimateJobCost,
  uploadRequests,
  type AwsDeployment,
  type AwsPrices,
  type CostEstimate,
  type MeasuredJob,
  type PriceKey,
} from '../../src/core/cost-model.js';
import { lambdaVcpus, projectJob, threadSpeedup } from '../../src/core/job-projection.js';
import { executionConcurrency } from '../../src/core/concurrency.js';

const PRICE_KEYS: PriceKey[] = [
  'lambdaGbSecondX86',
  'lambdaGbSecondArm',
  'lambdaRequest',
  'lambdaEphemeralGbSecond',
  'sfnStateTransition',
  's3PutRequest',
  's3GetRequest',
  's3StorageGbMonth',
  'dynamoDbWriteRequestUnit',
  'dynamoDbReadRequestUnit',
  'efsStorageGbMonth',
  'efsElasticReadGb',
  'efsElasticWriteGb',
  'ecrStorageGbMonth',
  'dataTransferOutGb',
];

/** Every price 1 USD per unit, except Arm at 2, so each line's usd equals its quantity. */
const UNIT_PRICES: AwsPrices = {
  region: 'test-1',
  currency: 'USD',
  prices: Object.fromEntries(
    PRICE_KEYS.map((k) => [k, { usd: k === 'lambdaGbSecondArm' ? 2 : 1, unit: 'u', date: '2024-01-02', source: 'test' }]),
  ) as AwsPrices['prices'],
};
const REAL_PRICES = JSON.parse(readFileSync(new URL('../../prices/aws-prices.json', import.meta.url), 'utf8')) as AwsPrices;
const NO_OVERHEAD = { ...DEFAULT_COST_ASSUMPTIONS, invocationOverheadMs: 0 };
const S3: AwsDeployment = { storage: 's3', architecture: 'x86_64', memoryMb: 2048, ephemeralMb: 512 };
const MiB = 1024 * 1024;

const job = (over: Partial<MeasuredJob> = {}): MeasuredJob => ({
  video: [
    { wallMs: 10_000, attempts: 1, sizeBytes: MiB },
    { wallMs: 10_000, attempts: 1, sizeBytes: MiB },
  ],
  audio: { wallMs: 2_000, attempts: 1, sizeBytes: 100_000 },
  analyzeMs: 1_000,
  mergeMs: 1_000,
  finalizeMs: 1_000,
  sourceBytes: 50 * MiB,
  outputBytes: 2 * MiB,
  totalMs: 3_600_000,
  ...over,
});
const lineOf = (est: CostEstimate, prefix: string) => {
  const l = est.lines.find((x) => x.item.startsWith(prefix));
  assert.ok(l, `no line "${prefix}" in ${est.lines.map((x) => x.item).join(', ')}`);
  return l;
};

describe('cost model', () => {
  it('counts the state transitions of one execution', () => {
    const cases: Array<[Parameters<typeof countStateTransitions>[0], number]> = [
      // Start (the Choice between a job and an upload), NotifyStarted, NotifyDone and JobDone are 4 of them.
      [{ segments: 1, retries: 0, audio: false }, 12],
      [{ segments: 10, retries: 0, audio: true }, 22],
      [{ segments: 10, retries: 3, audio: true }, 25],
      [{ segments: 300, retries: 0, audio: true }, 312],
      // An upload's execution makes its job first: Admit and the Choice after it.
      [{ segments: 10, retries: 0, audio: true, upload: true }, 24],
    ];
    for (const [shape, expected] of cases) assert.equal(countStateTransitions(shape), expected, JSON.stringify(shape));
  });

  it('counts the PUT requests of an upload', () => {
    const part = 16 * MiB;
    const cases: Array<[number, number]> = [
      [0, 1],
      [1, 1],
      [part, 1],
      [part + 1, 4],
      [3.5 * part, 6],
    ];
    for (const [size, expected] of cases) assert.equal(uploadRequests(size, part), expected, `size ${size}`);
  });

  it('bills Lambda GB-seconds at the configured memory for every invocation', () => {
    const est = estimateJobCost(job(), S3, UNIT_PRICES, NO_OVERHEAD);
    // 1 + 1 + 1 (analyze, merge, finalize) + 10 + 10 (segments) + 2 (audio) = 25 s at 2 GB.
    assert.equal(lineOf(est, 'Lambda compute').quantity, 50);
    assert.equal(lineOf(est, 'Lambda requests').quantity, 6);
    // 13 states (3 of them the notifications), plus the Choice that picks the segment Map (mapMode auto).
    assert.equal(lineOf(est, 'Step Functions').quantity, 15);
    assert.ok(!est.lines.some((l) => l.item.startsWith('Lambda /tmp')), 'the first 512 MB of /tmp are free');
    const withOverhead = estimateJobCost(job(), S3, UNIT_PRICES, { ...NO_OVERHEAD, invocationOverheadMs: 1000 });
    assert.equal(lineOf(withOverhead, 'Lambda compute').quantity, 50 + 6 * 2);
  });

  it("uses the Arm price on arm64 and bills /tmp above 512 MB per function: Merge the deployment's size, the encodes 2 GiB", () => {
    const est = estimateJobCost(job(), { ...S3, architecture: 'arm64', ephemeralMb: 10_240 }, UNIT_PRICES, NO_OVERHEAD);
    assert.equal(lineOf(est, 'Lambda compute').usd, 100);
    // Merge 1 s at 9.5 GB above 512 MB; the encodes (10 + 10 + 2 s) at 1.5 GB; analyze and finalize at 512 MB.
    assert.equal(lineOf(est, 'Lambda /tmp').quantity, 1 * 9.5 + 22 * 1.5);
  });

  it('charges retried attempts: another invocation, its duration and a transition', () => {
    const retried = job({
      video: [
        { wallMs: 10_000, attempts: 3, sizeBytes: MiB },
        { wallMs: 10_000, attempts: 1, sizeBytes: MiB },
      ],
    });
    const est = estimateJobCost(retried, S3, UNIT_PRICES, NO_OVERHEAD);
    assert.equal(lineOf(est, 'Lambda requests').quantity, 8);
    assert.equal(lineOf(est, 'Lambda compute').quantity, (25 + 20) * 2);
    assert.equal(lineOf(est, 'Step Functions').quantity, 17);
  });

  it('counts S3 requests and temp storage with S3 storage', () => {
    const big = job({ outputBytes: 40 * MiB });
    const est = estimateJobCost(big, S3, UNIT_PRICES, NO_OVERHEAD);
    // 3 temp uploads (1 PUT each) + output (40 MiB: 3 parts + 2) + 1 LIST
    assert.equal(lineOf(est, 'S3 PUT').quantity, 3 + 5 + 1);
    // (analyze + 3 task attempts) x 4 source GETs + 2 per temp file (HEAD + merge read)
    assert.equal(lineOf(est, 'S3 GET').quantity, 16 + 6);
    const tempGib = (2 * MiB + 100_000) / 1024 ** 3;
    assert.ok(Math.abs(lineOf(est, 'S3 temp storage').quantity - tempGib / 730) < 1e-12);
    assert.deepEqual(
      est.fixedMonthly.map((l) => l.item),
      ['ECR: the function image'],
    );
    assert.ok(!est.lines.some((l) => l.item.startsWith('EFS')));
  });

  it('counts EFS storage and throughput, and the interface endpoint as a monthly fixed cost, with EFS storage', () => {
    const est = estimateJobCost(job(), { ...S3, storage: 'efs' }, UNIT_PRICES, NO_OVERHEAD);
    assert.equal(lineOf(est, 'S3 PUT').quantity, 1, 'only the output goes to S3');
    assert.equal(lineOf(est, 'S3 GET').quantity, 16, 'only source reads');
    const temp = 2 * MiB + 100_000;
    assert.ok(Math.abs(lineOf(est, 'EFS elastic throughput, writes').quantity - (temp + 2 * MiB) / 1024 ** 3) < 1e-12);
    assert.ok(Math.abs(lineOf(est, 'EFS elastic throughput, reads').quantity - (temp + 4 * MiB) / 1024 ** 3) < 1e-12);
    // No interface endpoint (the stack has none: no function calls Step Functions); the image in ECR, in both setups.
    assert.deepEqual(
      est.fixedMonthly.map((l) => l.item),
      ['ECR: the function image'],
    );
  });

  it('bills what the earlier model left out: the download, the image in ECR, the files kept in the bucket', () => {
    const kept = estimateJobCost(job(), S3, UNIT_PRICES, NO_OVERHEAD);
    assert.ok(!kept.lines.some((l) => l.item.startsWith('Data transfer out')), 'an output left in S3 is not transferred');
    const downloaded = estimateJobCost(job({ downloaded: true, outputBytes: 2 * 1024 ** 3 }), S3, UNIT_PRICES, NO_OVERHEAD);
    assert.equal(lineOf(downloaded, 'Data transfer out').quantity, 2);
    assert.equal(kept.fixedMonthly[0]!.quantity, DEFAULT_COST_ASSUMPTIONS.imageGb);
    assert.ok(Math.abs(kept.keptMonthly[0]!.quantity - (50 * MiB + 2 * MiB) / 1024 ** 3) < 1e-12);
    const real = estimateJobCost(job({ downloaded: true, outputBytes: 1024 ** 3 }), S3, REAL_PRICES, NO_OVERHEAD);
    assert.equal(lineOf(real, 'Data transfer out').usd, 0.09);
  });

  it("prices arm64 at its own (assumed) encode speed, not x86's", () => {
    const input = {
      durationSeconds: 600,
      sourceBytes: 1e8,
      hasAudio: false,
      segmentSeconds: 10,
      concurrency: 60,
      calibration: { encodeSecondsPerSourceSecond: 1, threads: 2, outputBytesPerSecond: 100_000 },
    };
    const x86 = projectJob(input, S3, REAL_PRICES);
    const arm = projectJob(input, { ...S3, architecture: 'arm64' }, REAL_PRICES);
    const encode = (p: typeof x86) => p.segmentWallSeconds - 1.5;
    assert.ok(Math.abs(encode(arm) / encode(x86) - 1.25) < 1e-9);
  });

  it('counts DynamoDB write and read units', () => {
    const est = estimateJobCost(job(), S3, UNIT_PRICES, NO_OVERHEAD);
    assert.equal(lineOf(est, 'DynamoDB write').quantity, 24 * 2 + 6 * 3);
    // Per invocation (6) the job item and the task, a unit each; 3,600 one-second polls of the job item's
    // counters, half a unit each (regression: each poll read every task); the tasks listed once at the end.
    assert.equal(lineOf(est, 'DynamoDB read').quantity, 12 + 1800 + 2);
  });

  it('totals the lines and names the price date', () => {
    const est = estimateJobCost(job(), S3, UNIT_PRICES);
    assert.ok(Math.abs(est.totalUsd - est.lines.reduce((s, l) => s + l.usd, 0)) < 1e-9);
    assert.equal(est.pricesAsOf, '2024-01-02');
    assert.equal(est.region, 'test-1');
  });
});

describe('job projection', () => {
  const input = {
    durationSeconds: 2700,
    sourceBytes: 1024 ** 3,
    hasAudio: true,
    segmentSeconds: 10,
    concurrency: 40,
    calibration: { encodeSecondsPerSourceSecond: 1.6, threads: 2, outputBytesPerSecond: 500_000 },
  };

  it('scales Lambda speed with memory', () => {
    const cases: Array<[number, number]> = [
      [1769, 1],
      [10_240, 6],
      [20_000, 6],
      [884.5, 0.5],
      [6004.5, 3.5],
    ];
    for (const [mb, vcpus] of cases) assert.ok(Math.abs(lambdaVcpus(mb) - vcpus) < 1e-9, `${mb} MB: ${lambdaVcpus(mb)}`);
    assert.ok(lambdaVcpus(3008) > lambdaVcpus(2048) && lambdaVcpus(2048) > lambdaVcpus(1024));
    assert.equal(threadSpeedup(1), 1);
    assert.equal(threadSpeedup(0.5), 0.5);
    assert.ok(Math.abs(threadSpeedup(8) - 5.86) < 0.01, 'x264 reaches about 5.8x at 8 threads');
  });

  it('projects segments, waves and wall time for a 45-minute source', () => {
    const p = projectJob({ ...input, calibration: { ...input.calibration, threads: 1 } }, { ...S3, memoryMb: 1769 }, REAL_PRICES);
    assert.equal(p.segments, 270);
    assert.equal(p.waves, 7);
    // 10 s of source at 1.6 s/s on 1 thread takes the same on 1 vCPU, plus start-up.
    assert.ok(Math.abs(p.segmentWallSeconds - (1.5 + 16)) < 1e-9);
    assert.ok(p.wallSeconds > 7 * 17.5 && p.wallSeconds < p.singleProcessSeconds / 10, `${p.wallSeconds} s`);
    assert.equal(p.job.video.length, 270);
    const faster = projectJob({ ...input, concurrency: 300 }, { ...S3, memoryMb: 10_240 }, REAL_PRICES);
    assert.equal(faster.waves, 1);
    assert.ok(faster.wallSeconds < p.wallSeconds);
  });

  it('the serial path of a 45-minute 806 MB source: the scan in 4 reads, verification by the MP4 index, in Merge (regression: 72 of 137 s)', () => {
    const mkv = { ...input, sourceBytes: 806e6, calibration: { ...input.calibration, outputBytesPerSecond: 150_000 } };
    const p = projectJob(mkv, S3, REAL_PRICES);
    // 806 MB at min(4 x 80, 300) MB/s, plus start-up.
    assert.ok(Math.abs(p.analyzeSeconds - (1.5 + 806 / 300)) < 1e-6, `analyze ${p.analyzeSeconds}`);
    assert.ok(Math.abs(p.mergeSeconds - (1.5 + (2700 * 150_000) / 150e6 + 0.1)) < 1e-6, `merge ${p.mergeSeconds}`);
    assert.equal(p.finalizeSeconds, 2);
    const serial = p.analyzeSeconds + p.mergeSeconds + p.finalizeSeconds;
    assert.ok(serial < 16, `${serial.toFixed(1)} s serial`);
    // A Matroska output is read whole to verify it; a small source in one read.
    const whole = projectJob({ ...mkv, indexedOutput: false }, S3, REAL_PRICES);
    assert.ok(Math.abs(whole.mergeSeconds - p.mergeSeconds - ((2700 * 150_000) / 210e6 - 0.1)) < 1e-6);
    assert.ok(Math.abs(projectJob({ ...mkv, sourceBytes: 100e6 }, S3, REAL_PRICES).analyzeSeconds - (1.5 + 100 / 80)) < 1e-6);
  });

  it('prices a 45-minute 1080p job at cents; the image in ECR is the monthly cost of both setups', () => {
    const s3 = projectJob(input, S3, REAL_PRICES).cost;
    const efs = projectJob(input, { ...S3, storage: 'efs' }, REAL_PRICES).cost;
    assert.ok(s3.totalUsd > 0.01 && s3.totalUsd < 2, `S3: $${s3.totalUsd}`);
    assert.ok(efs.totalUsd > 0.01 && efs.totalUsd < 2, `EFS: $${efs.totalUsd}`);
    assert.ok(Math.abs(efs.fixedMonthlyUsd - 0.035) < 1e-9);
    assert.equal(s3.fixedMonthlyUsd, efs.fixedMonthlyUsd);
  });
});

describe('prices/aws-prices.json', () => {
  it('has every price the model uses, each with a unit, a date and its source', () => {
    assert.equal(REAL_PRICES.region, 'us-east-1');
    assert.equal(REAL_PRICES.currency, 'USD');
    for (const key of PRICE_KEYS) {
      const e = REAL_PRICES.prices[key];
      assert.ok(e, `missing ${key}`);
      assert.ok(e.usd > 0 && e.usd < 1, `${key} usd`);
      assert.match(e.date, /^\d{4}-\d{2}-\d{2}$/, `${key} date`);
      assert.match(e.source, /^https:\/\/aws\.amazon\.com\//, `${key} source`);
      assert.ok(e.unit.length > 0);
    }
    assert.ok(REAL_PRICES.prices.lambdaGbSecondArm.usd < REAL_PRICES.prices.lambdaGbSecondX86.usd);
  });
});

describe('executionConcurrency: segments at once, from the job and the account', () => {
  it('a new account (10 unreserved) gets 8 of the 40 asked: one slot left to its other functions, one to the audio', () => {
    const r = executionConcurrency(40, { unreserved: 10 });
    assert.equal(r.concurrency, 8);
    assert.match(r.note, /^8 segments at once, not the 40 asked: the account has 10 unreserved concurrent executions, and 1 is left/);
  });
  it('says its counts in proper plurals: 1 segment, 2 segments (no "segment(s)")', () => {
    assert.match(executionConcurrency(40, { unreserved: 3 }).note, /^1 segment at once, not the 40 asked/);
    assert.match(executionConcurrency(40, { reservedForEncode: 1 }).note, /^1 segment at once \(40 asked\)/);
    assert.match(executionConcurrency(2, undefined).note, /^2 segments at once: /);
    for (const u of [3, 10, 1000]) assert.doesNotMatch(executionConcurrency(40, { unreserved: u }).note, /\(s\)/);
  });
  it('a large account gives what is asked; a reservation for the encode function decides where there is one', () => {
    assert.equal(executionConcurrency(40, { unreserved: 1000 }).concurrency, 40);
    assert.equal(executionConcurrency(40, { unreserved: 1000, reservedForEncode: 25 }).concurrency, 25);
    assert.equal(executionConcurrency(10, { reservedForEncode: 25 }).concurrency, 10);
  });
  it('never below one; unknown capacity keeps what is asked and says so', () => {
    assert.equal(executionConcurrency(40, { unreserved: 1 }).concurrency, 1);
    const r = executionConcurrency(40, undefined);
    assert.equal(r.concurrency, 40);
    assert.match(r.note, /could not be read/);
  });
});
