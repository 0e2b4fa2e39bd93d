/**
 * The tail of a job, one implementation for every executor and output kind: `commitMergedOutput` has the
 * job's output kind (outputs/) merge, verify and commit its output in one go (the merged temp file is on the
 * merging machine's own disk, a Lambda function's /tmp on AWS, so these three cannot be split across
 * invocations); `finishJob` then marks the job done and deletes its temp files. `runJob` calls both in a
 * row; the workflow's Merge and Finalize steps call one each.
 */
import type { JobRecord } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { outputKindOf } from './outputs/output-kind.js';
import { beginMerge, completeJob } from './transitions.js';

/**
 * From `encoding` to `verifying` with the output committed and `result` set (the job is not done yet).
 * `encodeStartedAt` (epoch ms) is when this run's encoding began, for the timings.
 */
export async function commitMergedOutput(deps: AppDeps, jobId: string, encodeStartedAt: number): Promise<JobRecord> {
  const job = (await deps.ledger.getJob(jobId))!;
  const encodeMs = deps.clock() - encodeStartedAt;
  const merging = await beginMerge(deps.ledger, jobId, { ...job.timings, encodeMs });
  return outputKindOf(merging.options.profile).finish(deps, merging);
}

/** From `verifying` (output committed) to `done`; adds `elapsedMs` (this run's wall time) to the total. */
export async function finishJob(deps: AppDeps, jobId: string, elapsedMs: number): Promise<JobRecord> {
  const job = (await deps.ledger.getJob(jobId))!;
  const now = deps.clock();
  const timings = { ...job.timings, totalMs: (job.timings.totalMs ?? 0) + elapsedMs };
  const done = await completeJob(deps.ledger, jobId, timings, now);
  await emit(deps, jobId, 'job.done', `done: ${done.output}`, { ...timings });
  await deps.blobs.deletePrefix(`${jobId}/`);
  return done;
}
