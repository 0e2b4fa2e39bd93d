/**
 * The quality report as a use-case: measured on the merged file before it is committed (`--quality-report`)
 * or later on a done job's output (the job page's button, `shardcast quality`), stored in the job's result.
 */
import { CancelledError, ConditionFailedError, NotFoundError } from '../core/errors.js';
import { chooseOutputFormat } from '../core/output-format.js';
import { QualityFrameParser, buildQualityArgs, buildQualityReport, describeQuality } from '../core/quality-report.js';
import { isAnalyzed } from '../core/job-head.js';
import type { AnalyzedJob, JobRecord, QualityReport } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { storeQualityReport } from './transitions.js';
import { checkFfmpeg } from './ffmpeg-run.js';

/** One decode of the output at `outputLocation` and of the job's source; events at start and end. */
export async function measureQuality(
  deps: AppDeps,
  job: AnalyzedJob,
  outputLocation: string,
  signal?: AbortSignal,
): Promise<{ report: QualityReport; ms: number }> {
  const start = deps.clock();
  await emit(deps, job.id, 'job.quality', 'quality report: decoding the output beside the source (PSNR and SSIM per frame)');
  const parser = new QualityFrameParser();
  const r = await deps.media.run(
    'ffmpeg',
    buildQualityArgs({
      outputLocation,
      sourceLocation: await deps.readableSource(job.source),
      pixelFormat: chooseOutputFormat(job.analysis.video, job.options.profile).pixelFormat,
    }),
    { ...(signal ? { signal } : {}), onStdoutLine: (l) => parser.line(l), maxStdoutBytes: 1 << 16 },
  );
  if (signal?.aborted) throw new CancelledError('quality report stopped');
  checkFfmpeg(r, 'quality report failed');
  // A targeted job's report has a row per segment: its search's CRF and score from the task beside its frames' means.
  const tasks = job.options.profile.target ? await deps.ledger.listTasks(job.id) : undefined;
  const report = buildQualityReport(parser.frames, job.plan, job.analysis.video.frameTimes, tasks);
  const ms = deps.clock() - start;
  // The event says the whole and the worst seam; a targeted job's per-segment table stays in the report.
  const [whole, seam] = describeQuality(report).split('\n');
  await emit(deps, job.id, 'job.quality', `${whole}; ${seam}`, {
    psnrMean: report.psnrMean,
    ssimMean: report.ssimMean,
    worstSeam: report.worstSeam,
    ms,
  });
  return { report, ms };
}

/** Measures a done job's committed output and stores the report in its result. */
export async function addQualityReport(deps: AppDeps, jobId: string, signal?: AbortSignal): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new NotFoundError(`no job ${jobId}`);
  if (job.status !== 'done' || !job.result || !isAnalyzed(job)) {
    throw new ConditionFailedError(`job ${jobId} is ${job.status}; a quality report needs a done job`, job);
  }
  const { report, ms } = await measureQuality(deps, job, await deps.readableSource(job.output), signal);
  const now = (await deps.ledger.getJob(jobId))!;
  return storeQualityReport(deps.ledger, now, {
    result: { ...now.result!, quality: report },
    timings: { ...now.timings, qualityMs: ms },
  });
}
