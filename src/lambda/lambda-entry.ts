/**
 * What every Lambda handler shares: payload parsing at the edge, the mapping of errors to the names the
 * workflow's Retry and Catch match (infra/workflow.asl.json), and the Lambda entry point that builds the AWS
 * runtime from the function's environment for one invocation (no state kept between invocations).
 */
import { z } from 'zod';
import {
  RETRYABLE_TASK_ERROR,
  TASK_BUSY_ERROR,
  type EncodeStepInput,
  type JobStepInput,
  type MarkFailedStepInput,
} from '../adapters/aws/workflow-payloads.js';
import { isRetryable, oneLine, TaskBusyError, UsageError } from '../core/errors.js';
import { withoutSignatures } from '../core/redact.js';
import { JOB_ID_PATTERN } from '../core/task-keys.js';
import { makeAwsRuntime, parseAwsSettings, type StepRuntime } from '../runtime/aws/aws-runtime.js';

/** A workflow step: the same function runs in Lambda and under the local interpreter (aws-emulated). */
export type Step<O> = (rt: StepRuntime, event: unknown) => Promise<O>;

/** The part of the Lambda context the handlers use. */
export interface LambdaContext {
  awsRequestId: string;
}

const jobId = z.string().regex(JOB_ID_PATTERN, 'jobId must be a shardcast job id');
const jobInput = z.object({ jobId });
const encodeInput = z.object({ jobId, kind: z.enum(['video', 'audio']), index: z.number().int().min(0) });
const markFailedInput = z.object({ jobId, error: z.string().default('Error'), cause: z.string().default('') });

function parse<T>(schema: z.ZodType<T>, event: unknown, step: string): T {
  const r = schema.safeParse(event);
  if (!r.success) throw new UsageError(`${step}: bad input ${JSON.stringify(event)?.slice(0, 200)}: ${r.error.issues[0]?.message}`);
  return r.data;
}

export const parseJobStepInput = (event: unknown, step: string): JobStepInput => parse(jobInput, event, step);
export const parseEncodeStepInput = (event: unknown, step: string): EncodeStepInput => parse(encodeInput, event, step);
export const parseMarkFailedStepInput = (event: unknown): MarkFailedStepInput => parse(markFailedInput, event, 'mark-failed');

/**
 * A step's failure worth another attempt (isRetryable decides: an ffmpeg run, a read cut short, an I/O hiccup)
 * is rethrown named RetryableTaskError, which the workflow retries with backoff (every step: Analyze, the
 * encodes, Merge, Finalize); a task refused as busy is named TaskBusyError, which its own retrier waits out;
 * any other error keeps its own name and goes to the Catch.
 */
export function asWorkflowError(err: unknown): Error {
  // What the workflow records (its history, CloudWatch) keeps no presigned URL's credentials either.
  const message = withoutSignatures(oneLine(err));
  if (err instanceof TaskBusyError) return Object.assign(new Error(message), { name: TASK_BUSY_ERROR });
  if (isRetryable(err)) return Object.assign(new Error(message), { name: RETRYABLE_TASK_ERROR });
  if (err instanceof Error) return Object.assign(new Error(withoutSignatures(err.message)), { name: err.name });
  return new Error(withoutSignatures(String(err)));
}

/** The Lambda entry point of a step: settings from the environment, one runtime per invocation. */
export function lambdaHandler<O>(step: Step<O>): (event: unknown, context: LambdaContext) => Promise<O> {
  return async (event, context) => {
    const rt = makeAwsRuntime({ settings: parseAwsSettings(process.env), env: process.env, workerId: `lambda:${context.awsRequestId}` });
    try {
      return await step(rt, event);
    } finally {
      await rt.close();
    }
  };
}
