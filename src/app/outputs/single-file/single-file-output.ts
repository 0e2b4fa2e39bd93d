/**
 * The single-file output (mp4, mkv, webm, mov): tasks are video segments cut on the source's frames plus the
 * audio track; a segment's encode is checked by decoding it and counting its frames; the finish merges them
 * (merge-job.ts), verifies the merged file, measures its quality where asked, and commits it to the output.
 */
import { dirname } from 'node:path/posix';
import { buildAudioEncodeArgs, buildSegmentEncodeArgs } from '../../../core/ffmpeg-args.js';
import { buildSegmentCheckArgs } from '../../../core/probe-args.js';
import type { CutMethod } from '../../../core/cut-policy.js';
import { ffmpegErrorLine, MergeReadError, SegmentCheckError, VerifyError } from '../../../core/errors.js';
import { minExactCutSeconds, planSegments } from '../../../core/plan-segments.js';
import { analyzed } from '../../../core/job-head.js';
import { checkCutCost } from '../../cut-cost-check.js';
import type { AnalyzedJob, JobResult, TaskRecord } from '../../../core/types.js';
import type { ToolRunResult } from '../../../ports/media-tool.js';
import type { AppDeps } from '../../deps.js';
import { emit } from '../../deps.js';
import { asDiskFull } from '../../disk-space.js';
import { runFfmpeg } from '../../ffmpeg-run.js';
import { measureQuality } from '../../measure-quality.js';
import { beginVerify, recordResult } from '../../transitions.js';
import { describeTask } from '../describe-task.js';
import type { OutputKind, TaskEncodeContext } from '../output-kind.js';
import { mergeJob, verifyOutput } from './merge-job.js';
import { segmentEncodeInput } from '../segment-input.js';
import { encodeToTarget } from '../../target-encode.js';
import { vmafFlavour } from '../../vmaf.js';
import { targetWorkBound } from '../../../core/crf-search.js';
import { storeThumbnails } from '../../thumbnails/segment-thumbnails.js';
import { publishThumbnails } from '../../thumbnails/publish-thumbnails.js';

function buildArgs(c: TaskEncodeContext, method?: CutMethod): string[] {
  const { job, task, read } = c;
  const analysis = job.analysis;
  if (task.kind === 'audio' || !read) {
    return buildAudioEncodeArgs({ sourceLocation: c.source, audio: analysis.audio, profile: job.options.profile, outputPath: c.partial });
  }
  return buildSegmentEncodeArgs({ ...segmentEncodeInput(c, read, method), outputPath: c.partial });
}

/** Decodes a finished segment and counts its frames: a segment short of its plan is a SegmentCheckError. */
async function checkSegment(deps: AppDeps, task: TaskRecord, path: string, signal?: AbortSignal): Promise<ToolRunResult> {
  const r = await deps.media.run('ffprobe', buildSegmentCheckArgs(path), signal ? { signal } : {});
  const frames = Number.parseInt(r.stdout.trim(), 10);
  if (r.exitCode !== 0 || r.stderrTail.trim()) {
    throw new SegmentCheckError(
      `${describeTask(task)} does not decode cleanly: ${ffmpegErrorLine(r.stderrTail) || `ffprobe exit ${r.exitCode}`}`,
      task.key,
    );
  }
  if (frames !== task.frameCount) {
    throw new SegmentCheckError(
      `${describeTask(task)} has ${Number.isNaN(frames) ? 'no video frames' : `${frames} frames`}, expected ${task.frameCount}`,
      task.key,
      'count',
    );
  }
  return r;
}

/**
 * The quality report of the merged file, before it is committed. A measurement that fails does not fail
 * the transcode (the output was verified): it is told in the events and the job has no report.
 */
