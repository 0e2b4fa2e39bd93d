/** MarkFailed step (the workflow's Catch): records the failure in the ledger, naming the failing segment. */
import { describeWorkflowFailure, parseWorkflowFailure } from '../adapters/aws/workflow-payloads.js';
import { failRun } from '../app/run-failure.js';
import { NotFoundError } from '../core/errors.js';
import type { JobStatus } from '../core/types.js';
import { lambdaHandler, parseMarkFailedStepInput, type Step } from './lambda-entry.js';

export const markFailedStep: Step<{ jobId: string; status: JobStatus; error?: string }> = async (rt, event) => {
  const input = parseMarkFailedStepInput(event);
  const failure = parseWorkflowFailure(input);
  const message = failure.task ? `${failure.error}: ${failure.message}` : describeWorkflowFailure(failure);
  const { job } = await failRun(rt.deps, input.jobId, {
    kind: 'workflow',
    ...(failure.task ? { task: failure.task } : {}),
    errorName: failure.error,
    message,
  });
  if (!job) throw new NotFoundError(`no job ${input.jobId} in the ledger`);
  return { jobId: job.id, status: job.status, ...(job.error ? { error: job.error } : {}) };
};

export const handler = lambdaHandler(markFailedStep);
