/**
 * Removes a job's files and records (`shardcast gc`, the API's DELETE): its segment and scratch files, a merge
 * temp file left beside the output by a process killed mid-merge, then the ledger records. The output itself
 * is never touched.
 */
import type { JobSummary } from '../core/types.js';
import type { AppDeps } from './deps.js';

/**
 * Whether a job was refused at its input: it failed before any segment was planned (no such file, not media,
 * no video stream, truncated before its first frame). `jobs` labels it `refused`; `gc --refused` removes it.
 */
export function refusedAtInput(job: Pick<JobSummary, 'status' | 'segmentsTotal'>): boolean {
  return job.status === 'failed' && job.segmentsTotal === 0;
}

export async function removeJob(deps: Pick<AppDeps, 'blobs' | 'ledger'>, jobId: string): Promise<void> {
  const job = await deps.ledger.getJob(jobId);
  // The temp path is named by job id, so it can only be this job's (on S3 outputs it is in the job's scratch).
  const mergeTemp = job ? await deps.blobs.outputTempPath(jobId, job.output) : undefined;
  await deps.blobs.deletePrefix(`${jobId}/`);
  if (mergeTemp) await deps.blobs.discardLocal(mergeTemp);
  await deps.ledger.deleteJob(jobId);
}
