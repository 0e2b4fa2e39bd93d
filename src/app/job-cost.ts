/**
 * From a job in the ledger to the cost model's input (`shardcast cost`), and from a calibration encode to
 * the projection's (`shardcast estimate`). Pure.
 */
import { lambdaVcpus, threadSpeedup, type EncodeCalibration } from '../core/job-projection.js';
import { type MeasuredJob, type MeasuredTask } from '../core/cost-model.js';
import { segmentThreads } from '../core/segment-threads.js';
import type { JobRecord, TaskRecord } from '../core/types.js';

/**
 * How much longer (>1) or shorter a video segment would take in a function of `memoryMb` than it took where
 * it was measured with `threads` threads (x264-like threading, see threadSpeedup). 1 for jobs that ran on AWS.
 */
export function lambdaTaskScale(job: JobRecord, memoryMb: number, threads = job.options.threadsPerWorker): number {
  if (job.backend === 'aws') return 1;
  return threadSpeedup(threads) / threadSpeedup(lambdaVcpus(memoryMb));
}

/** lambdaTaskScale for each video task, with the threads that segment ran with (core/segment-threads.ts). */
export function lambdaTaskScaleOf(job: JobRecord, memoryMb: number): (t: TaskRecord) => number {
  return (t) => lambdaTaskScale(job, memoryMb, segmentThreads(job.options, job.plan, t.index));
}

/**
 * The job as the cost model sees it: each task's last measured wall time (failed attempts are counted at the
 * same duration), video tasks scaled by `videoScale` (one factor, or one per task); finalize is verify +
 * commit + clean-up.
 */
export function measuredJobOf(job: JobRecord, tasks: TaskRecord[], videoScale: number | ((t: TaskRecord) => number) = 1): MeasuredJob {
  const scaleOf = typeof videoScale === 'number' ? () => videoScale : videoScale;
  const measure = (t: TaskRecord, scale: number): MeasuredTask => ({
    wallMs: (t.wallMs ?? 0) * scale,
    attempts: Math.max(1, t.attempts),
    sizeBytes: t.sizeBytes ?? 0,
  });
  const audio = tasks.find((t) => t.kind === 'audio');
  return {
    video: tasks.filter((t) => t.kind === 'video').map((t) => measure(t, scaleOf(t))),
    ...(audio ? { audio: measure(audio, 1) } : {}),
    analyzeMs: job.timings.analyzeMs ?? 0,
    mergeMs: job.timings.mergeMs ?? 0,
    finalizeMs: job.timings.verifyMs ?? 0,
    sourceBytes: job.analysis?.sizeBytes ?? 0,
    outputBytes: job.result?.sizeBytes ?? 0,
    totalMs: job.timings.totalMs ?? 0,
  };
}

/** One timed encode of a stretch of the source. */
export interface CalibrationSample {
  wallMs: number;
  sourceSeconds: number;
  outputBytes: number;
  threads: number;
}

export function calibrationOf(s: CalibrationSample): EncodeCalibration {
  const seconds = Math.max(1e-3, s.sourceSeconds);
  return { encodeSecondsPerSourceSecond: s.wallMs / 1000 / seconds, threads: s.threads, outputBytesPerSecond: s.outputBytes / seconds };
}
