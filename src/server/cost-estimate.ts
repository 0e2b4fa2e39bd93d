/**
 * A job's cost estimate for the dashboard: the measured task durations priced as if they had run on the
 * AWS stack's default deployment (S3, x86_64, 3,008 MB, 4 GB /tmp; see src/infra/infra-config.ts), through the
 * shared cost model and prices/aws-prices.json. Undefined while the job is not done or without prices.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimateJobCost, type AwsDeployment, type AwsPrices } from '../core/cost-model.js';
import { DEFAULT_DEPLOYMENT as DEPLOY_DEFAULTS } from '../infra/infra-config.js';
import { measuredJobOf } from '../app/job-cost.js';
import type { JobRecord, TaskRecord } from '../core/types.js';

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
}

export function jobCostView(job: JobRecord, tasks: TaskRecord[], prices: AwsPrices | undefined): JobCostView | undefined {
  if (!prices || job.status !== 'done') return undefined;
  try {
    const est = estimateJobCost(measuredJobOf(job, tasks), DEFAULT_DEPLOYMENT, prices);
    return {
      usd: est.totalUsd,
      region: est.region,
      pricesAsOf: est.pricesAsOf,
      basis: `these task durations on AWS Lambda (S3, x86_64, ${DEPLOY_DEFAULTS.memoryMb} MB)`,
    };
  } catch {
    return undefined;
  }
}
