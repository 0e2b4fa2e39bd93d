import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildQualityTarget,
  judge,
  MAX_ENCODES,
  nextTrial,
  poolScores,
  probeSample,
  sampledFrames,
  targetCpuFactor,
  targetWorkBound,
  type SearchStep,
} from '../../src/core/crf-search.js';
import { resolveProfile } from '../../src/core/profile.js';
import { singleFileOutput } from '../../src/app/outputs/single-file/single-file-output.js';
import type { QualityTarget, QualityTrial, VideoCodec } from '../../src/core/types.js';

/** A segment whose encodes score `curve(crf)` and whose probes score `bias` more. */
function search(
  t: QualityTarget,
  curve: (crf: number) => number,
  opts: { bias?: number; codec?: VideoCodec; crf?: number; probes?: boolean; floor?: (crf: number) => number } = {},
): { trials: QualityTrial[]; end: Extract<SearchStep, { next: 'keep' }> } {
  const trials: QualityTrial[] = [];
  const profile = { crf: opts.crf ?? 23, videoCodec: opts.codec ?? 'h264' };
  for (let i = 0; i < 12; i++) {
    const step = nextTrial(t, profile, trials, opts.probes ?? true);
    if (step.next === 'keep') return { trials, end: step };
    const score = curve(step.crf) + (step.next === 'probe' ? (opts.bias ?? 0) : 0);
    trials.push({
      kind: step.next,
      crf: step.crf,
      score,
      ...(opts.floor ? { floorScore: opts.floor(step.crf) } : {}),
      bytes: 1000,
      frames: 10,
      ms: 1,
      cpuSeconds: 1,
    });
  }
  throw new Error(`no end after 12 trials: ${JSON.stringify(trials)}`);
}

const psnr = (value: number, band = 0.5): QualityTarget => ({ metric: 'psnr', value, band, minCrf: 10, maxCrf: 40 });
const encodes = (trials: QualityTrial[]) => trials.filter((x) => x.kind === 'encode');

test('a linear curve with biased probes: the first or second encode lands in the band', () => {
  const table: Array<{ name: string; curve: (c: number) => number; bias: number; target: number }> = [
    { name: 'gentle, probes high', curve: (c) => 55 - 0.6 * c, bias: 0.3, target: 40 },
    { name: 'steep, probes low', curve: (c) => 70 - 1.2 * c, bias: -0.8, target: 42 },
    { name: 'target near the start', curve: (c) => 50 - 0.45 * c, bias: 0, target: 39.6 },
    { name: 'far from the start', curve: (c) => 48 - 0.7 * c, bias: 0.5, target: 36 },
  ];
  for (const row of table) {
    const { trials, end } = search(psnr(row.target), row.curve, { bias: row.bias });
    assert.equal(end.inBand, true, `${row.name}: ${JSON.stringify(trials)}`);
    assert.ok(Math.abs(row.curve(end.trial.crf) - row.target) <= 0.5, row.name);
    assert.ok(encodes(trials).length <= 2, `${row.name}: ${encodes(trials).length} encodes`);
    assert.equal(trials.filter((x) => x.kind === 'probe').length, 2, row.name);
  }
});

test('SSIM is searched in dB: a curve that bends toward 1 still lands', () => {
  const t: QualityTarget = { metric: 'ssim', value: 0.985, band: 0.002, minCrf: 10, maxCrf: 40 };
  const curve = (c: number) => 1 - 10 ** (-(30 - 0.55 * c) / 10);
  const { trials, end } = search(t, curve, { bias: 0 });
  assert.equal(end.inBand, true, JSON.stringify(trials));
  assert.ok(encodes(trials).length <= 2);
});

test('without probes (a short segment) the first encode is at the profile CRF and is kept when it lands', () => {
  const { trials, end } = search(psnr(40), (c) => 40.2 + (23 - c) * 0.5, { probes: false });
  assert.deepEqual(
    trials.map((x) => [x.kind, x.crf]),
    [['encode', 23]],
  );
  assert.equal(end.inBand, true);
});

test('a band no CRF reaches is kept at the bound, with the reason', () => {
  const low = search(psnr(45), (c) => 40 - 0.3 * (c - 10), { bias: 0 });
  assert.equal(low.end.inBand, false);
  assert.equal(low.end.trial.crf, 10);
  assert.match(low.end.reason!, /CRF range ran out: at --min-crf 10 the PSNR is 40\.00, under 44\.50/);

  const high = search(psnr(30), (c) => 60 - 0.3 * c, { bias: 0 });
  assert.equal(high.end.inBand, false);
  assert.equal(high.end.trial.crf, 40);
  assert.match(high.end.reason!, /at --max-crf 40 the PSNR is 48\.00, over 30\.50/);
});

