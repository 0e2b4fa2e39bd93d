/** Analyze step: plans a new job (or restarts a failed one) and returns the segment indices still to encode. */
import type { AnalyzeStepOutput } from '../adapters/aws/workflow-payloads.js';
import { startRun } from '../app/run-steps.js';
import { asWorkflowError, lambdaHandler, parseJobStepInput, type Step } from './lambda-entry.js';

export const analyzeStep: Step<AnalyzeStepOutput> = async (rt, event) => {
  const { jobId } = parseJobStepInput(event, 'analyze');
  try {
    const { segments, segmentCount, audio } = await startRun(rt.deps, jobId, { staleMs: rt.staleTaskMs });
    return { segments, segmentCount, audio };
  } catch (err) {
    throw asWorkflowError(err);
  }
};

export const handler = lambdaHandler(analyzeStep);
