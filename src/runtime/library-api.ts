/**
 * The typed library API over every home: the verbs the CLI calls, for applications.
 *
 *   import { transcode } from 'shardcast';
 *   const job = await transcode('in.mkv', 'out.mp4', { template: 'web-1080p' });            // this machine
 *   const run = await transcode('s3://b/in.mkv', 's3://b/out/', { home: 'aws', template: 'hls-dash', wait: false });
 *   run.id; await run.done;                                                                    // later
 *
 * `home` picks where the job runs (local, cluster, aws, aws-emulated); `template` names a template (built-in or
 * from shardcast.config.*); every other option is a transcode flag under its own name. With `wait: false` the
 * call resolves once the job exists, with a handle (its id, a promise of its end, a stop); `onEvent` gets typed
 * events (the job's history as it is written, progress, the end) on every home, read from its ledger.
 */
import type { JobView } from '../app/job-view.js';
import { loadJobView } from '../app/job-view.js';
import { CancelledError } from '../core/errors.js';
import type { AudioCodec, JobEvent, JobStatus, JobSummary, VideoCodec } from '../core/types.js';
import type { Backend, BackendConfig, BackendKind, RunResult } from './backend.js';
import { stateDirOf } from './job-paths.js';
import { openNotifyingBackend } from './start-notifier.js';
import type { TemplateCatalog } from './templates.js';
import { TEMPLATE_OPTION_NAMES } from '../core/templates.js';

export interface ApiOptions {
  /** Where jobs run and are recorded: this machine (default), a cluster, the deployed AWS stack, or its emulation here. */
  home?: BackendKind;
  /** Where the ledger and job files live (default: env SHARDCAST_HOME, else ~/.shardcast). */
  stateDir?: string;
  /** A cluster's Redis and store (else SHARDCAST_REDIS_URL / SHARDCAST_STORE). */
  cluster?: { redis?: string; store?: string; s3Endpoint?: string };
  signal?: AbortSignal;
  /** The environment the home reads (ffmpeg paths, AWS settings); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Transcode options under their flags' names (`shardcast transcode --help`), with their natural types. */
export interface TranscodeSettings {
  videoCodec?: VideoCodec | 'h265' | 'x265' | 'x264' | 'avc';
  crf?: number;
  preset?: string;
  height?: number;
  width?: number;
  maxHeight?: number;
  audioCodec?: AudioCodec;
  audioBitrate?: number;
  pixFmt?: string;
  bitDepth?: 8 | 10 | 12;
  deinterlace?: boolean;
  segmentSeconds?: number;
  acceptCutCost?: boolean;
  workers?: number;
  maxAttempts?: number;
  ladder?: string;
  dash?: boolean;
  segmentDuration?: number;
  publishEarly?: boolean;
  targetQuality?: string;
  qualityBand?: number;
  minQuality?: string;
  minCrf?: number;
  maxCrf?: number;
  vmafModel?: string;
  verify?: boolean;
  qualityReport?: boolean;
  notify?: string | string[];
  notifySecretEnv?: string;
  thumbnails?: number;
  thumbnailWidth?: number;
}

/** What `onEvent` is told, in order: the job exists, its history as written, progress, its end. */
export type TranscodeEvent =
  | { type: 'created'; jobId: string }
  | { type: 'history'; jobId: string; event: JobEvent }
  | {
      type: 'progress';
      jobId: string;
      status: JobStatus;
      segmentsDone: number;
      segmentsTotal: number;
      framesDone: number;
      framesTotal: number;
    }
  | { type: 'done'; jobId: string; job: JobView }
  | { type: 'failed'; jobId: string; error: Error };

export interface TranscodeApiOptions extends ApiOptions, TranscodeSettings {
  /** A template's name: its options under the ones given here. */
  template?: string;
  /** Templates to look the name up in (default: SHARDCAST_CONFIG, else shardcast.config.* in the working folder, and the built-ins). */
  templates?: TemplateCatalog;
  overwrite?: boolean;
  /** Resolve when the job ends (default), or once it exists, with a handle. */
  wait?: boolean;
  onEvent?: (e: TranscodeEvent) => void;
  /** How often the ledger is read for `onEvent` (ms, default 500). */
  pollMs?: number;
}

/** A job started with `wait: false`. */
export interface JobHandle {
  id: string;
  /** Resolves with the finished job; rejects with the typed error the job failed with. */
  done: Promise<JobView>;
  /** Stops the run (the job is left resumable); resolves when it has stopped. */
  stop(): Promise<void>;
}

function backendConfig(opts: ApiOptions & { templates?: TemplateCatalog }): BackendConfig {
  const env = opts.env ?? process.env;
  return {
    kind: opts.home ?? 'local',
    stateDir: stateDirOf(opts, env),
    env,
    ...(opts.cluster ? { cluster: opts.cluster } : {}),
    ...(opts.templates ? { templates: opts.templates } : {}),
  };
}

async function withBackend<T>(opts: ApiOptions, fn: (b: Backend) => Promise<T>): Promise<T> {
  // Runs send their webhooks (`notify`) as the CLI's do, and leave what is owed in the ledger when closed.
  const backend = await openNotifyingBackend(backendConfig(opts));
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** Every option a template may set is a setting (core/templates.ts holds the one list of their names). */
const SETTING_KEYS: readonly (keyof TranscodeSettings)[] = TEMPLATE_OPTION_NAMES;

/** The settings as the flags the Backend parses: numbers as text, the rest as they are. */
export function settingsToFlags(s: TranscodeSettings & { template?: string }): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const k of [...SETTING_KEYS, 'template' as const]) {
    const v = s[k];
    if (v !== undefined) flags[k] = typeof v === 'number' ? String(v) : v;
  }
  return flags;
}

