/**
 * What a job would take and cost on AWS before it runs (`shardcast estimate`): task durations projected from one
 * calibrated ffmpeg run, scaled to a Lambda function's vCPUs, then priced by cost-model.ts.
 */
import {
  DEFAULT_COST_ASSUMPTIONS,
  estimateJobCost,
  type AwsDeployment,
  type AwsPrices,
  type CostAssumptions,
  type CostEstimate,
  type MeasuredJob,
  type MeasuredTask,
} from './cost-model.js';
import { PARALLEL_SCAN } from './packet-scan.js';
import { lastWaveOf } from './plan-segments.js';

/** One ffmpeg process's speed on the machine that calibrated it (`shardcast estimate` measures it). */
export interface EncodeCalibration {
  /** Wall seconds per second of source. */
  encodeSecondsPerSourceSecond: number;
  /** Threads (cores) the process used. */
  threads: number;
  /** Output bytes per second of source. */
  outputBytesPerSecond: number;
}

export interface ProjectionInputs {
  durationSeconds: number;
  sourceBytes: number;
  hasAudio: boolean;
  /** The planner's target segment length. */
  segmentSeconds: number;
  /** The planner's segment count for that target, where known (default: duration / target, rounded up). */
  segments?: number;
  /** Segments encoded at once (the Map's MaxConcurrency, within the account's Lambda concurrency). */
  concurrency: number;
  calibration: EncodeCalibration;
  /** The output is downloaded out of AWS afterwards (a local output path). */
  downloaded?: boolean;
  /** The output is MP4/MOV, verified by its index (default); false: Matroska/WebM, read whole. */
  indexedOutput?: boolean;
}

export interface ProjectionAssumptions {
  /** AAC/Opus encode time per second of source (audio encoders run far faster than real time). */
  audioSecondsPerSourceSecond: number;
  audioBytesPerSecond: number;
  /** One read's rate from S3, one connection (the analysis scan and the audio task read the whole source). */
  s3ReadBytesPerSecond: number;
  /** Reads at once of a large source's analysis scan, and from what size (core/probe-parse.ts PARALLEL_SCAN). */
  parallelScan: { minBytes: number; ranges: number };
  /** A function's network rate, all its reads together. */
  functionNetworkBytesPerSecond: number;
  /** Concat copy plus upload of the output. */
  mergeBytesPerSecond: number;
  /** Verification of an output that must be read whole (Matroska, WebM: every packet), bytes per second. */
  verifyScanBytesPerSecond: number;
  /** Verification of an MP4/MOV output (its index and its first and last packets), seconds whatever its size. */
  verifyIndexSeconds: number;
  /** Finalize: mark the job done, delete its temp objects. */
  finalizeSeconds: number;
  /** Container start and first ledger read of an invocation. */
  startupSeconds: number;
  /**
   * Encode time on arm64 relative to the x86 functions the calibration stands for. Assumed, not measured (no
   * arm64 machine here): libx264, libx265 and the AV1/VP9 encoders have less hand-written assembly for Arm
   * (NEON) than for x86 (AVX2), so a Graviton vCPU encodes slower; the Arm GB-second is 20% cheaper.
   */
  arm64EncodeFactor: number;
}

export const DEFAULT_PROJECTION_ASSUMPTIONS: ProjectionAssumptions = {
  audioSecondsPerSourceSecond: 0.02,
  audioBytesPerSecond: 16_000,
  s3ReadBytesPerSecond: 80e6,
  parallelScan: PARALLEL_SCAN,
  functionNetworkBytesPerSecond: 300e6,
  mergeBytesPerSecond: 150e6,
  // Measured here (docs/aws.md): 168 MB, 540 s of 720p H.264 + AAC, every packet read and parsed in 0.80 s;
  // the same as MP4 by index in 0.07 s.
  verifyScanBytesPerSecond: 210e6,
  verifyIndexSeconds: 0.1,
  finalizeSeconds: 0.5,
  startupSeconds: 1.5,
  arm64EncodeFactor: 1.25,
};

/** vCPUs Lambda gives a function: proportional to memory up to one at 1,769 MB, then linear to six at 10,240 MB. */
export function lambdaVcpus(memoryMb: number): number {
  if (memoryMb <= 1769) return memoryMb / 1769;
  return Math.min(6, 1 + ((memoryMb - 1769) * 5) / (10_240 - 1769));
}

/**
 * Encoder speed-up on n cores relative to one: n^0.85 fits x264's measured threading (5.8x at 8 threads,
 * doc/threads.txt); below one core the process gets that share of a core.
 */
export function threadSpeedup(n: number): number {
  return n <= 1 ? n : n ** 0.85;
}

/** Encode seconds in a function per second of source, from the calibration (its threads to the function's vCPUs). */
export function functionEncodeRate(
  cal: EncodeCalibration,
  deployment: AwsDeployment,
  assumptions: ProjectionAssumptions = DEFAULT_PROJECTION_ASSUMPTIONS,
): number {
  const arch = deployment.architecture === 'arm64' ? assumptions.arm64EncodeFactor : 1;
  return cal.encodeSecondsPerSourceSecond * (threadSpeedup(cal.threads) / threadSpeedup(lambdaVcpus(deployment.memoryMb))) * arch;
}

