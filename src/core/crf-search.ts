/**
 * The CRF search of `--target-quality`: pure. A segment's trials (core/types.ts QualityTrial) are cheap probes
 * (the job's preset on runs of its frames, `probeSample`) and encodes at the job's settings; from them the next
 * CRF to try, or the encode to keep and why.
 *
 * Scores are interpolated in a space where they fall about linearly with the CRF: VMAF and PSNR as they are,
 * SSIM as dB (-10 log10(1 - SSIM)). The probes give the slope; the encodes give where the job's own encode
 * sits on it (probes on runs of frames score a little off the whole segment: +0.3 dB PSNR on the shared bbb
 * 720p clip), so the first encode is placed by the probes and a second, if needed, by the first encode's
 * distance from the target along the probes' slope, or between two encodes either side of it.
 */
import { METRIC_NAME, scoreText } from './target-text.js';
import type { EncodeProfile, QualityMetric, QualityPool, QualityTarget, QualityTrial, VideoCodec } from './types.js';

/** Half-widths of the band by metric (`--quality-band` changes it). */
export const DEFAULT_BAND: Record<QualityMetric, number> = { vmaf: 1, ssim: 0.005, psnr: 0.5 };

/** The CRFs each encoder takes, and the step the search moves in (x264/x265 take fractions, libvpx/SVT not). */
export const CRF_SCALE: Record<VideoCodec, { min: number; max: number; step: number; defaultMin: number; defaultMax: number }> = {
  h264: { min: 0, max: 51, step: 0.5, defaultMin: 10, defaultMax: 40 },
  hevc: { min: 0, max: 51, step: 0.5, defaultMin: 10, defaultMax: 40 },
  vp9: { min: 0, max: 63, step: 1, defaultMin: 10, defaultMax: 56 },
  av1: { min: 1, max: 63, step: 1, defaultMin: 10, defaultMax: 56 },
};

/** Encodes at the job's settings a segment may get before the search keeps the best it has. */
export const MAX_ENCODES = 3;

/** Slope (linear score per CRF) assumed before two probes give one: about x264 medium's on 720p content. */
const DEFAULT_SLOPE: Record<QualityMetric, number> = { vmaf: -1.3, psnr: -0.65, ssim: -0.55 };

/** How far apart the two probes are at least and at most (CRF). */
const PROBE_SPREAD = { min: 3, max: 8 };

export function linear(metric: QualityMetric, v: number): number {
  if (metric !== 'ssim') return v;
  return -10 * Math.log10(Math.max(1e-6, 1 - Math.min(v, 0.999999)));
}

