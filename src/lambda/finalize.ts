/** Finalize step: marks the merged job done and deletes its temp files (again, harmlessly, if redelivered). */
import { finishStep } from '../app/workflow-steps.js';
import type { JobStatus } from '../core/types.js';
import { lambdaHandler, parseJobStepInput, type Step } from './lambda-entry.js';

export const finalizeStep: Step<{ jobId: string; status: JobStatus; output: string }> = async (rt, event) => {
  const { jobId } = parseJobStepInput(event, 'finalize');
  const job = await finishStep(rt.deps, jobId);
  return { jobId, status: job.status, output: job.output };
};

export const handler = lambdaHandler(finalizeStep);
