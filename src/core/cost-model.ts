/**
 * What a job costs on AWS, from measured task durations (`estimateJobCost`); projected durations, for a job not
 * run yet, are job-projection.ts's.
 * Pure: prices come in as data (prices/aws-prices.json, read by the caller). Every quantity is one line of the
 * result, so a reader can check the arithmetic. Sizes in bytes; storage is billed per GiB ("GB" on AWS bills).
 */

import { plural } from './words.js';

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
  /** A storage line's bytes and how long they are kept (seconds; absent: a month), for a reader: quantity is GB-months. */
  stored?: { bytes: number; seconds?: number };
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
export function countStateTransitions(shape: {
  segments: number;
  retries: number;
  audio: boolean;
  mapChoice?: boolean;
  /** Started by an upload (deploy --watch-prefix): Admit makes the job first. */
  upload?: boolean;
}): number {
  const start = 1 + (shape.upload ? 2 : 0); // Start (a Choice); for an upload Admit and Admitted too
  const analyzeAndParallel = start + 3 + (shape.mapChoice ? 1 : 0); // Analyze, NotifyStarted, (ChooseSegmentMap,) EncodeAll
  const map = 1 + shape.segments + shape.retries; // EncodeSegments, one EncodeSegment per item (+ each retry)
  const audioBranch = shape.audio ? 3 : 2; // HasAudio → AudioTask → EncodeAudio, or HasAudio → NoAudio
  const tail = 4; // Merge, Finalize, NotifyDone, JobDone
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
  const line = (item: string, quantity: number, key: PriceKey, stored?: CostLine['stored']) => {
    const unitUsd = p[key].usd;
    lines.push({ item, quantity, unit: p[key].unit, unitUsd, usd: quantity * unitUsd, ...(stored ? { stored } : {}) });
  };
  const keptSeconds = job.totalMs / 1000;
  const gbSecond = deployment.architecture === 'arm64' ? 'lambdaGbSecondArm' : 'lambdaGbSecondX86';
  line(
    `Lambda compute (${plural(invocations, 'invocation')} at ${deployment.memoryMb} MB)`,
    seconds * (deployment.memoryMb / 1024),
    gbSecond,
  );
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
    line('S3 temp storage', (tempBytes / GIB) * tempMonths, 's3StorageGbMonth', { bytes: tempBytes, seconds: keptSeconds });
  } else {
    line('S3 PUT requests (output)', outputPuts, 's3PutRequest');
    line('S3 GET requests (source ranges)', sourceGets, 's3GetRequest');
    line('EFS temp storage', ((tempBytes + job.outputBytes) / GIB) * tempMonths, 'efsStorageGbMonth', {
      bytes: tempBytes + job.outputBytes,
      seconds: keptSeconds,
    });
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

  // A month's storage: quantity GB-months of `bytes`.
  const monthOf = (item: string, bytes: number, key: PriceKey): CostLine => ({
    item,
    quantity: bytes / GIB,
    unit: p[key].unit,
    unitUsd: p[key].usd,
    usd: (bytes / GIB) * p[key].usd,
    stored: { bytes },
  });
  const fixedMonthly = [monthOf('ECR: the function image', a.imageGb * GIB, 'ecrStorageGbMonth')];
  const keptMonthly = [
    monthOf('S3: the source under inputs/ and the output under outputs/', job.sourceBytes + job.outputBytes, 's3StorageGbMonth'),
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
