/**
 * The two homes that run a job as a Step Functions execution, behind one shape for their Backend: `aws` (the
 * deployed stack: the ledger in its DynamoDB table, executions started with the SDK and watched until they
 * end) and `aws-emulated` (the same state machine and handlers on emulators in this process). Only
 * `aws-emulated` is tested here; `aws` is kept to SDK calls that mirror it.
 */
import { hostname } from 'node:os';
import { makeSfnClient, startSfnExecution, waitForSfnExecution } from '../../adapters/aws/sfn-workflow.js';
import type { WorkflowOutcome } from '../../adapters/aws/local-workflow.js';
import type { TaskProgress } from '../../app/deps.js';
import { makeAwsRuntime, type AwsRuntime } from './aws-runtime.js';
import { startEmulatedAws } from './aws-emulated-runtime.js';
import { regionOfArn, requireAwsStack } from './aws-stack-config.js';

export type WorkflowKind = 'aws' | 'aws-emulated';

export interface WorkflowExecutions {
  kind: WorkflowKind;
  runtime: AwsRuntime;
  /** Where local inputs are uploaded and local outputs are produced before the download. */
  bucket: string;
  /** Segments at once when the job does not say (aws: the deployed Map concurrency). */
  defaultConcurrency?: number;
  /**
   * Runs one execution for the job and resolves when it ends (or, on abort, when it is left). An error with
   * `executionNotStarted` means no execution exists; any other error from `aws` leaves one running in AWS.
   */
  run(jobId: string, signal?: AbortSignal): Promise<WorkflowOutcome>;
  close(): Promise<void>;
}

export interface WorkflowExecutionsConfig {
  kind: WorkflowKind;
  stateDir: string;
  env: Record<string, string | undefined>;
  /** Only the ledger is needed (status, jobs, cost). */
  ledgerOnly?: boolean;
  onProgress?: (p: TaskProgress) => void;
}

/** Marks an error after which no execution of the job runs (WorkflowExecutions.run). */
function notStarted(err: unknown): Error {
  return Object.assign(err instanceof Error ? err : new Error(String(err)), { executionNotStarted: true });
}

export async function openWorkflowExecutions(cfg: WorkflowExecutionsConfig): Promise<WorkflowExecutions> {
  if (cfg.kind === 'aws-emulated') {
    const emu = await startEmulatedAws({
      stateDir: cfg.stateDir,
      env: cfg.env,
      ...(cfg.ledgerOnly ? { ledgerOnly: true } : {}),
      ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
    });
    // An emulated execution lives in this process: whatever ends its run with an error, none goes on.
    const run = (jobId: string, signal?: AbortSignal) =>
      emu.runWorkflow(jobId, signal).catch((err: unknown) => {
        throw notStarted(err);
      });
    return { kind: 'aws-emulated', runtime: emu.runtime, bucket: emu.bucket, run, close: emu.close };
  }
  const stack = requireAwsStack(cfg.stateDir, cfg.env);
  const region = cfg.env.AWS_REGION ?? regionOfArn(stack.stateMachineArn);
  const clientOpts = region ? { region } : {};
  const runtime: AwsRuntime = makeAwsRuntime({
    settings: {
      tableName: stack.table,
      bucket: stack.bucket,
      storage: stack.storage,
      efsRoot: '/mnt/data',
      tempPrefix: 'tmp/',
      ledgerTtlHours: stack.ledgerTtlHours,
    },
    env: cfg.env,
    workerId: `cli:${hostname()}:${process.pid}`,
    s3: clientOpts,
    dynamoDb: clientOpts,
  });
  const sfn = makeSfnClient(clientOpts);
  return {
    kind: 'aws',
    runtime,
    bucket: stack.bucket,
    defaultConcurrency: stack.mapMaxConcurrency || undefined,
    async run(jobId, signal) {
      let arn: string;
      try {
        arn = await startSfnExecution(sfn, stack.stateMachineArn, jobId, Date.now());
      } catch (err) {
        throw notStarted(err);
      }
      // Once started, the execution goes on in AWS whatever happens to this process's watching of it.
      return waitForSfnExecution(sfn, arn, signal ? { signal } : {});
    },
    async close() {
      sfn.destroy();
      await runtime.close();
    },
  };
}
