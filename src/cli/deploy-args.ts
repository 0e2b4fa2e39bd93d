/**
 * `shardcast deploy`: its flags validated into options and CDK context (the keys of src/infra/infra-config.ts),
 * the CDK CLI's argument arrays, and the stack outputs read back. Pure: no AWS here.
 */
import { watchPrefixProblem } from '../core/s3-trigger.js';
import { TEMP_PREFIX } from '../infra/infra-config.js';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { DEFAULT_DEPLOYMENT, type AwsStack } from '../runtime/aws/aws-stack-config.js';

const int = (flag: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${flag} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${flag} must be from ${min} to ${max}`);

export const deployFlagsSchema = z.object({
  storage: z.enum(['s3', 'efs'], { message: '--storage must be s3 or efs' }).default('s3'),
  architecture: z.enum(['x86_64', 'arm64'], { message: '--architecture must be x86_64 or arm64' }).optional(),
  memory: int('--memory', 128, 10_240).optional(),
  timeout: int('--timeout', 30, 900).optional(),
  ephemeral: int('--ephemeral', 512, 10_240).optional(),
  // 0 once meant "no limit": 10,000 child executions in Distributed mode, past any account's quota.
  concurrency: int('--concurrency', 1, 10_000).optional(),
  reservedConcurrency: int('--reserved-concurrency', 1, 10_000).optional(),
  retries: int('--retries', 0, 10).optional(),
  // A job's records expire together at a fixed time from its creation: under 6 h a long run could outlive them.
  ttlHours: int('--ttl-hours', 6, 24 * 365).optional(),
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, '--stack-name must start with a letter (letters, digits, -)')
    .default('Shardcast'),
  watchPrefix: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)+$/, '--watch-prefix must be a key prefix ending with "/", e.g. in/')
    .superRefine((p, ctx) => {
      const problem = watchPrefixProblem(p, TEMP_PREFIX);
      if (problem) ctx.addIssue({ code: 'custom', message: `--watch-prefix ${problem}` });
    })
    .optional(),
  /** The project's templates as a config file's JSON (read from --config by the deploy command, not a flag). */
  templates: z.string().optional(),
});

export type DeployOptions = z.output<typeof deployFlagsSchema>;

export function parseDeployFlags(flags: Record<string, unknown>): DeployOptions {
  const r = deployFlagsSchema.safeParse(flags);
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid deploy options');
  return r.data;
}

/** CDK context (src/infra/infra-config.ts keys) for the options that were given; storage always. */
export function deployContext(o: DeployOptions): Record<string, string> {
  const ctx: Record<string, string> = { stackName: o.stackName, storage: o.storage };
  if (o.architecture) ctx.architecture = o.architecture;
  if (o.memory !== undefined) ctx.memoryMb = String(o.memory);
  if (o.timeout !== undefined) ctx.timeoutSeconds = String(o.timeout);
  if (o.ephemeral !== undefined) ctx.ephemeralMb = String(o.ephemeral);
  if (o.concurrency !== undefined) ctx.mapMaxConcurrency = String(o.concurrency);
  if (o.reservedConcurrency !== undefined) ctx.reservedConcurrency = String(o.reservedConcurrency);
  if (o.retries !== undefined) ctx.taskRetryAttempts = String(o.retries);
  if (o.ttlHours !== undefined) ctx.ledgerTtlHours = String(o.ttlHours);
  if (o.watchPrefix) ctx.watchPrefix = o.watchPrefix;
  if (o.watchPrefix && o.templates) ctx.templates = o.templates;
  return ctx;
}

/**
 * Arguments for the CDK CLI over an assembly already synthesized with deployContext (src/infra/synth.ts):
 * `deploy <stack> --app <assembly> --require-approval never --outputs-file <file>`.
 */
export function buildCdkDeployArgs(o: DeployOptions, assemblyDir: string, outputsFile: string): string[] {
  return ['deploy', o.stackName, '--app', assemblyDir, '--require-approval', 'never', '--outputs-file', outputsFile];
}

/** `destroy <stack> --app <assembly> --force`. */
export function buildCdkDestroyArgs(stackName: string, assemblyDir: string): string[] {
  return ['destroy', stackName, '--app', assemblyDir, '--force'];
}

/** The stack record saved after a deploy: its outputs (from cdk's outputs file) and the options used. */
export function stackFromCdkOutputs(outputs: unknown, o: DeployOptions): AwsStack {
  const all = outputs as Record<string, Record<string, string> | undefined>;
  const out = all?.[o.stackName];
  const need = (k: string): string => {
    const v = out?.[k];
    if (!v) throw new UsageError(`cdk deploy wrote no ${k} output for stack ${o.stackName}`);
    return v;
  };
  return {
    stackName: o.stackName,
    bucket: need('BucketName'),
    table: need('TableName'),
    stateMachineArn: need('StateMachineArn'),
    storage: o.storage,
    architecture: o.architecture ?? DEFAULT_DEPLOYMENT.architecture,
    memoryMb: o.memory ?? DEFAULT_DEPLOYMENT.memoryMb,
    ephemeralMb: o.ephemeral ?? DEFAULT_DEPLOYMENT.ephemeralMb,
    timeoutSeconds: o.timeout ?? DEFAULT_DEPLOYMENT.timeoutSeconds,
    mapMaxConcurrency: o.concurrency ?? DEFAULT_DEPLOYMENT.mapMaxConcurrency,
    ledgerTtlHours: o.ttlHours ?? 48,
    ...(o.reservedConcurrency !== undefined ? { reservedConcurrency: o.reservedConcurrency } : {}),
  };
}
