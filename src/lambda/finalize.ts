/** Finalize step: marks the merged job done and deletes its temp files (again, harmlessly, if redelivered). */
import { finishStep } from '../app/run-steps.js';
import type { JobStatus } from '../core/types.js';
import { asWorkflowError, lambdaHandler, parseJobStepInput, type Step } from './lambda-entry.js';

export const finalizeStep: Step<{ jobId: string; status: JobStatus; output: string }> = async (rt, event) => {
  const { jobId } = parseJobStepInput(event, 'finalize');
  try {
    const job = await finishStep(rt.deps, jobId);
    return { jobId, status: job.status, output: job.output };
  } catch (err) {
    throw asWorkflowError(err);
  }
};

export const handler = lambdaHandler(finalizeStep);
