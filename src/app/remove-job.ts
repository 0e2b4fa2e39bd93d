/**
 * Removes a job's files and records (`shardcast gc`, the API's DELETE): its segment and scratch files, a merge
 * temp file left beside the output by a process killed mid-merge, then the ledger records. The output itself
 * is never touched.
 */
import type { AppDeps } from './deps.js';

export async function removeJob(deps: Pick<AppDeps, 'blobs' | 'ledger'>, jobId: string): Promise<void> {
  const job = await deps.ledger.getJob(jobId);
  // The temp path is named by job id, so it can only be this job's (on S3 outputs it is in the job's scratch).
  const mergeTemp = job ? await deps.blobs.outputTempPath(jobId, job.output) : undefined;
  await deps.blobs.deletePrefix(`${jobId}/`);
  if (mergeTemp) await deps.blobs.discardLocal(mergeTemp);
  await deps.ledger.deleteJob(jobId);
}
