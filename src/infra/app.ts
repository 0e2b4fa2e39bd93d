/**
 * The CDK app for the CDK CLI (cdk.json: `node dist/infra/app.js`, after `npm run build`), with context such as
 * `-c storage=efs -c memoryMb=4096 -c mapMaxConcurrency=200` (see src/infra/infra-config.ts for every option).
 * `shardcast deploy` does not go through here: it synthesizes in its own process (src/infra/synth.ts) and hands
 * the CLI the assembly.
 */
import { synthesizeStack } from './synth.js';

// The CDK CLI passes context and the output folder in CDK_CONTEXT_JSON / CDK_OUTDIR, which App reads itself.
synthesizeStack({});
