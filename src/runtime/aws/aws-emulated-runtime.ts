/**
 * Composition root for `--backend aws-emulated`: the AWS backend with its cloud replaced by emulators on
 * 127.0.0.1 (dynalite for DynamoDB, s3rver for S3) and the real state machine definition run by a local
 * interpreter whose Task states call the real Lambda step functions (src/lambda) in this process.
 * Emulator state is kept under `<stateDir>/aws-emulated/` (dynalite/, s3/, and efs/ for storage=efs), so
 * `status`, `jobs` and `retry --backend aws-emulated` find the jobs later.
 *
 * Over 300 lines: every limit Lambda and Step Functions enforce (throttles, quotas, timeouts, payload sizes,
 * runtime deaths) is applied around each invocation here, in one place, for both ways an execution starts (a
 * job, an upload).
 */
import { join } from 'node:path';
import {
  ensureLedgerTable,
  EMULATOR_CREDENTIALS,
  EMULATOR_REGION,
  startDynalite,
  type DynaliteServer,
} from '../../adapters/aws/dynalite-server.js';
import { notifyHandlers, startLocalWorkflow, type WorkflowOutcome, type WorkflowTaskHandlers } from '../../adapters/aws/local-workflow.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverProcess } from '../../adapters/aws/s3rver-process.js';
import { emit, type TaskProgress } from '../../app/deps.js';
import { CancelledError, NotFoundError, UsageError } from '../../core/errors.js';
import { seededRandom, seedOf } from '../../core/seeded-random.js';
import { HISTORY_EVENT_LIMIT, maxInlineSegments, payloadOverLimit, type MapMode } from '../../core/state-limits.js';
import { admitStep } from '../../lambda/admit.js';
import { analyzeStep } from '../../lambda/analyze.js';
import { createdObjectOf, DEFAULT_WATCH_PREFIX, triggeredJobOf } from '../../core/s3-trigger.js';
import { catalogJson, type TemplateCatalog } from '../templates.js';
import { encodeAudioStep } from '../../lambda/encode-audio.js';
import { encodeSegmentStep } from '../../lambda/encode-segment.js';
import { finalizeStep } from '../../lambda/finalize.js';
import type { Step } from '../../lambda/lambda-entry.js';
import { markFailedStep } from '../../lambda/mark-failed.js';
import { mergeStep } from '../../lambda/merge.js';
import { emulatedNotifyStep } from '../../lambda/notify.js';
import type { MediaTool } from '../../ports/media-tool.js';
import { makeAwsRuntime, type AwsRuntime, type StepRuntime } from './aws-runtime.js';
import { isLocalWorkerAlive, jobIdFor, localWorkerId } from '../process-identity.js';

/** The emulated stack watches uploads as one deployed with `--watch-prefix in/`. */
export const UPLOAD_PREFIX = DEFAULT_WATCH_PREFIX;
/** The deployment's retries of a failed task (`deploy --retries`, default 2): what an upload's job gets. */
const DEFAULT_TASK_RETRY_ATTEMPTS = 2;
export const EMULATED_BUCKET = 'shardcast-emulated';
export const EMULATED_TABLE = 'shardcast-ledger';
/** The deployed stack's default task timeout (Lambda's 900 s + 60 s), so a slow local encode is not cut at 60 s. */
const TASK_TIMEOUT_SECONDS = 960;

/**
 * What AWS's Lambda service enforces and the emulators do not, so tests can fail where AWS would:
 * SHARDCAST_EMULATED_THROTTLE=<fraction> refuses that share of invocations, SHARDCAST_EMULATED_CONCURRENCY=<n>
 * refuses any beyond n at once (an account's concurrency quota); a refusal is Lambda.TooManyRequestsException,
 * as the workflow's retriers see it on AWS, and a `lambda.throttled` job event.
 */
export interface EmulatedLambdaLimits {
  throttle: number;
  concurrency?: number;
  /**
   * What lambda:GetAccountSettings reports as the account's unreserved concurrency
   * (SHARDCAST_EMULATED_UNRESERVED=<n>); unset: not readable, as for a role without the permission.
   */
  unreserved?: number;
}