/** A pool of frame scores: mean, min, or the p-th percentile (nearest rank, of the lowest). */
export function poolScores(scores: readonly number[], pool: QualityPool): number {
  if (!scores.length) return Number.NaN;
  if (pool === 'mean') return scores.reduce((s, x) => s + x, 0) / scores.length;
  const sorted = [...scores].sort((a, b) => a - b);
  if (pool === 'min') return sorted[0]!;
  const p = Number(pool.slice(1));
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** How a trial stands against the target: its distance above the need in linear units (negative: short). */
export function margin(t: QualityTarget, trial: Pick<QualityTrial, 'score' | 'floorScore'>): number {
  const own = linear(t.metric, trial.score) - linear(t.metric, t.value);
  if (!t.floor || trial.floorScore === undefined) return own;
  return Math.min(own, linear(t.metric, trial.floorScore) - linear(t.metric, t.floor.value));
}

/** Whether a score is within the band (and the floor held); `high`: above the band only because the floor holds it. */
export function judge(t: QualityTarget, trial: Pick<QualityTrial, 'score' | 'floorScore'>): { inBand: boolean; short: boolean } {
  const floorOk = !t.floor || (trial.floorScore ?? Number.NEGATIVE_INFINITY) >= t.floor.value;
  const short = trial.score < t.value - t.band || !floorOk;
  if (short) return { inBand: false, short };
  if (trial.score <= t.value + t.band) return { inBand: true, short };
  // Above the band: in it all the same where the floor is what binds (a CRF a step higher would break it).
  const floorBinds = t.floor !== undefined && trial.floorScore !== undefined && trial.floorScore - t.floor.value <= t.band;
  return { inBand: floorBinds, short };
}

const snap = (crf: number, step: number) => Math.round(crf / step) * step;
const round = (x: number) => Number(x.toFixed(2));

/** Least-squares slope of margin against CRF, or the default where the points give none that falls. */
function slopeOf(t: QualityTarget, trials: readonly QualityTrial[]): number {
  if (trials.length >= 2) {
    const xs = trials.map((p) => p.crf);
    const ys = trials.map((p) => margin(t, p));
    const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
    const my = ys.reduce((s, y) => s + y, 0) / ys.length;
    let num = 0;
    let den = 0;
    for (let i = 0; i < xs.length; i++) {
      num += (xs[i]! - mx) * (ys[i]! - my);
      den += (xs[i]! - mx) ** 2;
    }
    const s = den > 0 ? num / den : 0;
    // A slope that does not fall (noise between probes close together), or an absurd one, is not trusted.
    if (s < -0.02 && s > -20) return s;
  }
  return DEFAULT_SLOPE[t.metric];
}

/** Where `trial`'s line of slope `slope` crosses the target. */
const crossing = (t: QualityTarget, trial: QualityTrial, slope: number) => trial.crf - margin(t, trial) / slope;

export type SearchStep =
  | { next: 'probe'; crf: number }
  | { next: 'encode'; crf: number }
  | { next: 'keep'; trial: QualityTrial; inBand: boolean; reason?: string };

/**
 * The next trial of a segment, or the encode to keep. `trials` are every trial so far (probes and encodes, in
 * the order run). With `useProbes` (a segment long enough to sample: `probeSample`) the first probe is at the
 * profile's CRF, the second where the first's line crosses the target; without, the first encode is at the
 * profile's CRF. Then encodes until one lands in the band, the CRF range runs out, no step between two encodes
 * is left, or MAX_ENCODES are spent.
 */
export function nextTrial(
  t: QualityTarget,
  profile: Pick<EncodeProfile, 'crf' | 'videoCodec'>,
  trials: readonly QualityTrial[],
  useProbes: boolean,
): SearchStep {
  const { step } = CRF_SCALE[profile.videoCodec];
  const clamp = (crf: number) => Math.min(t.maxCrf, Math.max(t.minCrf, snap(crf, step)));
  const probes = trials.filter((p) => p.kind === 'probe');
  const encodes = trials.filter((p) => p.kind === 'encode');
  const kept = encodes.find((e) => judge(t, e).inBand);
  if (kept) return { next: 'keep', trial: kept, inBand: true };

  if (!useProbes && trials.length === 0) return { next: 'encode', crf: clamp(profile.crf) };
  if (useProbes && probes.length === 0) return { next: 'probe', crf: clamp(profile.crf) };
  if (useProbes && probes.length === 1 && encodes.length === 0) {
    const first = probes[0]!;
    const aim = crossing(t, first, DEFAULT_SLOPE[t.metric]);
    const dist = Math.min(PROBE_SPREAD.max, Math.max(PROBE_SPREAD.min, Math.abs(aim - first.crf)));
    const second = clamp(first.crf + Math.sign(aim - first.crf || 1) * dist);
    if (second !== first.crf) return { next: 'probe', crf: second };
  }

  const slope = slopeOf(t, probes.length >= 2 ? probes : trials);
  let aim: number;
  const above = encodes.filter((e) => margin(t, e) >= 0).sort((a, b) => b.crf - a.crf)[0];
  const below = encodes.filter((e) => margin(t, e) < 0).sort((a, b) => a.crf - b.crf)[0];
  if (above && below && below.crf > above.crf) {
    // Two encodes either side: interpolate between them.
    const ma = margin(t, above);
    const mb = margin(t, below);
    aim = above.crf + (ma / (ma - mb)) * (below.crf - above.crf);
  } else if (encodes.length) {
    const nearest = [...encodes].sort((a, b) => Math.abs(margin(t, a)) - Math.abs(margin(t, b)))[0]!;
    aim = crossing(t, nearest, slope);
  } else {
    // From the probes' line: where it crosses the target.
    const nearest = [...probes].sort((a, b) => Math.abs(margin(t, a)) - Math.abs(margin(t, b)))[0]!;
    aim = crossing(t, nearest, slope);
  }
  let crf = clamp(aim);
  const tried = new Set(encodes.map((e) => e.crf));
  if (tried.has(crf)) {
    // The line points at a CRF already encoded: one step toward the target, unless that is out of range.
    const best = encodes.find((e) => e.crf === crf)!;
    const nudged = clamp(crf + (margin(t, best) < 0 ? -step : step));
    crf = nudged;
  }
  if (!tried.has(crf) && encodes.length < MAX_ENCODES && !(above && below && (crf <= above.crf || crf >= below.crf))) {
    return { next: 'encode', crf };
  }
  return keepBest(t, encodes, crf, above, below);
}

/** The search is over: the encode with the highest CRF that reaches the target, else the best there is. */
function keepBest(t: QualityTarget, encodes: QualityTrial[], wanted: number, above?: QualityTrial, below?: QualityTrial): SearchStep {
  const [name, show] = [METRIC_NAME[t.metric], (x: number) => scoreText(t.metric, x)];
  const trial = above ?? [...encodes].sort((a, b) => margin(t, b) - margin(t, a))[0]!;
  const j = judge(t, trial);
  let reason: string;
  if (!above && trial.crf <= t.minCrf) {
    reason = `the CRF range ran out: at --min-crf ${t.minCrf} the ${name} is ${show(trial.score)}, under ${show(t.value - t.band)}`;
  } else if (!below && trial.crf >= t.maxCrf && j.inBand === false && !j.short) {
    reason = `the CRF range ran out: at --max-crf ${t.maxCrf} the ${name} is ${show(trial.score)}, over ${show(t.value + t.band)}`;
  } else if (above && below) {
    reason = `no CRF between ${above.crf} (${name} ${show(above.score)}) and ${below.crf} (${show(below.score)}) lands in the band`;
  } else {
    reason = `${encodes.length} encodes did not land in the band (the last aimed at CRF ${round(wanted)})`;
  }
  return { next: 'keep', trial, inBand: false, reason };
}

/** Runs of frames a probe encodes: `run` frames out of every `every` (all of a segment shorter than 3 runs). */
export interface ProbeSample {
  run: number;
  every: number;
}

/**
 * A fifth of the frames, in runs of 24 (a second at 24 fps): the encoder's look-ahead sees the segment's real
 * motion, where every n-th frame alone would look like a jerkier picture than it is. A segment under 150 frames
 * has no probes: runs short enough to sample it are mostly their first keyframe and scored 2 dB over the
 * segment's encode (noisy 640x360, 48 frames in runs of 8), so its encodes are its trials.
 */
export const PROBE_MIN_FRAMES = 150;

export function probeSample(frameCount: number): ProbeSample | undefined {
  return frameCount < PROBE_MIN_FRAMES ? undefined : { run: 24, every: 120 };
}

/** Frames a probe keeps of a segment of `frameCount` frames. */
export function sampledFrames(frameCount: number, s: ProbeSample | undefined): number {
  if (!s) return frameCount;
  const whole = Math.floor(frameCount / s.every);
  return whole * s.run + Math.min(s.run, frameCount - whole * s.every);
}

/**
 * The expected CPU of a targeted job over the same job without a target. Measured (docs/BENCHMARKS.md, "Quality
 * target per segment", x264 medium, 2 cores): 2.0-3.8 on five sources with PSNR or SSIM, median 2.6 (segments
 * under 150 frames start from a blind encode at the job's CRF; probes cost 0.3-0.85 of an encode with their
 * scoring). VMAF with libvmaf 1.x (the npm-shipped ffmpeg) measured 16.0 on the 10 s bbb clip: its scoring
 * costs 0.29 CPU s a frame, about eight times x264 medium's encode of it; that is `scoreCost` below, for about
 * three scored trials a segment.
 */
export function targetCpuFactor(t: Pick<QualityTarget, 'metric'>, profile: Pick<EncodeProfile, 'preset'>): number {
  const measured = 2.6;
  const dearerScoring = (scoreCost(t, profile) - scoreCost({ metric: 'psnr' }, { preset: 'medium' })) * 3;
  return Number((measured + dearerScoring).toFixed(2));
}

/**
 * Scoring one trial against an encode's CPU at the job's preset: VMAF (libvmaf 1.x float) several encodes'
 * worth (measured 16.0 jobs' CPU where PSNR/SSIM gave 2.0-3.8: about 4.6 an encode a trial); PSNR and SSIM a
 * decode of both and a cheap filter (11-21% of a targeted job's CPU). A faster preset makes scoring dearer
 * against its encodes.
 */
function scoreCost(t: Pick<QualityTarget, 'metric'>, profile: Pick<EncodeProfile, 'preset'>): number {
  const fast = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast'].includes(profile.preset);
  return t.metric === 'vmaf' ? (fast ? 9.2 : 4.6) : fast ? 0.5 : 0.15;
}

/** What a probe costs with its scoring, against an encode of the whole segment: measured 0.3-0.85. */
const PROBE_COST = 0.85;

/**
 * The most a targeted segment can cost over a plain encode of it (two probes and MAX_ENCODES encodes, each
 * scored): what a segment that must end inside a function's timeout is planned with (OutputKind.workFactor).
 */
export function targetWorkBound(t: Pick<QualityTarget, 'metric'>, profile: Pick<EncodeProfile, 'preset'>): number {
  return Number((2 * PROBE_COST + MAX_ENCODES * (1 + scoreCost(t, profile))).toFixed(2));
}

export interface TargetFlags {
  /** `METRIC:VALUE`, e.g. `vmaf:93`. */
  targetQuality: string;
  qualityBand?: number;
  /** `VALUE[:POOL]`, e.g. `88:p5`. */
  minQuality?: string;
  minCrf?: number;
  maxCrf?: number;
  vmafModel?: string;
}

const METRIC_RANGE: Record<QualityMetric, { lo: number; hi: number; example: string }> = {
  vmaf: { lo: 1, hi: 100, example: 'vmaf:93' },
  ssim: { lo: 0.5, hi: 0.99999, example: 'ssim:0.985' },
  psnr: { lo: 15, hi: 80, example: 'psnr:42' },
};

/** The job's target from its flags, checked; `err` makes the caller's one-line usage error. */
export function buildQualityTarget(f: TargetFlags, codec: VideoCodec, err: (message: string) => Error): QualityTarget {
  const m = /^(vmaf|ssim|psnr):(\d+(?:\.\d+)?)$/i.exec(f.targetQuality.trim());
  if (!m)
    throw err(
      `--target-quality must be METRIC:VALUE with METRIC vmaf, ssim or psnr (e.g. vmaf:93, ssim:0.985, psnr:42), not ${f.targetQuality}`,
    );
  const metric = m[1]!.toLowerCase() as QualityMetric;
  const value = Number(m[2]);
  const range = METRIC_RANGE[metric];
  if (value < range.lo || value > range.hi)
    throw err(`--target-quality ${metric} must be from ${range.lo} to ${range.hi} (e.g. ${range.example})`);
  const band = f.qualityBand ?? DEFAULT_BAND[metric];
  if (!(band > 0) || band > (range.hi - range.lo) / 4)
    throw err(`--quality-band must be a positive ${metric} difference such as ${DEFAULT_BAND[metric]}`);
  const scale = CRF_SCALE[codec];
  const minCrf = f.minCrf ?? scale.defaultMin;
  const maxCrf = f.maxCrf ?? scale.defaultMax;
  for (const [name, v] of [
    ['--min-crf', minCrf],
    ['--max-crf', maxCrf],
  ] as const) {
    if (!(v >= scale.min && v <= scale.max)) throw err(`${name} for ${codec} must be from ${scale.min} to ${scale.max}`);
  }
  if (minCrf >= maxCrf) throw err(`--min-crf (${minCrf}) must be below --max-crf (${maxCrf})`);
  const t: QualityTarget = { metric, value, band, minCrf, maxCrf };
  if (f.minQuality !== undefined) {
    const q = /^(\d+(?:\.\d+)?)(?::(mean|min|p(\d{1,2})))?$/i.exec(f.minQuality.trim());
    const pct = q?.[3] !== undefined ? Number(q[3]) : undefined;
    if (!q || (pct !== undefined && (pct < 1 || pct > 50)))
      throw err(
        `--min-quality must be VALUE[:POOL] with POOL mean, min or p1..p50 (default p5), e.g. ${metric === 'ssim' ? '0.97' : metric === 'psnr' ? '38' : '85'}:p5`,
      );
    const floor = Number(q[1]);
    if (floor > value) throw err(`--min-quality ${floor} is above the target ${value}: a floor is at or under the target`);
    t.floor = { value: floor, pool: (q[2] ?? 'p5').toLowerCase() as QualityPool };
  }
  if (f.vmafModel !== undefined) {
    if (metric !== 'vmaf') throw err('--vmaf-model applies to --target-quality vmaf:VALUE');
    if (/['\\]/.test(f.vmafModel)) throw err('--vmaf-model: a path without quotes or backslashes');
    t.vmafModel = f.vmafModel;
  }
  return t;
}
