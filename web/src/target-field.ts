/**
 * The new-job form's quality target (`targetQuality`, "psnr:40") and the jobs list's target cell ("psnr 38 ·
 * 4/4 in band"), as pure functions: no DOM, so the unit tests run them in Node.
 */
import type { JobListItem, QualityMetric } from './types.js';

/** What the value field starts at for each metric: a common "looks like the source" aim. */
export const TARGET_DEFAULTS: Record<QualityMetric, number> = { psnr: 40, ssim: 0.985, vmaf: 93 };

export const TARGET_METRICS = Object.keys(TARGET_DEFAULTS) as QualityMetric[];

/**
 * The `targetQuality` field the API takes, or undefined for no target (metric none, or a container that cannot
 * have one: an HLS ladder). A blank value is the metric's default; a value that is not a number is sent as typed,
 * so the API's message names what is wrong.
 */
export function targetQualityField(metric: string, value: string, container: string): string | undefined {
  if (!Object.hasOwn(TARGET_DEFAULTS, metric) || container === 'hls') return undefined;
  const v = value.trim() || String(TARGET_DEFAULTS[metric as QualityMetric]);
  return `${metric}:${v}`;
}

/** "psnr 38 · 4/4 in band" (with "· 1 not scored yet" while segments search); empty for a job without a target. */
export function listTargetText(t: JobListItem['target']): string {
  if (!t) return '';
  const waiting = t.segments - t.scored;
  return [`${t.metric} ${t.value}`, `${t.inBand}/${t.segments} in band`, waiting > 0 ? `${waiting} not scored yet` : null]
    .filter(Boolean)
    .join(' · ');
}
