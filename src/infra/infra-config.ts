/**
 * The CDK app's options, read once from CDK context (`-c storage=efs -c memoryMb=4096`, or cdk.json) and
 * validated into a fully specified config.
 */
import { watchPrefixProblem } from '../core/s3-trigger.js';
import { z } from 'zod';
import { deploymentMapMode, type MapMode } from '../core/state-limits.js';

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** The deployment `deploy` makes without flags; `cost` and `estimate` price it before any deploy. */
export const DEFAULT_DEPLOYMENT = {
  storage: 's3',
  architecture: 'x86_64',
  memoryMb: 3008,
  ephemeralMb: 10240,
  timeoutSeconds: 900,
  mapMaxConcurrency: 40,
} as const;

const int = (min: number, max: number, dflt: number) => z.coerce.number().int().min(min).max(max).default(dflt);
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);

export const InfraConfigSchema = z.object({
  /** Where temp files (segments, audio, merged output) live: the S3 bucket, or EFS mounted at /mnt/data. */
  storage: z.enum(['s3', 'efs']).default('s3'),
  architecture: z.enum(['x86_64', 'arm64']).default('x86_64'),
  /** Lambda memory; CPU scales with it (1,769 MB = 1 vCPU, 10,240 MB = 6 vCPUs). */
  memoryMb: int(128, 10_240, DEFAULT_DEPLOYMENT.memoryMb),
  /** Lambda timeout (15 minutes at most); segments are planned to finish well inside it. */
  timeoutSeconds: int(30, 900, DEFAULT_DEPLOYMENT.timeoutSeconds),
  /** Lambda /tmp size. */
  ephemeralMb: int(512, 10_240, DEFAULT_DEPLOYMENT.ephemeralMb),
  /** One of CloudWatch Logs' retention periods (1, 3, 5, 7, 14, 30, 60, 90, ... days). */
  logRetentionDays: z.coerce
    .number()
    .int()
    .refine((d) => LOG_RETENTION_DAYS.includes(d), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(14),
  /**
   * The most segments an execution encodes at once (each job's Analyze caps it by the account's free Lambda
   * concurrency). 0 is refused: it meant "no limit", 10,000 child executions in Distributed mode.
   */
  mapMaxConcurrency: int(1, 10_000, DEFAULT_DEPLOYMENT.mapMaxConcurrency),
  /** Concurrency reserved for the encode function (`deploy --reserved-concurrency`); none by default (ADR 0010). */
  reservedConcurrency: z.coerce.number().int().min(1).max(10_000).optional(),
  /**
   * Distributed Map (child executions) always (true) or never (false). Default: always when mapMaxConcurrency
   * is above 40 (an inline Map runs at most 40 at once), else per run: inline up to 2,490 segments, distributed
   * above (the inline Map's iterations fill the execution's 25,000-event history near 3,500).
   */
  distributedMap: bool.optional(),
  /** Retries of a segment that failed with a retryable error. */
  taskRetryAttempts: int(0, 10, 2),
  /** Days after which objects under the temp prefix expire. */
  tempExpirationDays: int(1, 365, 2),
  /** Hours a ledger item lives (its `ttl`). */
  ledgerTtlHours: int(6, 24 * 365, 48),
  /** The SSM SecureString parameter the Notify function reads the webhook signing secret from (`--notify`). */
  webhookSecretParameter: z
    .string()
    .regex(/^\/[A-Za-z0-9_.\-/]{1,1000}$/, 'must be an SSM parameter path, e.g. /shardcast/webhook-secret')
    .default('/shardcast/webhook-secret'),
  /**
   * `deploy --watch-prefix`: an object created under this prefix of the bucket starts a job (S3 -> EventBridge ->
   * the state machine's Admit state), with the template its key names (`in/<template>/<file>`).
   */
  watchPrefix: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)+$/, 'must be a key prefix ending with "/", e.g. in/')
    .superRefine((p, ctx) => {
      const problem = watchPrefixProblem(p, TEMP_PREFIX);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** `deploy --config`: the project's templates as a config file's JSON (the Admit function's SHARDCAST_TEMPLATES). */
  templates: z
    .string()
    .max(3500, "must fit a Lambda function's environment (4 KB in all): keep the deployed templates under 3,500 bytes of JSON")
    .optional(),
});

export type InfraConfig = Omit<z.output<typeof InfraConfigSchema>, 'distributedMap'> & { mapMode: MapMode };

/** The context keys the app reads. */
export const INFRA_CONTEXT_KEYS = Object.keys(InfraConfigSchema.shape);

/** The bucket prefix for temp objects (the lifecycle rule expires it). */
export const TEMP_PREFIX = 'tmp/';
/** Where EFS is mounted in the functions. */
export const EFS_MOUNT_PATH = '/mnt/data';

/** Parses context values (strings from `-c`, or JSON values from cdk.json). */
export function parseInfraConfig(context: Record<string, unknown>): InfraConfig {
  const picked = Object.fromEntries(INFRA_CONTEXT_KEYS.filter((k) => context[k] !== undefined).map((k) => [k, context[k]]));
  const parsed = InfraConfigSchema.safeParse(picked);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid CDK context: ${why}`);
  }
  const c = parsed.data;
  const { distributedMap, ...rest } = c;
  const mapMode = deploymentMapMode(c.mapMaxConcurrency, distributedMap);
  return { ...rest, mapMode };
}