export function emulatedLambdaLimits(env: Record<string, string | undefined>): EmulatedLambdaLimits {
  const t = env.SHARDCAST_EMULATED_THROTTLE;
  const throttle = t === undefined || t === '' ? 0 : Number(t);
  if (!(throttle >= 0 && throttle < 1))
    throw new UsageError(`SHARDCAST_EMULATED_THROTTLE must be a fraction from 0 to below 1, got ${JSON.stringify(t)}`);
  const whole = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number from 1, got ${JSON.stringify(v)}`);
    return n;
  };
  const concurrency = whole('SHARDCAST_EMULATED_CONCURRENCY');
  const unreserved = whole('SHARDCAST_EMULATED_UNRESERVED');
  return { throttle, ...(concurrency !== undefined ? { concurrency } : {}), ...(unreserved !== undefined ? { unreserved } : {}) };
}

/**
 * What Step Functions enforces on an execution and the interpreter does not: its history (25,000 events;
 * SHARDCAST_EMULATED_HISTORY_LIMIT=<n> lowers it, so a test can reach it with a few segments), under the
 * deployment's Map mode (SHARDCAST_EMULATED_MAP=auto|inline|distributed, default auto as `shardcast deploy`
 * makes it below 41 at once).
 */
export interface EmulatedWorkflowLimits {
  historyEventLimit: number;
  mapMode: MapMode;
  /**
   * The functions' timeout (SHARDCAST_EMULATED_FUNCTION_TIMEOUT, default 900 s): enforced on every invocation
   * as Lambda does (Sandbox.Timedout), and the limit the planner keeps segments inside.
   */
  functionTimeoutSeconds: number;
}

export function emulatedWorkflowLimits(env: Record<string, string | undefined>): EmulatedWorkflowLimits {
  const h = env.SHARDCAST_EMULATED_HISTORY_LIMIT;
  const m = env.SHARDCAST_EMULATED_MAP;
  const historyEventLimit = h === undefined || h === '' ? HISTORY_EVENT_LIMIT : Number(h);
  if (!Number.isInteger(historyEventLimit) || historyEventLimit < 10)
    throw new UsageError(`SHARDCAST_EMULATED_HISTORY_LIMIT must be a whole number from 10, got ${JSON.stringify(h)}`);
  const mapMode = m === undefined || m === '' ? 'auto' : m;
  if (mapMode !== 'auto' && mapMode !== 'inline' && mapMode !== 'distributed')
    throw new UsageError(`SHARDCAST_EMULATED_MAP must be auto, inline or distributed, got ${JSON.stringify(m)}`);
  const f = env.SHARDCAST_EMULATED_FUNCTION_TIMEOUT;
  const functionTimeoutSeconds = f === undefined || f === '' ? 900 : Number(f);
  if (!Number.isInteger(functionTimeoutSeconds) || functionTimeoutSeconds < 1 || functionTimeoutSeconds > 900)
    throw new UsageError(`SHARDCAST_EMULATED_FUNCTION_TIMEOUT must be a whole number of seconds from 1 to 900, got ${JSON.stringify(f)}`);
  return { historyEventLimit, mapMode, functionTimeoutSeconds };
}

export interface EmulatedAwsConfig {
  stateDir: string;
  env: Record<string, string | undefined>;
  storage?: 's3' | 'efs';
  /** Start the DynamoDB emulator only (status, jobs). */
  ledgerOnly?: boolean;
  onProgress?: (p: TaskProgress) => void;
  /** Test hooks: wrap the ffmpeg runner (inject faults); replace retry backoff with this many ms. */
  wrapMedia?: (media: MediaTool) => MediaTool;
  retryIntervalMs?: number;
  /**
   * Test hook: when it answers an error name for an invocation (`Runtime.ExitError`, `Runtime.OutOfMemory`:
   * what Lambda reports for a runtime that was killed), the invocation dies with it instead of running its step.
   * The hook leaves the ledger as the dead invocation would have (a task running, its heartbeat stopped).
   */
  invocationDeath?: (state: string, input: unknown) => Promise<string | undefined>;
  /** Test hook: a running task whose heartbeat is older than this is stale (default STALE_TASK_MS). */
  staleTaskMs?: number;
  /** Test hook: the S3 endpoint the handlers use (and presign for), given the emulator's (a proxy in front). */
  s3Via?: (endpoint: string) => Promise<string>;
  /** The project's templates, as a deployment carries them (`deploy --config`); the built-ins without. */
  templates?: TemplateCatalog;
}

export interface EmulatedAws {
  runtime: AwsRuntime;
  bucket: string;
  dynamoDbEndpoint: string;
  s3Endpoint: string | undefined;
  /** One execution of the state machine for the job, to its end; an abort stops it and its encodes. */
  runWorkflow(jobId: string, signal?: AbortSignal): Promise<WorkflowOutcome>;
  /**
   * One execution started as EventBridge starts it for an upload under `in/` (`deploy --watch-prefix in/`):
   * the S3 Object Created event is its input, and its Admit state makes the job.
   */
  runUpload(event: unknown, signal?: AbortSignal): Promise<WorkflowOutcome>;
  /** The handlers' step functions, for tests that invoke a step directly (a redelivery). */
  stepRuntime(): StepRuntime;
  /** Stops the emulators (no `this`: callers pass it on as a function). */
  close: () => Promise<void>;
}

export async function startEmulatedAws(cfg: EmulatedAwsConfig): Promise<EmulatedAws> {
  const dir = join(cfg.stateDir, 'aws-emulated');
  const limits = emulatedLambdaLimits(cfg.env);
  const workflowLimits = emulatedWorkflowLimits(cfg.env);
  let dynamo: DynaliteServer | undefined;
  let s3: S3rverProcess | undefined;
  try {
    dynamo = await startDynalite({ path: join(dir, 'dynalite') });
    await ensureLedgerTable(dynamo.endpoint, EMULATED_TABLE);
    if (!cfg.ledgerOnly) s3 = await startS3rver([EMULATED_BUCKET], { directory: join(dir, 's3') });
  } catch (err) {
    await dynamo?.stop();
    throw err;
  }
  const runtime = makeAwsRuntime({
    settings: {
      tableName: EMULATED_TABLE,
      bucket: EMULATED_BUCKET,
      storage: cfg.storage ?? 's3',
      efsRoot: join(dir, 'efs'),
      tempPrefix: 'tmp/',
      ledgerTtlHours: 48,
      functionTimeoutSeconds: workflowLimits.functionTimeoutSeconds,
      // As a stack deployed with --watch-prefix in/ (and --config): uploads under in/<template>/ start jobs.
      watchPrefix: UPLOAD_PREFIX,
      ...(cfg.templates ? { templatesJson: catalogJson(cfg.templates) } : {}),
    },
    env: cfg.env,
    workerId: localWorkerId(),
    dynamoDb: { endpoint: dynamo.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS },
    // Without an S3 emulator (ledgerOnly) the client points nowhere and is never used.
    s3: {
      endpoint: s3 && cfg.s3Via ? await cfg.s3Via(s3.endpoint) : (s3?.endpoint ?? 'http://127.0.0.1:9'),
      region: EMULATOR_REGION,
      credentials: S3RVER_CREDENTIALS,
    },
    scratchRoot: join(dir, 'tmp'),
    encodeThreads: 'job',
    home: 'aws-emulated',
    isWorkerAlive: isLocalWorkerAlive,
    ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
    ...(cfg.wrapMedia ? { wrapMedia: cfg.wrapMedia } : {}),
  });

  async function runWorkflow(jobId: string, signal?: AbortSignal): Promise<WorkflowOutcome> {
    const job = await runtime.deps.ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`no job ${jobId}`);
    return execute({ jobId }, jobId, Math.max(0, job.options.maxAttempts - 1), signal);
  }

  async function runUpload(event: unknown, signal?: AbortSignal): Promise<WorkflowOutcome> {
    // The job's id is known from the event (Admit makes it with this id); the retries are the deployment's.
    const object = createdObjectOf(event);
    const trigger = object ? triggeredJobOf(object, UPLOAD_PREFIX) : undefined;
    const jobId = trigger && !('skip' in trigger) ? jobIdFor(...trigger.idParts) : 'upload';
    return execute(event as Record<string, unknown>, jobId, DEFAULT_TASK_RETRY_ATTEMPTS, signal);
  }

  async function execute(
    input: { jobId: string } | Record<string, unknown>,
    jobId: string,
    taskRetryAttempts: number,
    signal?: AbortSignal,
  ): Promise<WorkflowOutcome> {
    // Ctrl-C stops the execution and its running encodes (their tasks go back to pending).
    const stop = new AbortController();
    const stepRt: StepRuntime = {
      ...runtime,
      // What GetAccountSettings would say (SHARDCAST_EMULATED_UNRESERVED), not AWS's own.
      lambdaCapacity: async () => (limits.unreserved !== undefined ? { unreserved: limits.unreserved } : undefined),
      signal: stop.signal,
      ...(cfg.staleTaskMs !== undefined ? { staleTaskMs: cfg.staleTaskMs } : {}),
    };
    const inFlight = new Set<Promise<unknown>>();
    let ended = false;
    // Seeded by the job, so a run's refusals replay the same.
    const rand = seededRandom(seedOf(jobId));
    const refusal = (state: string): Error | undefined => {
      const why =
        limits.concurrency !== undefined && inFlight.size >= limits.concurrency
          ? `${inFlight.size} invocations running, the account's quota is ${limits.concurrency}`
          : limits.throttle > 0 && rand() < limits.throttle
            ? `throttled (SHARDCAST_EMULATED_THROTTLE ${limits.throttle})`
            : undefined;
      if (!why) return undefined;
      void emit(runtime.deps, jobId, 'lambda.throttled', `${state}: invocation refused, Lambda.TooManyRequestsException: ${why}`, {
        state,
      });
      return Object.assign(new Error(`Rate Exceeded. (${why})`), { name: 'Lambda.TooManyRequestsException' });
    };
    const call =
      <O>(step: Step<O>, state: string) =>
      async (input: unknown): Promise<unknown> => {
        if (ended || stop.signal.aborted) throw new CancelledError('the execution has ended');
        const refused = refusal(state);
        if (refused) throw refused;
        const tooBig = payloadOverLimit(state, 'input', input);
        if (tooBig) throw tooBig;
        const death = await cfg.invocationDeath?.(state, input);
        if (death) {
          void emit(runtime.deps, jobId, 'lambda.died', `${state}: the invocation's runtime died (${death})`, { state });
          throw Object.assign(new Error(`RequestId: emulated Error: Runtime exited (${death})`), { name: death });
        }
        // As Lambda ends an invocation at the function's timeout (Sandbox.Timedout): the workflow's retrier sees
        // the timeout, and an encode is stopped (its task handed back). Unlike Lambda, which ends the process,
        // Analyze, Merge and Finalize here run on to their end in the background. MarkFailed has its own 60 s.
        const invocation = new AbortController();
        const timeoutSeconds = state === 'MarkFailed' ? 60 : workflowLimits.functionTimeoutSeconds;
        // The output is checked as Step Functions would: a result over the limit fails the state.
        const p = step({ ...stepRt, signal: AbortSignal.any([stop.signal, invocation.signal]) }, input).then((out) => {
          const over = payloadOverLimit(state, 'output', out);
          if (over) throw over;
          return out;
        });
        inFlight.add(p);
        void p.catch(() => undefined).finally(() => inFlight.delete(p));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            invocation.abort();
            void emit(
              runtime.deps,
              jobId,
              'lambda.timeout',
              `${state}: the invocation ran past the ${timeoutSeconds} s function timeout (Sandbox.Timedout)`,
              { state },
            );
            reject(Object.assign(new Error(`Task timed out after ${timeoutSeconds}.00 seconds`), { name: 'Sandbox.Timedout' }));
          }, timeoutSeconds * 1000);
        });
        return Promise.race([p, timedOut]).finally(() => clearTimeout(timer));
      };
    const handlers: WorkflowTaskHandlers = {
      Admit: call(admitStep, 'Admit'),
      Analyze: call(analyzeStep, 'Analyze'),
      EncodeSegment: call(encodeSegmentStep, 'EncodeSegment'),
      EncodeAudio: call(encodeAudioStep, 'EncodeAudio'),
      Merge: call(mergeStep, 'Merge'),
      Finalize: call(finalizeStep, 'Finalize'),
      MarkFailed: call(markFailedStep, 'MarkFailed'),
      ...notifyHandlers((state) => call(emulatedNotifyStep(cfg.env), state)),
    };
    const execution = startLocalWorkflow(input, handlers, {
      taskTimeoutSeconds: TASK_TIMEOUT_SECONDS,
      taskRetryAttempts,
      ...(cfg.retryIntervalMs !== undefined ? { retryIntervalMs: cfg.retryIntervalMs } : {}),
      historyEventLimit: workflowLimits.historyEventLimit,
      mapMode: workflowLimits.mapMode,
      maxInlineSegments: maxInlineSegments(workflowLimits.historyEventLimit),
    });
    const onAbort = () => {
      stop.abort();
      execution.abort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // A signal that fired before the listener was added (Ctrl-C during the upload) stops it all the same.
    if (signal?.aborted) onAbort();
    try {
      const outcome = await execution.result;
      // As on AWS, where an invoked function runs to its end whatever happens to the execution: a failed
      // branch leaves the other branch's running encodes to finish (they are recorded done), and nothing new
      // starts. Waiting for them means nothing writes to the emulators after they stop.
      ended = true;
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      return outcome;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    runtime,
    bucket: EMULATED_BUCKET,
    dynamoDbEndpoint: dynamo.endpoint,
    s3Endpoint: s3?.endpoint,
    runWorkflow,
    runUpload,
    stepRuntime: () => runtime,
    async close() {
      await runtime.close();
      await s3?.stop();
      await dynamo?.stop();
    },
  };
}
