/**
 * The tail of a job, one implementation for every executor: `commitMergedOutput` merges the segments,
 * verifies the result and commits it to the output location in one go (the merged temp file is on the
 * merging machine's own disk, a Lambda function's /tmp on AWS, so these three cannot be split across
 * invocations); `finishJob` then marks the job done and deletes its temp files. `runJob` calls both in a
 * row; the workflow's Merge and Finalize steps call one each.
 */
import { VerifyError } from '../core/errors.js';
import type { JobRecord, JobResult } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { dirname } from 'node:path/posix';
import { asDiskFull } from './disk-space.js';
import { measureQuality } from './measure-quality.js';
import { mergeJob, verifyOutput } from './merge-job.js';
import { publishLadder } from './publish-ladder.js';
import { beginMerge, beginVerify, completeJob, recordResult } from './transitions.js';

/**
 * From `encoding` to `verifying` with the output committed and `result` set (the job is not done yet).
 * `encodeStartedAt` (epoch ms) is when this run's encoding began, for the timings.
 */
export async function commitMergedOutput(deps: AppDeps, jobId: string, encodeStartedAt: number): Promise<JobRecord> {
  let job = (await deps.ledger.getJob(jobId))!;
  const encodeMs = deps.clock() - encodeStartedAt;
  job = await beginMerge(deps.ledger, jobId, { ...job.timings, encodeMs });
  if (job.options.profile.ladder) return publishLadderOutput(deps, job);
  await emit(deps, jobId, 'job.merging', 'merging segments');
  const mergeStart = deps.clock();
  const temp = await deps.blobs.outputTempPath(job.id, job.output);
  try {
    await mergeJob(deps, job, temp);
  } catch (err) {
    await deps.blobs.discardLocal(temp);
    throw await asDiskFull(deps, job, err, dirname(temp), 'the merged output');
  }
  const mergeMs = deps.clock() - mergeStart;
  job = await beginVerify(deps.ledger, jobId, { ...job.timings, mergeMs });
  const verifyStart = deps.clock();
  let verified: JobResult | undefined;
  if (job.options.verify) {
    const report = await verifyOutput(deps, job, temp);
    if (!report.ok) {
      await deps.blobs.discardLocal(temp);
      throw new VerifyError(`verification failed: ${report.failures.join('; ')}`, report.failures);
    }
    verified = {
      frames: report.frames,
      videoDuration: report.videoDuration,
      ...(report.audioDuration !== undefined ? { audioDuration: report.audioDuration } : {}),
      sizeBytes: 0,
      verify: report,
    };
  }
  const verifyMs = deps.clock() - verifyStart;
  const quality = job.options.qualityReport ? await qualityOf(deps, job, temp) : undefined;
  let sizeBytes: number;
  try {
    ({ sizeBytes } = await deps.blobs.commitOutput(temp, job.output));
  } catch (err) {
    await deps.blobs.discardLocal(temp);
    throw await asDiskFull(deps, job, err, dirname(job.output), 'the output');
  }
  const result: JobResult = {
    ...(verified ? { ...verified, sizeBytes } : { frames: job.plan!.totalFrames, videoDuration: 0, sizeBytes }),
    ...(quality ? { quality: quality.report } : {}),
  };
  const timings = { ...job.timings, verifyMs, ...(quality ? { qualityMs: quality.ms } : {}) };
  return recordResult(deps.ledger, jobId, { timings, result });
}

/**
 * A ladder has nothing to merge: its segments are in the output folder already. Its playlists are written
 * from the tasks' manifests (publish-ladder.ts), the master last; the verification is their check.
 */
async function publishLadderOutput(deps: AppDeps, job: JobRecord): Promise<JobRecord> {
  await emit(deps, job.id, 'job.merging', 'writing the playlists');
  const start = deps.clock();
  let result: JobResult;
  try {
    result = await publishLadder(deps, job);
  } catch (err) {
    throw await asDiskFull(deps, job, err, dirname(job.output), 'the playlists');
  }
  const mergeMs = deps.clock() - start;
  const r = result.renditions ?? [];
  await emit(
    deps,
    job.id,
    'job.ladder',
    `${r.filter((x) => x.kind === 'video').length} video renditions (${r
      .filter((x) => x.kind === 'video')
      .map((x) => `${x.height}p ${Math.round(x.averageBitrate / 1000)} kb/s avg, ${Math.round(x.peakBitrate / 1000)} peak`)
      .join('; ')}), ${r.filter((x) => x.kind === 'audio').length} audio, ${r.filter((x) => x.kind === 'subtitles').length} subtitles`,
    { renditions: r.length },
  );
  job = await beginVerify(deps.ledger, job.id, { ...job.timings, mergeMs, verifyMs: 0 });
  return recordResult(deps.ledger, job.id, { result });
}

/**
 * The quality report of the merged file, before it is committed. A measurement that fails does not fail
 * the transcode (the output was verified): it is told in the events and the job has no report.
 */
async function qualityOf(deps: AppDeps, job: JobRecord, temp: string): Promise<Awaited<ReturnType<typeof measureQuality>> | undefined> {
  try {
    return await measureQuality(deps, job, temp);
  } catch (err) {
    await emit(deps, job.id, 'job.notice', `no quality report: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
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