/**
 * The longest segment (seconds of source) whose projected time in a function, start-up included, stays within
 * `share` of the timeout: where `estimate` stops warning, and how far the planner may lengthen segments.
 */
export function longestSegmentSeconds(
  cal: EncodeCalibration,
  deployment: AwsDeployment,
  timeoutSeconds: number,
  share = 0.5,
  assumptions: ProjectionAssumptions = DEFAULT_PROJECTION_ASSUMPTIONS,
): number {
  return (
    Math.max(0, timeoutSeconds * share - assumptions.startupSeconds) / Math.max(1e-9, functionEncodeRate(cal, deployment, assumptions))
  );
}

export interface JobProjection {
  segments: number;
  /** Rounds of `concurrency` segments. */
  waves: number;
  /** Segments in the last round (`concurrency` where every round is full). */
  lastWave: number;
  vcpus: number;
  segmentWallSeconds: number;
  analyzeSeconds: number;
  audioWallSeconds: number;
  mergeSeconds: number;
  finalizeSeconds: number;
  wallSeconds: number;
  /** One ffmpeg process on the calibration machine, for comparison. */
  singleProcessSeconds: number;
  /** The job as the cost model sees it. */
  job: MeasuredJob;
  cost: CostEstimate;
}

/** Projects wall time and cost of a job before it runs, from the probe and a local speed calibration. */
export function projectJob(
  input: ProjectionInputs,
  deployment: AwsDeployment,
  prices: AwsPrices,
  assumptions: ProjectionAssumptions = DEFAULT_PROJECTION_ASSUMPTIONS,
  costAssumptions: CostAssumptions = DEFAULT_COST_ASSUMPTIONS,
): JobProjection {
  const a = assumptions;
  const cal = input.calibration;
  const segments = Math.max(1, input.segments ?? Math.ceil(input.durationSeconds / input.segmentSeconds));
  const segmentSeconds = input.durationSeconds / segments;
  const vcpus = lambdaVcpus(deployment.memoryMb);
  const encodeSeconds = segmentSeconds * functionEncodeRate(cal, deployment, a);
  const segmentWallSeconds = a.startupSeconds + encodeSeconds;
  const width = Math.max(1, Math.floor(input.concurrency));
  const waves = Math.ceil(segments / width);
  const readSource = input.sourceBytes / a.s3ReadBytesPerSecond;
  const ranges = input.sourceBytes >= a.parallelScan.minBytes ? a.parallelScan.ranges : 1;
  const scanSource = input.sourceBytes / Math.min(ranges * a.s3ReadBytesPerSecond, a.functionNetworkBytesPerSecond);
  const analyzeSeconds = a.startupSeconds + scanSource;
  const audioWallSeconds = input.hasAudio ? a.startupSeconds + readSource + input.durationSeconds * a.audioSecondsPerSourceSecond : 0;
  const outputBytes = input.durationSeconds * cal.outputBytesPerSecond;
  // Merge verifies the file it wrote before it commits it (the file is on its /tmp).
  const verifySeconds = input.indexedOutput === false ? outputBytes / a.verifyScanBytesPerSecond : a.verifyIndexSeconds;
  const mergeSeconds = a.startupSeconds + outputBytes / a.mergeBytesPerSecond + verifySeconds;
  const finalizeSeconds = a.startupSeconds + a.finalizeSeconds;
  const wallSeconds = analyzeSeconds + Math.max(audioWallSeconds, waves * segmentWallSeconds) + mergeSeconds + finalizeSeconds;
  // The cost model adds its own per-invocation overhead, so task times exclude start-up here.
  const task = (seconds: number, sizeBytes: number): MeasuredTask => ({ wallMs: seconds * 1000, attempts: 1, sizeBytes });
  const job: MeasuredJob = {
    video: Array.from({ length: segments }, () => task(encodeSeconds, outputBytes / segments)),
    ...(input.hasAudio ? { audio: task(audioWallSeconds - a.startupSeconds, input.durationSeconds * a.audioBytesPerSecond) } : {}),
    analyzeMs: (analyzeSeconds - a.startupSeconds) * 1000,
    mergeMs: (mergeSeconds - a.startupSeconds) * 1000,
    finalizeMs: (finalizeSeconds - a.startupSeconds) * 1000,
    sourceBytes: input.sourceBytes,
    outputBytes,
    totalMs: wallSeconds * 1000,
    ...(input.downloaded ? { downloaded: true } : {}),
  };
  return {
    segments,
    waves,
    lastWave: lastWaveOf(segments, width),
    vcpus,
    segmentWallSeconds,
    analyzeSeconds,
    audioWallSeconds,
    mergeSeconds,
    finalizeSeconds,
    wallSeconds,
    singleProcessSeconds: input.durationSeconds * cal.encodeSecondsPerSourceSecond,
    job,
    cost: estimateJobCost(job, deployment, prices, costAssumptions),
  };
}
