/**
 * What a job costs on AWS, from measured task durations (`estimateJobCost`) or projected ones (`projectJob`).
 * Pure: prices come in as data (prices/aws-prices.json, read by the caller). Every quantity is one line of the
 * result, so a reader can check the arithmetic. Sizes in bytes; storage is billed per GiB ("GB" on AWS bills).
 */

import { PARALLEL_SCAN } from './packet-scan.js';

export type PriceKey =
  | 'lambdaGbSecondX86'
  | 'lambdaGbSecondArm'
  | 'lambdaRequest'
  | 'lambdaEphemeralGbSecond'
  | 'sfnStateTransition'
  | 's3PutRequest'
  | 's3GetRequest'
  | 's3StorageGbMonth'
  | 'dynamoDbWriteRequestUnit'
  | 'dynamoDbReadRequestUnit'
  | 'efsStorageGbMonth'
  | 'efsElasticReadGb'
  | 'efsElasticWriteGb'
  | 'ecrStorageGbMonth'
  | 'dataTransferOutGb';

export interface PriceEntry {
  usd: number;
  unit: string;
  /** When the price was published (YYYY-MM-DD). */
  date: string;
  source: string;
}

export interface AwsPrices {
  region: string;
  currency: string;
  note?: string;
  prices: Record<PriceKey, PriceEntry>;
}

/** How the stack is deployed (the CDK context that matters for cost). */
export interface AwsDeployment {
  storage: 's3' | 'efs';
  architecture: 'x86_64' | 'arm64';
  /** Memory of the step functions, MB. */
  memoryMb: number;
  /** /tmp size, MB (the first 512 MB are free). */
  ephemeralMb: number;
}

export interface MeasuredTask {
  wallMs: number;
  /** Attempts made (each one an invocation; failed attempts are counted at the same duration). */
  attempts: number;
  sizeBytes: number;
}

/** A finished (or projected) job, as the ledger records it. */
export interface MeasuredJob {
  video: MeasuredTask[];
  audio?: MeasuredTask;
  analyzeMs: number;
  mergeMs: number;
  /** Verify, commit and clean up. */
  finalizeMs: number;
  sourceBytes: number;
  outputBytes: number;
  /** Start to finish: how long the temp files exist. */
  totalMs: number;
  /** The output is downloaded out of AWS (a local output path): billed as data transfer out. */
  downloaded?: boolean;
}

/** What the model cannot measure; each default is explained where it is used. */
export interface CostAssumptions {
  /** Per invocation, on top of the measured encode time: start-up, ledger calls, blob transfers. */
  invocationOverheadMs: number;
  /** Multipart part size of uploads (S3BlobStore's default). */
  s3PartSizeBytes: number;
  /** GET requests ffmpeg makes to read one range of the source through a presigned URL (open, seek, read). */
  getsPerSourceRead: number;
  /** Ledger writes per task: claim, done, and two events (each an ADD on the job item and a put). */
  ledgerWritesPerTask: number;
  /** Ledger writes per job: create, status changes, job-level events. */
  ledgerWritesPerJob: number;
  /** Size of a job-item write in KB (write units are per KB; the plan and analysis are gzipped). */
  jobItemKb: number;
  /** Progress polling interval of the CLI, seconds (each poll is one eventually consistent read of the job item). */
  pollSeconds: number;
  /** Size of a task item in KB (its ffmpeg arguments and stderr tail). */
  taskItemKb: number;
  /** The function image in ECR, GB (compressed: the Lambda Node 22 base, a static ffmpeg and ffprobe, the code). */
  imageGb: number;
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  invocationOverheadMs: 500,
  s3PartSizeBytes: 16 * 1024 * 1024,
  getsPerSourceRead: 4,
  ledgerWritesPerTask: 6,
  ledgerWritesPerJob: 24,
  jobItemKb: 2,
  pollSeconds: 1,
  taskItemKb: 2,
  imageGb: 0.35,
};

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  unitUsd: number;
  usd: number;
}

export interface CostEstimate {
  region: string;
  /** Per job. */
  lines: CostLine[];
  totalUsd: number;
  /** Paid every month whatever runs (the function image in ECR). */
  fixedMonthly: CostLine[];
  fixedMonthlyUsd: number;
  /** Paid every month while the job's files stay in the bucket (the uploaded source under inputs/, the output under outputs/). */
  keptMonthly: CostLine[];
  keptMonthlyUsd: number;
  /** The price dates used. */
  pricesAsOf: string;
}