test('a band narrower than the step between two CRFs: the encode over the target is kept, named', () => {
  // vp9 steps in whole CRFs; 2 dB a step against a band of 0.25.
  const t: QualityTarget = { metric: 'psnr', value: 41, band: 0.25, minCrf: 10, maxCrf: 56 };
  const { trials, end } = search(t, (c) => 88 - 2 * c, { codec: 'vp9', bias: 0 });
  assert.equal(end.inBand, false, JSON.stringify(trials));
  assert.ok(end.trial.score >= 41, 'the kept encode reaches the target');
  assert.ok(encodes(trials).length <= MAX_ENCODES);
  assert.match(end.reason!, /no CRF between 23 \(PSNR 42\.00\) and 24 \(40\.00\) lands in the band/);
});

test('a floor that binds holds the CRF down: above the band, in band all the same', () => {
  const t: QualityTarget = { ...psnr(40), floor: { value: 37, pool: 'p5' } };
  // The mean would land at CRF 25; the 5th percentile is 4.5 dB lower and needs CRF 20.
  const { trials, end } = search(t, (c) => 52.5 - 0.5 * c, { floor: (c) => 47 - 0.5 * c, bias: 0 });
  assert.equal(end.inBand, true, JSON.stringify(trials));
  assert.ok(end.trial.floorScore! >= 37 && end.trial.floorScore! <= 37.5);
  assert.ok(end.trial.score > 40.5, 'the mean is over the band: the floor is what binds');
});

test('judge: in band, short, over', () => {
  const t = psnr(40);
  assert.deepEqual(judge(t, { score: 40.4 }), { inBand: true, short: false });
  assert.deepEqual(judge(t, { score: 39.4 }), { inBand: false, short: true });
  assert.deepEqual(judge(t, { score: 40.6 }), { inBand: false, short: false });
});

test('pools: mean, min and a low percentile', () => {
  const xs = [90, 80, 100, 95, 70, 85, 99, 98, 97, 96];
  assert.equal(poolScores(xs, 'mean'), 91);
  assert.equal(poolScores(xs, 'min'), 70);
  assert.equal(poolScores(xs, 'p10'), 70);
  assert.equal(poolScores(xs, 'p20'), 80);
});

test('probes sample a fifth of a long segment in runs of 24; a short one has none', () => {
  assert.equal(probeSample(149), undefined);
  assert.deepEqual(probeSample(240), { run: 24, every: 120 });
  assert.equal(sampledFrames(240, probeSample(240)), 48);
  assert.equal(sampledFrames(250, probeSample(250)), 58);
  assert.equal(sampledFrames(100, undefined), 100);
});

test('the target from flags: defaults, bounds and one-line refusals', () => {
  const err = (m: string) => new Error(m);
  assert.deepEqual(buildQualityTarget({ targetQuality: 'vmaf:93' }, 'h264', err), {
    metric: 'vmaf',
    value: 93,
    band: 1,
    minCrf: 10,
    maxCrf: 40,
  });
  assert.deepEqual(buildQualityTarget({ targetQuality: 'SSIM:0.985', minQuality: '0.97', maxCrf: 50 }, 'vp9', err), {
    metric: 'ssim',
    value: 0.985,
    band: 0.005,
    minCrf: 10,
    maxCrf: 50,
    floor: { value: 0.97, pool: 'p5' },
  });
  const bad: Array<[Parameters<typeof buildQualityTarget>[0], RegExp]> = [
    [{ targetQuality: 'vmaf93' }, /METRIC:VALUE/],
    [{ targetQuality: 'psnr:200' }, /psnr must be from 15 to 80/],
    [{ targetQuality: 'psnr:40', minCrf: 30, maxCrf: 20 }, /--min-crf \(30\) must be below --max-crf \(20\)/],
    [{ targetQuality: 'psnr:40', maxCrf: 60 }, /--max-crf for h264 must be from 0 to 51/],
    [{ targetQuality: 'psnr:40', minQuality: '45' }, /above the target/],
    [{ targetQuality: 'psnr:40', minQuality: '35:p90' }, /POOL mean, min or p1\.\.p50/],
    [{ targetQuality: 'psnr:40', vmafModel: '/m.pkl' }, /--vmaf-model applies to --target-quality vmaf/],
    [{ targetQuality: 'vmaf:93', vmafModel: "/a'b.pkl" }, /without quotes/],
  ];
  for (const [flags, re] of bad) assert.throws(() => buildQualityTarget(flags, 'h264', err), re, JSON.stringify(flags));
});

test("a targeted segment's time limit plans with its most work, its estimate with its expected work", () => {
  const profile = resolveProfile({ container: 'mp4' });
  const target = buildQualityTarget({ targetQuality: 'psnr:40' }, 'h264', (m) => new Error(m));
  const bound = targetWorkBound(target, profile);
  assert.equal(bound, 5.15); // two probes (0.85 of an encode each, measured at most) and three encodes, each scored (0.15)
  assert.ok(targetCpuFactor(target, profile) < bound);
  assert.equal(singleFileOutput.workFactor(undefined as never, { ...profile, target }), bound);
  assert.equal(singleFileOutput.workFactor(undefined as never, profile), 1);
});
