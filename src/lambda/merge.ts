/**
 * Merge step: concatenates the segments with the audio, verifies the result and commits it to the output
 * location, all in one invocation, because the merged temp file is in this function's own /tmp (or on EFS).
 * Finalize then only marks the job done and cleans up.
 */
import { mergeStep as mergeJobStep } from '../app/run-steps.js';
import type { JobStatus } from '../core/types.js';
import { asWorkflowError, lambdaHandler, parseJobStepInput, type Step } from './lambda-entry.js';

export const mergeStep: Step<{ jobId: string; status: JobStatus }> = async (rt, event) => {
  const { jobId } = parseJobStepInput(event, 'merge');
  try {
    const job = await mergeJobStep(rt.deps, jobId);
    return { jobId, status: job.status };
  } catch (err) {
    throw asWorkflowError(err);
  }
};

export const handler = lambdaHandler(mergeStep);