const GIB = 1024 ** 3;
const HOURS_PER_MONTH = 730;

/** States entered by one execution of infra/workflow.asl.json, retries included (each is billed). */
export function countStateTransitions(shape: { segments: number; retries: number; audio: boolean; mapChoice?: boolean }): number {
  const analyzeAndParallel = 2 + (shape.mapChoice ? 1 : 0); // Analyze, (ChooseSegmentMap,) EncodeAll
  const map = 1 + shape.segments + shape.retries; // EncodeSegments, one EncodeSegment per item (+ each retry)
  const audioBranch = shape.audio ? 3 : 2; // HasAudio → AudioTask → EncodeAudio, or HasAudio → NoAudio
  const tail = 2; // Merge, Finalize
  return analyzeAndParallel + map + audioBranch + tail;
}

/** PUT-class requests of one upload: one PUT, or create + parts + complete. */
export function uploadRequests(sizeBytes: number, partSizeBytes: number): number {
  return sizeBytes <= partSizeBytes ? 1 : Math.ceil(sizeBytes / partSizeBytes) + 2;
}

/**
 * /tmp per function: Merge writes the whole output there (the deployment's size, up to Lambda's 10 GiB); an
 * encode one segment or the audio track (2 GiB at most); the others nothing large (Lambda's 512 MiB). The stack
 * (src/infra/shardcast-stack.ts) sizes its functions by this, and the estimate bills by it.
 */
export function ephemeralMbOf(step: string, deploymentMb: number): number {
  if (step === 'merge') return deploymentMb;
  if (step === 'encode-segment' || step === 'encode-audio') return Math.min(deploymentMb, 2048);
  return 512;
}