async function qualityOf(deps: AppDeps, job: AnalyzedJob, temp: string): Promise<Awaited<ReturnType<typeof measureQuality>> | undefined> {
  try {
    return await measureQuality(deps, job, temp);
  } catch (err) {
    await emit(deps, job.id, 'job.notice', `no quality report: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

export const singleFileOutput: OutputKind = {
  // A targeted segment runs up to two probes and three encodes, each scored: its time limit plans with that.
  workFactor: (_analysis, profile) => (profile.target ? targetWorkBound(profile.target, profile) : 1),

  async plan(deps, job, analysis, targetSeconds, waves) {
    const planFor = (target: number, fill?: typeof waves) =>
      planSegments({
        ...fill,
        frameTimes: analysis.video.frameTimes,
        keyframeIndices: analysis.video.keyframeIndices,
        lastFrameDuration: analysis.video.lastFrameDuration,
        targetSeconds: target,
        workers: job.options.workers,
        minExactSeconds: minExactCutSeconds(analysis.video.keyframeCostSeconds),
        ...(analysis.video.sceneCuts ? { sceneCuts: analysis.video.sceneCuts } : {}),
      });
    const plan = planFor(targetSeconds, waves);
    const cost = await checkCutCost(deps, job, analysis, plan);
    if (cost?.lengthen === undefined) return { options: job.options, plan, note: '' };
    return {
      options: { ...job.options, segmentSeconds: cost.lengthen },
      plan: { ...planFor(cost.lengthen), notices: [cost.notice!] },
      note: '',
    };
  },

  async encode(c, method) {
    const target = c.job.options.profile.target;
    if (target && c.task.kind === 'video') {
      const vmaf = target.metric === 'vmaf' ? await vmafFlavour(c.deps.media, target) : undefined;
      const out = await encodeToTarget(c, method, vmaf);
      const check = await checkSegment(c.deps, c.task, out.file, c.signal);
      await storeThumbnails(c);
      return { ...out, cpuSeconds: out.cpuSeconds + check.cpuSeconds };
    }
    const args = buildArgs(c, method);
    c.setArgs(args);
    const opts = { ...(c.signal ? { signal: c.signal } : {}), ...(c.onStdoutLine ? { onStdoutLine: c.onStdoutLine } : {}) };
    const run = await runFfmpeg(c.deps, describeTask(c.task), args, opts, c.task.key);
    let cpuSeconds = run.cpuSeconds;
    if (c.task.kind === 'video') cpuSeconds += (await checkSegment(c.deps, c.task, c.partial, c.signal)).cpuSeconds;
    await storeThumbnails(c);
    return { run, file: c.partial, cpuSeconds };
  },

  async finish(deps, merging) {
    let job = analyzed(merging);
    await emit(deps, job.id, 'job.merging', 'merging segments');
    const mergeStart = deps.clock();
    const temp = await deps.blobs.outputTempPath(job.id, job.output);
    let readErrors: string[];
    try {
      ({ readErrors } = await mergeJob(deps, job, temp));
    } catch (err) {
      await deps.blobs.discardLocal(temp);
      throw await asDiskFull(deps, job, err, dirname(temp), 'the merged output');
    }
    const mergeMs = deps.clock() - mergeStart;
    job = analyzed(await beginVerify(deps.ledger, job.id, { ...job.timings, mergeMs }));
    const verifyStart = deps.clock();
    let verified: JobResult | undefined;
    if (job.options.verify) {
      const report = await verifyOutput(deps, job, temp);
      if (!report.ok) {
        await deps.blobs.discardLocal(temp);
        // A read cut short made it: the segments are fine, another merge is worth it.
        if (readErrors.length)
          throw new MergeReadError(
            `the merge's read of a segment was cut short (${readErrors[0]}); its output failed verification: ${report.failures.join('; ')}`,
          );
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
    const thumbnails = await publishThumbnails(deps, job, false);
    const result: JobResult = {
      ...(verified ? { ...verified, sizeBytes } : { frames: job.plan.totalFrames, videoDuration: 0, sizeBytes }),
      ...(quality ? { quality: quality.report } : {}),
      ...(thumbnails ? { thumbnails } : {}),
    };
    const timings = { ...job.timings, verifyMs, ...(quality ? { qualityMs: quality.ms } : {}) };
    return recordResult(deps.ledger, job.id, { timings, result });
  },
};