/** Reads the job's ledger every `pollMs` and tells `onEvent` what is new; returns a stop that reads once more. */
function follow(backend: Backend, jobId: string, onEvent: (e: TranscodeEvent) => void, pollMs: number): () => Promise<void> {
  let seq = 0;
  let last = '';
  let busy: Promise<void> = Promise.resolve();
  const read = async () => {
    for (const event of await backend.ledger.listEvents(jobId, seq)) {
      seq = Math.max(seq, event.seq);
      onEvent({ type: 'history', jobId, event });
    }
    const job = await backend.ledger.getJobHead(jobId);
    if (!job) return;
    const p = await backend.ledger.taskProgress(jobId);
    const progress = {
      type: 'progress' as const,
      jobId,
      status: job.status,
      segmentsDone: p.videoDone,
      segmentsTotal: p.videoTotal,
      framesDone: p.framesDone,
      framesTotal: p.framesTotal,
    };
    const key = JSON.stringify(progress);
    if (key !== last) {
      last = key;
      onEvent(progress);
    }
  };
  const tick = () => {
    busy = busy.then(read).catch(() => undefined);
  };
  const timer = setInterval(tick, pollMs);
  tick();
  return async () => {
    clearInterval(timer);
    tick();
    await busy;
  };
}

/**
 * Transcodes `input` to `output` on the home `opts.home` names. Resolves with the finished job (or, with
 * `wait: false`, a handle once the job exists); rejects with a typed error (UsageError for a bad request, before
 * any job; JobFailedError, InputError, CancelledError).
 */
export function transcode(input: string, output: string, opts: TranscodeApiOptions & { wait: false }): Promise<JobHandle>;
export function transcode(input: string, output: string, opts?: TranscodeApiOptions): Promise<JobView>;
export async function transcode(input: string, output: string, opts: TranscodeApiOptions = {}): Promise<JobView | JobHandle> {
  if (opts.signal?.aborted) throw new CancelledError('stopped before the job was made');
  // The caller's callback never breaks the run: an error it throws is its own.
  const onEvent = opts.onEvent
    ? (e: TranscodeEvent) => {
        try {
          opts.onEvent!(e);
        } catch {
          // ignored: events are for the caller's display
        }
      }
    : undefined;
  const backend = await openNotifyingBackend(backendConfig(opts));
  const stopper = new AbortController();
  const onAbort = () => stopper.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let unfollow: (() => Promise<void>) | undefined;
  let created: (id: string) => void = () => undefined;
  const exists = new Promise<string>((resolve) => (created = resolve));
  const run = (async (): Promise<JobView> => {
    let result: RunResult | undefined;
    let jobId: string | undefined;
    try {
      result = await backend.submit(
        { input, output, options: settingsToFlags(opts), overwrite: opts.overwrite === true },
        {
          signal: stopper.signal,
          onJob: (id) => {
            jobId = id;
            onEvent?.({ type: 'created', jobId: id });
            if (onEvent) unfollow = follow(backend, id, onEvent, opts.pollMs ?? 500);
            created(id);
          },
        },
      );
      await unfollow?.();
      const view = (await loadJobView(backend.ledger, result.job.id))!;
      onEvent?.({ type: 'done', jobId: result.job.id, job: view });
      return view;
    } catch (err) {
      await unfollow?.();
      if (jobId) onEvent?.({ type: 'failed', jobId, error: err as Error });
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      await backend.close();
    }
  })();
  if (opts.wait !== false) return run;
  // Resolves once the job exists, or rejects with what refused it before.
  const id = await Promise.race([exists, run.then(() => new Promise<never>(() => undefined))]);
  // The run's own rejection is the handle's `done`; keep it from counting as unhandled until someone awaits it.
  run.catch(() => undefined);
  return {
    id,
    done: run,
    async stop() {
      stopper.abort(new Error('stopped'));
      await run.catch(() => undefined);
    },
  };
}

export async function resume(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withBackend(opts, async (b) => {
    await b.resume(jobId, opts.signal ? { signal: opts.signal } : {});
    return (await b.status(jobId)).view;
  });
}

export async function retry(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withBackend(opts, async (b) => {
    await b.retry(jobId, opts.signal ? { signal: opts.signal } : {});
    return (await b.status(jobId)).view;
  });
}

export async function status(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withBackend(opts, async (b) => (await b.status(jobId)).view);
}

export async function jobs(opts: ApiOptions & { limit?: number } = {}): Promise<JobSummary[]> {
  return withBackend(opts, (b) => b.jobs(opts.limit ?? 200));
}
