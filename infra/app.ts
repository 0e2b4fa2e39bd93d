/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` at the repository root (see cdk.json), with context such as
 * `-c storage=efs -c memoryMb=4096 -c mapMaxConcurrency=200` (see infra/infra-config.ts for every option).
 */
import { App } from 'aws-cdk-lib';
import { INFRA_CONTEXT_KEYS, parseInfraConfig } from './infra-config.js';
import { ShardcastStack } from './shardcast-stack.js';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
const config = parseInfraConfig(Object.fromEntries(INFRA_CONTEXT_KEYS.map((k) => [k, context(k)])));
const stackName = (context('stackName') as string | undefined) ?? 'Shardcast';

new ShardcastStack(app, stackName, {
  config,
  description: `shardcast: segment-parallel transcoding on Lambda + Step Functions (storage: ${config.storage})`,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
