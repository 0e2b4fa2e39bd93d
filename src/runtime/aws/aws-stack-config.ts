/**
 * What `--backend aws` needs to know about the deployed stack: its outputs (bucket, table, state machine)
 * and the settings it was deployed with (for `cost` and `estimate`). `shardcast deploy` saves them to
 * `<stateDir>/aws-stack.json`; SHARDCAST_STATE_MACHINE_ARN, SHARDCAST_TABLE, SHARDCAST_BUCKET and
 * SHARDCAST_STORAGE override the file (or stand in for it, for a stack deployed another way).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../core/errors.js';
import type { AwsDeployment } from '../../core/cost-model.js';
import { DEFAULT_DEPLOYMENT as DEPLOY_DEFAULTS } from '../../infra/infra-config.js';

export const awsStackSchema = z.object({
  stackName: z.string().default('Shardcast'),
  bucket: z.string().min(3),
  table: z.string().min(3),
  stateMachineArn: z.string().startsWith('arn:'),
  storage: z.enum(['s3', 'efs']).default('s3'),
  architecture: z.enum(['x86_64', 'arm64']).default('x86_64'),
  memoryMb: z.number().int().min(128).max(10_240).default(DEPLOY_DEFAULTS.memoryMb),
  ephemeralMb: z.number().int().min(512).max(10_240).default(DEPLOY_DEFAULTS.ephemeralMb),
  timeoutSeconds: z.number().int().min(30).max(900).default(DEPLOY_DEFAULTS.timeoutSeconds),
  mapMaxConcurrency: z.number().int().min(0).default(DEPLOY_DEFAULTS.mapMaxConcurrency),
  ledgerTtlHours: z.number().int().min(1).default(48),
  /** The encode function's reserved concurrency, where the deploy reserved some. */
  reservedConcurrency: z.number().int().min(1).optional(),
});

export type AwsStack = z.output<typeof awsStackSchema>;

/** The defaults of src/infra/infra-config.ts, for cost and estimate before any deploy. */
export const DEFAULT_DEPLOYMENT: AwsDeployment & { timeoutSeconds: number; mapMaxConcurrency: number } = DEPLOY_DEFAULTS;

export function stackFilePath(stateDir: string): string {
  return join(stateDir, 'aws-stack.json');
}

function readStackFile(stateDir: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(stackFilePath(stateDir), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${stackFilePath(stateDir)}: ${(err as Error).message}`);
  }
}

/** The saved stack with the environment's overrides; undefined when neither says where the stack is. */
export function loadAwsStack(stateDir: string, env: Record<string, string | undefined>): AwsStack | undefined {
  const file = readStackFile(stateDir) ?? {};
  const merged: Record<string, unknown> = {
    ...file,
    ...(env.SHARDCAST_STATE_MACHINE_ARN ? { stateMachineArn: env.SHARDCAST_STATE_MACHINE_ARN } : {}),
    ...(env.SHARDCAST_TABLE ? { table: env.SHARDCAST_TABLE } : {}),
    ...(env.SHARDCAST_BUCKET ? { bucket: env.SHARDCAST_BUCKET } : {}),
    ...(env.SHARDCAST_STORAGE ? { storage: env.SHARDCAST_STORAGE } : {}),
  };
  if (!merged.stateMachineArn && !merged.table && !merged.bucket) return undefined;
  const r = awsStackSchema.safeParse(merged);
  if (!r.success)
    throw new UsageError(
      `AWS stack settings (${stackFilePath(stateDir)} or SHARDCAST_* env): ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

export function requireAwsStack(stateDir: string, env: Record<string, string | undefined>): AwsStack {
  const stack = loadAwsStack(stateDir, env);
  if (!stack) {
    throw new UsageError(
      `no AWS stack known: run \`shardcast deploy\` first, or set SHARDCAST_STATE_MACHINE_ARN, SHARDCAST_TABLE and SHARDCAST_BUCKET`,
    );
  }
  return stack;
}

export function saveAwsStack(stateDir: string, stack: AwsStack): void {
  const path = stackFilePath(stateDir);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(stack, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** The region of an ARN (arn:aws:states:<region>:<account>:...). */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

/** Forgets the saved stack (after `shardcast destroy`). */
export function removeAwsStack(stateDir: string): void {
  rmSync(stackFilePath(stateDir), { force: true });
}
