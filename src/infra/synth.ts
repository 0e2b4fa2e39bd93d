/**
 * Synthesizes the stack into a cloud assembly folder, in this process: what `shardcast deploy --dry-run --out`
 * writes, and what `shardcast deploy` / `destroy` hand to the CDK CLI (`cdk deploy --app <folder>`). Needs no
 * credentials, no Docker and no TypeScript loader: it runs from the compiled package as from a checkout. The
 * stack is environment-agnostic unless CDK_DEFAULT_ACCOUNT/REGION are set, so the CLI deploys it into the
 * account and region of the credentials it runs with.
 */
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { INFRA_CONTEXT_KEYS, parseInfraConfig, type InfraConfig } from './infra-config.js';
import { ShardcastStack } from './shardcast-stack.js';

export interface SynthResult {
  /** The cloud assembly folder. */
  outdir: string;
  stackName: string;
  /** The CloudFormation template written for the stack. */
  templateFile: string;
  config: InfraConfig;
}

/** Builds the app from CDK-style context (string values as given to `-c key=value`) and synthesizes it. */
export function synthesizeStack(context: Record<string, unknown>, outdir?: string, env: NodeJS.ProcessEnv = process.env): SynthResult {
  const app = new App({ ...(outdir ? { outdir } : {}), context });
  const get = (key: string): unknown => app.node.tryGetContext(key);
  const config = parseInfraConfig(Object.fromEntries(INFRA_CONTEXT_KEYS.map((k) => [k, get(k)])));
  const stackName = (get('stackName') as string | undefined) ?? 'Shardcast';
  const stack = new ShardcastStack(app, stackName, {
    config,
    description: `shardcast: segment-parallel transcoding on Lambda + Step Functions (storage: ${config.storage})`,
    env: { account: env.CDK_DEFAULT_ACCOUNT, region: env.CDK_DEFAULT_REGION },
  });
  const assembly = app.synth();
  return { outdir: assembly.directory, stackName, templateFile: join(assembly.directory, stack.templateFile), config };
}
