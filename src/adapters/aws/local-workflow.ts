/**
 * Runs the real state machine definition (infra/workflow.asl.json, inline Map) with a local Step Functions
 * interpreter (aws-local-stepfunctions) whose Task states call local functions: the aws-emulated backend
 * passes the Lambda handlers' own step functions. The interpreter gaps are designed around here: Promise
 * .withResolvers is polyfilled on Node 20, TimeoutSeconds is always set (its default is 60 s), and there is
 * no Distributed Map (the inline Map runs the same item processor).
 */
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';
import { ensurePromiseWithResolvers } from './promise-polyfill.js';
import { buildWorkflowDefinition } from './workflow-definition.js';

/** The Task states of the workflow, by state name. */
export const WORKFLOW_TASK_STATES = ['Analyze', 'EncodeSegment', 'EncodeAudio', 'Merge', 'Finalize', 'MarkFailed'] as const;
export type WorkflowTaskState = (typeof WORKFLOW_TASK_STATES)[number];
export type WorkflowTaskHandlers = Record<WorkflowTaskState, (input: unknown) => Promise<unknown>>;

/** How an execution ended (the same shape for the local interpreter and for Step Functions). */
export interface WorkflowOutcome {
  status: 'succeeded' | 'failed' | 'aborted';
  /** For a failed execution: the error name and cause of its Fail state. */
  error?: string;
  cause?: string;
}

export interface LocalWorkflowOptions {
  mapMaxConcurrency: number;
  taskTimeoutSeconds: number;
  /** Retries of a RetryableTaskError (the job's maxAttempts - 1). */
  taskRetryAttempts: number;
  /** Replace every retry's backoff with this many ms (tests: 0); default the definition's backoff. */
  retryIntervalMs?: number;
}

export interface LocalExecution {
  result: Promise<WorkflowOutcome>;
  abort(): void;
}

const fakeArn = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:shardcast-${name}`;

export function startLocalWorkflow(input: { jobId: string }, handlers: WorkflowTaskHandlers, opts: LocalWorkflowOptions): LocalExecution {
  ensurePromiseWithResolvers();
  const definition = buildWorkflowDefinition({
    distributed: false,
    analyzeFunctionArn: fakeArn('analyze'),
    encodeSegmentFunctionArn: fakeArn('encode-segment'),
    encodeAudioFunctionArn: fakeArn('encode-audio'),
    mergeFunctionArn: fakeArn('merge'),
    finalizeFunctionArn: fakeArn('finalize'),
    failFunctionArn: fakeArn('mark-failed'),
    mapMaxConcurrency: opts.mapMaxConcurrency,
    taskTimeoutSeconds: opts.taskTimeoutSeconds,
    taskRetryAttempts: opts.taskRetryAttempts,
  });
  const machine = new StateMachine(definition as never);
  const local = Object.fromEntries(WORKFLOW_TASK_STATES.map((s) => [s, async (i: unknown) => (await handlers[s](i)) as never]));
  const retryIntervalOverrides = opts.retryIntervalMs === undefined
    ? undefined
    : Object.fromEntries(WORKFLOW_TASK_STATES.map((s) => [s, opts.retryIntervalMs!]));
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: local, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
  });
  const result = execution.result.then(
    (): WorkflowOutcome => ({ status: 'succeeded' }),
    (err: unknown): WorkflowOutcome => {
      if (err instanceof ExecutionAbortedError) return { status: 'aborted' };
      const failState = (err as Error).cause as { name?: string; message?: string } | undefined;
      return { status: 'failed', error: failState?.name ?? 'Error', cause: failState?.message ?? String((err as Error).message) };
    },
  );
  return { result, abort: () => execution.abort() };
}
