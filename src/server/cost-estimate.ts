/**
 * A job's cost estimate for the dashboard: the measured task durations priced as if they had run on the
 * AWS stack's default deployment (S3, x86_64, 3,008 MB, 4 GB /tmp; see src/infra/infra-config.ts), through the
 * shared cost model and prices/aws-prices.json. Undefined while the job is not done or without prices. A
 * targeted job's (`--target-quality`) says what of it its CRF searches cost: the probes and the encodes not
 * kept, with their scoring.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimateJobCost, type AwsDeployment, type AwsPrices } from '../core/cost-model.js';
import { DEFAULT_DEPLOYMENT as DEPLOY_DEFAULTS } from '../infra/infra-config.js';
import { measuredJobOf } from '../app/job-cost.js';
import type { JobRecord, SegmentQuality, TaskRecord } from '../core/types.js';

const DEFAULT_DEPLOYMENT: AwsDeployment = DEPLOY_DEFAULTS;

/** prices/aws-prices.json beside the package (from dist/server or src/server); undefined if unreadable. */
export function loadDefaultPrices(): AwsPrices | undefined {
  try {
    const path = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prices', 'aws-prices.json');
    return JSON.parse(readFileSync(path, 'utf8')) as AwsPrices;
  } catch {
    return undefined;
  }
}

export interface JobCostView {
  usd: number;
  region: string;
  pricesAsOf: string;
  basis: string;
  /** A targeted job's CRF searches: their share of the cost (the same job with each segment's kept encode only). */
  search?: { usd: number; share: number };
}

/** The ms of a segment's kept encode (its scoring included): the last encode trial at the kept CRF. */
export function keptEncodeMs(q: SegmentQuality | undefined): number | undefined {
  if (!q || q.crf === undefined) return undefined;
  return [...q.trials].reverse().find((t) => t.kind === 'encode' && t.crf === q.crf)?.ms;
}

/** The job's tasks as if each targeted segment had run its kept encode only. */
export function keptOnly(tasks: readonly TaskRecord[]): TaskRecord[] {
  return tasks.map((t) => {
    const ms = keptEncodeMs(t.quality);
    return ms !== undefined && t.wallMs !== undefined ? { ...t, wallMs: Math.min(t.wallMs, ms) } : t;
  });
}

export function jobCostView(job: JobRecord, tasks: TaskRecord[], prices: AwsPrices | undefined): JobCostView | undefined {
  if (!prices || job.status !== 'done') return undefined;
  try {
    const est = estimateJobCost(measuredJobOf(job, tasks), DEFAULT_DEPLOYMENT, prices);
    const basis = `these task durations on AWS Lambda (S3, x86_64, ${DEPLOY_DEFAULTS.memoryMb} MB)`;
    if (!job.options.profile.target) return { usd: est.totalUsd, region: est.region, pricesAsOf: est.pricesAsOf, basis };
    const kept = estimateJobCost(measuredJobOf(job, keptOnly(tasks)), DEFAULT_DEPLOYMENT, prices);
    const search = Math.max(0, est.totalUsd - kept.totalUsd);
    return {
      usd: est.totalUsd,
      region: est.region,
      pricesAsOf: est.pricesAsOf,
      basis: `${basis}; the CRF searches (probes and the encodes not kept, with their scoring) are ${Math.round((search / Math.max(1e-12, est.totalUsd)) * 100)}% of it`,
      search: { usd: search, share: est.totalUsd > 0 ? search / est.totalUsd : 0 },
    };
  } catch {
    return undefined;
  }
}
