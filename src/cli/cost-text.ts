/** Words and numbers for `shardcast cost` and `shardcast estimate`. Pure. */
import type { AwsDeployment, CostEstimate, CostLine } from '../core/cost-model.js';
import type { JobProjection } from '../core/job-projection.js';
import { lambdaVcpus } from '../core/job-projection.js';
import { formatClock } from './progress.js';

/** Dollars with enough digits to see small amounts: $12.35, $0.0412, $0.000031. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  const digits = n >= 1 ? 2 : Math.min(8, 2 - Math.floor(Math.log10(n)));
  return `$${n.toFixed(digits)}`;
}

function quantity(q: number): string {
  return Number.isInteger(q) ? String(q) : q >= 100 ? q.toFixed(1) : q.toPrecision(4);
}

export function costLineText(l: CostLine): string {
  const unit = l.unit.replace(/\s*\(.*\)$/, '');
  return `  ${l.item.padEnd(56)} ${`${quantity(l.quantity)} ${unit}`.padEnd(38)} ${usd(l.usd).padStart(11)}`;
}

export function deploymentText(d: AwsDeployment): string {
  return `${d.memoryMb} MB ${d.architecture} (${lambdaVcpus(d.memoryMb).toFixed(2)} vCPUs), /tmp ${d.ephemeralMb} MB, storage ${d.storage}`;
}

export function costEstimateText(est: CostEstimate): string[] {
  const lines = [...est.lines.map(costLineText), `  total ${usd(est.totalUsd)} per job (${est.region} prices as of ${est.pricesAsOf})`];
  if (est.keptMonthly.length)
    lines.push(...est.keptMonthly.map(costLineText), `  plus ${usd(est.keptMonthlyUsd)} a month while the job's files stay in the bucket`);
  if (est.fixedMonthly.length)
    lines.push(...est.fixedMonthly.map(costLineText), `  plus ${usd(est.fixedMonthlyUsd)} a month whatever runs`);
  return lines;
}

export interface EstimateTextInput {
  durationSeconds: number;
  sourceBytes: number;
  calibration: { wallMs: number; sourceSeconds: number; threads: number };
  segmentSeconds: number;
  concurrency: number;
  deployment: AwsDeployment;
  timeoutSeconds: number;
  projection: JobProjection;
  /** The upload of a local source and the download of the output, at the user's link speed. */
  transfer?: TransferEstimate;
}

export interface TransferEstimate {
  linkMbps: number;
  uploadSeconds: number;
  downloadSeconds: number;
  /** Upload, the job, download. */
  endToEndSeconds: number;
}

/** Moving the source in and the output out over a link of `linkMbps` (both ways at that rate). */
export function transferEstimate(p: JobProjection, sourceBytes: number, linkMbps: number, downloaded: boolean): TransferEstimate {
  const rate = (linkMbps * 1e6) / 8;
  const uploadSeconds = sourceBytes / rate;
  const downloadSeconds = downloaded ? p.job.outputBytes / rate : 0;
  return { linkMbps, uploadSeconds, downloadSeconds, endToEndSeconds: uploadSeconds + p.wallSeconds + downloadSeconds };
}

/** A segment should finish well inside one invocation: warn above half the function timeout. */
export function segmentWarning(p: JobProjection, timeoutSeconds: number): string | undefined {
  if (p.segmentWallSeconds <= timeoutSeconds / 2) return undefined;
  return `a segment would take about ${Math.round(p.segmentWallSeconds)} s, more than half the ${timeoutSeconds} s function timeout: pass a smaller --segment-seconds or more --memory`;
}

export function estimateText(e: EstimateTextInput): string {
  const p = e.projection;
  const c = e.calibration;
  const speed = c.sourceSeconds / (c.wallMs / 1000);
  const lines = [
    `source: ${e.durationSeconds.toFixed(1)} s, ${(e.sourceBytes / 1e6).toFixed(1)} MB`,
    `calibration: ${c.sourceSeconds.toFixed(2)} s of source encoded in ${(c.wallMs / 1000).toFixed(2)} s with ${c.threads} threads here (${speed.toFixed(2)}x real time)`,
    `AWS: ${deploymentText(e.deployment)}, ${e.concurrency} segments at once`,
    `plan: ${p.segments} segment(s) of about ${e.segmentSeconds} s in ${p.waves} wave(s); one segment takes about ${p.segmentWallSeconds.toFixed(1)} s in a function (timeout ${e.timeoutSeconds} s)`,
    `wall time: about ${formatClock(p.wallSeconds * 1000)} (analyze ${p.analyzeSeconds.toFixed(0)} s, encode ${(p.waves * p.segmentWallSeconds).toFixed(0)} s, merge ${p.mergeSeconds.toFixed(0)} s, finalize ${p.finalizeSeconds.toFixed(0)} s); one ffmpeg process here: about ${formatClock(p.singleProcessSeconds * 1000)}`,
    ...(e.transfer
      ? [
          `end to end at ${e.transfer.linkMbps} Mbit/s: about ${formatClock(e.transfer.endToEndSeconds * 1000)} (upload ${e.transfer.uploadSeconds.toFixed(0)} s, the job, download ${e.transfer.downloadSeconds.toFixed(0)} s)`,
        ]
      : []),
    'cost:',
    ...costEstimateText(p.cost),
  ];
  const warning = segmentWarning(p, e.timeoutSeconds);
  if (warning) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
