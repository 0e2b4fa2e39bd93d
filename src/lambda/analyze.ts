/**
 * Analyze step: plans a new job (or restarts a failed one) and returns the segment indices still to encode, and
 * how many of them the execution encodes at once: the job's concurrency, capped by the deployment's and by what
 * the account's Lambda concurrency gives now (core/concurrency.ts), said in the job's events.
 */
import type { AnalyzeStepOutput } from '../adapters/aws/workflow-payloads.js';
import { emit } from '../app/deps.js';
import { startRun } from '../app/run-steps.js';
import { executionConcurrency } from '../core/concurrency.js';
import { asWorkflowError, lambdaHandler, parseJobStepInput, type Step } from './lambda-entry.js';

export const analyzeStep: Step<AnalyzeStepOutput & { segmentCount: number }> = async (rt, event) => {
  const { jobId } = parseJobStepInput(event, 'analyze');
  try {
    const { segments, segmentCount, audio } = await startRun(rt.deps, jobId, { staleMs: rt.staleTaskMs });
    const job = await rt.deps.ledger.getJobHead(jobId);
    const asked = Math.min(job?.options.workers ?? 1, rt.mapMaxConcurrency ?? Number.POSITIVE_INFINITY);
    const { concurrency, note } = executionConcurrency(asked, await rt.lambdaCapacity?.().catch(() => undefined));
    await emit(rt.deps, jobId, 'job.concurrency', note, { concurrency, asked });
    return { segments, segmentCount, audio, concurrency };
  } catch (err) {
    throw asWorkflowError(err);
  }
};

export const handler = lambdaHandler(analyzeStep);
