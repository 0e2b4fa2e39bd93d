/**
 * The typed library API over the local Backend: the same verbs the CLI calls.
 *
 *   import { transcode } from 'shardcast';
 *   const job = await transcode('in.mkv', 'out.mp4', { videoCodec: 'hevc', crf: 26 });
 */
import type { JobView } from '../app/job-view.js';
import type { JobSummary } from '../core/types.js';
import { stateDirOf } from './job-paths.js';
import { openBackend, type Backend } from './backend.js';

export interface ApiOptions {
  /** Where the ledger and job files live (default: env SHARDCAST_HOME, else ~/.shardcast). */
  stateDir?: string;
  signal?: AbortSignal;
}

export interface TranscodeApiOptions extends ApiOptions {
  videoCodec?: 'h264' | 'hevc' | 'vp9' | 'av1';
  crf?: number;
  preset?: string;
  height?: number;
  width?: number;
  audioCodec?: 'aac' | 'opus' | 'copy' | 'none';
  audioBitrate?: number;
  segmentSeconds?: number;
  workers?: number;
  maxAttempts?: number;
  verify?: boolean;
  overwrite?: boolean;
}

async function withBackend<T>(opts: ApiOptions, fn: (b: Backend) => Promise<T>): Promise<T> {
  const backend = await openBackend({ kind: 'local', stateDir: stateDirOf(opts, process.env), env: process.env });
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

const signalOf = (opts: ApiOptions) => (opts.signal ? { signal: opts.signal } : {});

/** Transcodes `input` to `output` and resolves with the finished job; rejects with a typed error. */
export async function transcode(input: string, output: string, opts: TranscodeApiOptions = {}): Promise<JobView> {
  const options: Record<string, unknown> = { verify: opts.verify ?? true };
  for (const k of [
    'videoCodec',
    'crf',
    'preset',
    'height',
    'width',
    'audioCodec',
    'audioBitrate',
    'segmentSeconds',
    'workers',
    'maxAttempts',
  ] as const) {
    if (opts[k] !== undefined) options[k] = String(opts[k]);
  }
  return withBackend(opts, async (b) => {
    const { job } = await b.submit({ input, output, options, overwrite: opts.overwrite === true }, signalOf(opts));
    return (await b.status(job.id)).view;
  });
}

export async function resume(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withBackend(opts, async (b) => {
    await b.resume(jobId, signalOf(opts));
    return (await b.status(jobId)).view;
  });
}

export async function retry(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withBackend(opts, async (b) => {
    await b.retry(jobId, signalOf(opts));
    return (await b.status(jobId)).view;
  });
}

export async function status(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withBackend(opts, async (b) => (await b.status(jobId)).view);
}

export async function jobs(opts: ApiOptions & { limit?: number } = {}): Promise<JobSummary[]> {
  return withBackend(opts, (b) => b.jobs(opts.limit ?? 200));
}