export function estimateJobCost(
  job: MeasuredJob,
  deployment: AwsDeployment,
  prices: AwsPrices,
  assumptions: CostAssumptions = DEFAULT_COST_ASSUMPTIONS,
): CostEstimate {
  const p = prices.prices;
  const a = assumptions;
  const tasks = [...job.video, ...(job.audio ? [job.audio] : [])];
  const taskAttempts = tasks.reduce((n, t) => n + Math.max(1, t.attempts), 0);
  const retries = taskAttempts - tasks.length;
  const taskMs = tasks.reduce((ms, t) => ms + Math.max(1, t.attempts) * t.wallMs, 0);
  const invocations = 3 + taskAttempts; // analyze, merge, finalize + every task attempt
  const billedMs = job.analyzeMs + job.mergeMs + job.finalizeMs + taskMs + invocations * a.invocationOverheadMs;
  const seconds = billedMs / 1000;
  const tempBytes = tasks.reduce((b, t) => b + t.sizeBytes, 0);
  const uploadedTempBytes = tasks.reduce((b, t) => b + Math.max(1, t.attempts) * t.sizeBytes, 0);
  const tempMonths = job.totalMs / 3_600_000 / HOURS_PER_MONTH;

  const lines: CostLine[] = [];
  const line = (item: string, quantity: number, key: PriceKey) => {
    const unitUsd = p[key].usd;
    lines.push({ item, quantity, unit: p[key].unit, unitUsd, usd: quantity * unitUsd });
  };
  const gbSecond = deployment.architecture === 'arm64' ? 'lambdaGbSecondArm' : 'lambdaGbSecondX86';
  line(`Lambda compute (${invocations} invocations at ${deployment.memoryMb} MB)`, seconds * (deployment.memoryMb / 1024), gbSecond);
  line('Lambda requests', invocations, 'lambdaRequest');
  // Billed per function: Merge's /tmp for its seconds, the encodes' for theirs.
  const extraGb = (step: string) => Math.max(0, ephemeralMbOf(step, deployment.ephemeralMb) - 512) / 1024;
  const tmpGbSeconds = (job.mergeMs / 1000) * extraGb('merge') + (taskMs / 1000) * extraGb('encode-segment');
  if (tmpGbSeconds > 0)
    line(
      `Lambda /tmp above 512 MB (merge ${ephemeralMbOf('merge', deployment.ephemeralMb)} MB, encodes ${ephemeralMbOf('encode-segment', deployment.ephemeralMb)} MB)`,
      tmpGbSeconds,
      'lambdaEphemeralGbSecond',
    );
  line(
    'Step Functions state transitions',
    countStateTransitions({ segments: job.video.length, retries, audio: Boolean(job.audio), mapChoice: true }),
    'sfnStateTransition',
  );

  // The source is read from S3 in both setups: analyze, every task attempt; the output is uploaded to S3.
  const sourceGets = (1 + taskAttempts) * a.getsPerSourceRead;
  const outputPuts = uploadRequests(job.outputBytes, a.s3PartSizeBytes);
  if (deployment.storage === 's3') {
    const tempPuts = tasks.reduce((n, t) => n + Math.max(1, t.attempts) * uploadRequests(t.sizeBytes, a.s3PartSizeBytes), 0);
    const listPages = Math.max(1, Math.ceil(tasks.length / 1000)); // deletePrefix; deletes are free
    line('S3 PUT/LIST requests (temp files, output, cleanup)', tempPuts + outputPuts + listPages, 's3PutRequest');
    // Merge reads every temp file once; a HEAD (stat) per task checks it first.
    line('S3 GET/HEAD requests (source ranges, temp files)', sourceGets + 2 * tasks.length, 's3GetRequest');
    line('S3 temp storage', (tempBytes / GIB) * tempMonths, 's3StorageGbMonth');
  } else {
    line('S3 PUT requests (output)', outputPuts, 's3PutRequest');
    line('S3 GET requests (source ranges)', sourceGets, 's3GetRequest');
    line('EFS temp storage', ((tempBytes + job.outputBytes) / GIB) * tempMonths, 'efsStorageGbMonth');
    // Written: every task attempt's file and the merged output; read: the task files (merge), the output (verify, upload).
    line('EFS elastic throughput, writes', (uploadedTempBytes + job.outputBytes) / GIB, 'efsElasticWriteGb');
    line('EFS elastic throughput, reads', (tempBytes + 2 * job.outputBytes) / GIB, 'efsElasticReadGb');
  }

  const writeUnits = a.ledgerWritesPerJob * a.jobItemKb + a.ledgerWritesPerTask * tasks.length + 2 * retries;
  line('DynamoDB write request units', writeUnits, 'dynamoDbWriteRequestUnit');
  // Each invocation reads the job item (its head) and its task, strongly consistent (4 KB per read unit); each
  // progress poll reads the job item's counters, eventually consistent (half a unit); the end lists the tasks.
  const invocationReads = invocations * (Math.ceil(a.jobItemKb / 4) + Math.ceil(a.taskItemKb / 4));
  const pollReads = Math.ceil(job.totalMs / 1000 / a.pollSeconds) * 0.5 + Math.ceil((tasks.length * a.taskItemKb) / 4);
  line('DynamoDB read request units', invocationReads + pollReads, 'dynamoDbReadRequestUnit');
  if (job.downloaded) line('Data transfer out (the output downloaded)', job.outputBytes / GIB, 'dataTransferOutGb');

  const entry = (item: string, quantity: number, key: PriceKey): CostLine => ({
    item,
    quantity,
    unit: p[key].unit,
    unitUsd: p[key].usd,
    usd: quantity * p[key].usd,
  });
  const fixedMonthly = [entry('ECR: the function image', a.imageGb, 'ecrStorageGbMonth')];
  const keptMonthly = [
    entry('S3: the source under inputs/ and the output under outputs/', (job.sourceBytes + job.outputBytes) / GIB, 's3StorageGbMonth'),
  ];
  const sum = (ls: CostLine[]) => ls.reduce((s, l) => s + l.usd, 0);
  const dates = Object.values(p)
    .map((e) => e.date)
    .sort();
  return {
    region: prices.region,
    lines,
    totalUsd: sum(lines),
    fixedMonthly,
    fixedMonthlyUsd: sum(fixedMonthly),
    keptMonthly,
    keptMonthlyUsd: sum(keptMonthly),
    pricesAsOf: dates[dates.length - 1] ?? '',
  };
}

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

export interface JobProjection {
  segments: number;
  /** Rounds of `concurrency` segments. */
  waves: number;
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
  const arch = deployment.architecture === 'arm64' ? a.arm64EncodeFactor : 1;
  const encodeSeconds = segmentSeconds * cal.encodeSecondsPerSourceSecond * (threadSpeedup(cal.threads) / threadSpeedup(vcpus)) * arch;
  const segmentWallSeconds = a.startupSeconds + encodeSeconds;
  const waves = Math.ceil(segments / Math.max(1, input.concurrency));
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
