/**
 * Words for a quality target (`--target-quality`) and a segment's search, shared by `status`, the job view the
 * dashboard reads and the quality report: the target ("vmaf 93 ±1"), a score in its metric's digits, where a
 * score lands against the band, and one trial in a few words. Pure.
 */
import type { QualityMetric, QualityTrial, SegmentQuality } from './types.js';

/** A number without trailing zeros: 93, 0.985, 0.5. */
const plain = (x: number): string => String(Number(x.toFixed(4)));

/** A score in its metric's digits: VMAF 93.41, SSIM 0.9812, PSNR 41.27 (dB). */
export function scoreText(metric: QualityMetric, score: number): string {
  return metric === 'ssim' ? score.toFixed(4) : score.toFixed(2);
}

/** The metric as its name is written in sentences: VMAF, SSIM, PSNR. */
export const METRIC_NAME: Record<QualityMetric, string> = { vmaf: 'VMAF', ssim: 'SSIM', psnr: 'PSNR' };

/** The target in words: "vmaf 93 ±1", "ssim 0.98 ±0.005", "psnr 42 ±0.5 dB". */
export function targetLabel(t: { metric: QualityMetric; value: number; band: number }): string {
  return `${t.metric} ${plain(t.value)} ±${plain(t.band)}${t.metric === 'psnr' ? ' dB' : ''}`;
}

/**
 * Where a kept encode's score lands: in the band, above it (more bytes than the target needs), below it, or
 * inside the band numerically but under the floor (`--min-quality`). Undefined while no encode is kept. The
 * encode side's `inBand` decides first: an encode above the band that the floor holds there (a CRF a step higher
 * would break it) is in band by core/crf-search.ts `judge`, and so it is here.
 */
export type BandPosition = 'in' | 'above' | 'below' | 'floor';

export function bandPosition(q: Pick<SegmentQuality, 'target' | 'band' | 'score' | 'inBand'>): BandPosition | undefined {
  if (q.score === undefined) return undefined;
  if (q.inBand === true) return 'in';
  const eps = 1e-9;
  if (q.score > q.target + q.band + eps) return 'above';
  if (q.score < q.target - q.band - eps) return 'below';
  return q.inBand === false ? 'floor' : 'in';
}

/** "in band", "above the band", "below the band", "under the floor". */
export function positionText(p: BandPosition): string {
  return p === 'in' ? 'in band' : p === 'floor' ? 'under the floor' : `${p} the band`;
}

/** A segment's bytes: "1.23 MB", or under a megabyte "412 KB" (a short segment's probes are a few KB). */
export const mbText = (bytes: number): string => (bytes < 1e6 ? `${Math.round(bytes / 1e3)} KB` : `${(bytes / 1e6).toFixed(2)} MB`);

/** One trial, compactly: "probe 26 → 91.02 (0.30 MB, 1.1 s)"; the floor's pooled score after a slash where there is one. */
export function trialText(metric: QualityMetric, t: QualityTrial): string {
  const floor = t.floorScore !== undefined ? ` / ${scoreText(metric, t.floorScore)}` : '';
  return `${t.kind} ${t.crf} → ${scoreText(metric, t.score)}${floor} (${mbText(t.bytes)}, ${(t.ms / 1000).toFixed(1)} s)`;
}

/** A segment's trials on one line: "trials (crf → vmaf): probe 26 → 91.02 (0.30 MB, 1.1 s) · encode 24 → ...". */
export function trialsText(q: Pick<SegmentQuality, 'metric' | 'trials'>): string {
  if (!q.trials.length) return 'no trials yet';
  return `trials (crf → ${q.metric}): ${q.trials.map((t) => trialText(q.metric, t)).join(' · ')}`;
}

/**
 * A segment's search in one line: "crf 24 → vmaf 93.41, in band, 1.23 MB", or "crf 40 → vmaf 88.20, below the
 * band (the CRF range ran out)", or with no encode kept yet "searching for vmaf 93 ±1: 2 trials so far" (a
 * running task) or "no encode kept: 2 trials so far" (one that failed or waits; a new attempt re-uses them).
 */
export function segmentQualityText(q: SegmentQuality, bytes?: number, running = true): string {
  const p = bandPosition(q);
  if (q.crf === undefined || q.score === undefined || p === undefined) {
    const n = `${q.trials.length} ${q.trials.length === 1 ? 'trial' : 'trials'} so far`;
    return running ? `searching for ${targetLabel({ metric: q.metric, value: q.target, band: q.band })}: ${n}` : `no encode kept: ${n}`;
  }
  const size = bytes !== undefined ? `, ${mbText(bytes)}` : '';
  const floor = q.floorScore !== undefined ? ` (floor ${scoreText(q.metric, q.floorScore)})` : '';
  const reason = p !== 'in' && q.reason ? ` (${q.reason})` : '';
  return `crf ${q.crf} → ${q.metric} ${scoreText(q.metric, q.score)}${floor}, ${positionText(p)}${reason}${size}`;
}
