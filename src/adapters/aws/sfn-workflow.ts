/**
 * The deployed state machine, through @aws-sdk/client-sfn: start an execution for a job, wait for it to end.
 * Untested here (no AWS account); kept to these two calls. Endpoints and credentials come from the SDK's
 * standard configuration (profiles, AWS_REGION, AWS_ENDPOINT_URL_SFN).
 */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowOutcome } from './local-workflow.js';

export function makeSfnClient(opts: { region?: string } = {}): SFNClient {
  return new SFNClient(opts.region ? { region: opts.region } : {});
}

/** Starts an execution with input `{jobId}`; names it after the job and the time (names are unique per machine). */
export async function startSfnExecution(client: SFNClient, stateMachineArn: string, jobId: string, now: number): Promise<string> {
  const res = await client.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: `${jobId}-${now}`,
      input: JSON.stringify({ jobId }),
    }),
  );
  if (!res.executionArn) throw new Error('StartExecution returned no execution ARN');
  return res.executionArn;
}

/**
 * Polls DescribeExecution until the execution ends. An abort stops the waiting only: the execution goes on
 * in AWS (outcome `aborted`).
 */
export async function waitForSfnExecution(
  client: SFNClient,
  executionArn: string,
  opts: { pollMs?: number; signal?: AbortSignal } = {},
): Promise<WorkflowOutcome> {
  for (;;) {
    if (opts.signal?.aborted) return { status: 'aborted' };
    const res = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (res.status === 'SUCCEEDED') return { status: 'succeeded' };
    if (res.status && res.status !== 'RUNNING' && res.status !== 'PENDING_REDRIVE') {
      return { status: 'failed', error: res.error ?? res.status, cause: res.cause ?? '' };
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.pollMs ?? 2000);
      opts.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
