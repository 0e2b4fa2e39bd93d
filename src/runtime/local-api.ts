/**
 * The typed library API over the local runtime: the same use-cases the CLI calls.
 *
 *   import { transcode } from 'shardcast';
 *   const job = await transcode('in.mkv', 'out.mp4', { videoCodec: 'hevc', crf: 26 });
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { jobView, type JobView } from '../app/job-view.js';
import { createJob, resumeJob, retryJob, runJob } from '../app/run-job.js';
import { NotFoundError } from '../core/errors.js';
import type { JobSummary } from '../core/types.js';
import { checkPaths } from '../cli/commands.js';
import { parseTranscodeOptions } from '../cli/options.js';
import { makeLocalRuntime, newJobId, type LocalRuntime } from './local-runtime.js';

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

async function withRuntime<T>(opts: ApiOptions, fn: (rt: LocalRuntime) => Promise<T>): Promise<T> {
  const stateDir = resolve(opts.stateDir ?? process.env.SHARDCAST_HOME ?? join(homedir(), '.shardcast'));
  const rt = makeLocalRuntime({ stateDir, env: process.env });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

async function view(rt: LocalRuntime, id: string): Promise<JobView> {
  const job = await rt.deps.ledger.getJob(id);
  if (!job) throw new NotFoundError(`no job ${id}`);
  return jobView(job, await rt.deps.ledger.listTasks(id));
}

/** Transcodes `input` to `output` and resolves with the finished job; rejects with a typed error. */
export async function transcode(input: string, output: string, opts: TranscodeApiOptions = {}): Promise<JobView> {
  const flags: Record<string, unknown> = { verify: opts.verify ?? true };
  for (const k of ['videoCodec', 'crf', 'preset', 'height', 'width', 'audioCodec', 'audioBitrate', 'segmentSeconds', 'workers', 'maxAttempts'] as const) {
    if (opts[k] !== undefined) flags[k] = String(opts[k]);
  }
  const options = parseTranscodeOptions(flags, output);
  const paths = checkPaths(input, output, opts.overwrite === true);
  return withRuntime(opts, async (rt) => {
    const id = newJobId();
    const job = await createJob(rt.deps, { id, backend: 'local', source: paths.source, output: paths.output, options });
    await runJob(rt.deps, rt.executorFor(job), id, opts.signal);
    return view(rt, id);
  });
}

export async function resume(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withRuntime(opts, async (rt) => {
    const job = await rt.deps.ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`no job ${jobId}`);
    await resumeJob(rt.deps, rt.executorFor(job), jobId, opts.signal);
    return view(rt, jobId);
  });
}

export async function retry(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withRuntime(opts, async (rt) => {
    const job = await rt.deps.ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`no job ${jobId}`);
    await retryJob(rt.deps, rt.executorFor(job), jobId, opts.signal);
    return view(rt, jobId);
  });
}

export async function status(jobId: string, opts: ApiOptions = {}): Promise<JobView> {
  return withRuntime(opts, (rt) => view(rt, jobId));
}

export async function jobs(opts: ApiOptions & { limit?: number } = {}): Promise<JobSummary[]> {
  return withRuntime(opts, (rt) => rt.deps.ledger.listJobs({ limit: opts.limit ?? 200 }));
}
