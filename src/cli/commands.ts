/**
 * CLI command handlers: each parses its input, calls one use-case through the local runtime, prints.
 */
import { realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadJobView, type JobView } from '../app/job-view.js';
import { addQualityReport } from '../app/measure-quality.js';
import { removeJob } from '../app/remove-job.js';
import { createJob, resumeJob, retryJob, runJob } from '../app/run-job.js';
import { InputError, NotFoundError, UsageError } from '../core/errors.js';
import { VIDEO_ENCODERS, AUDIO_ENCODERS } from '../core/profile.js';
import { describeQuality } from '../core/quality-report.js';
import type { JobRecord, JobSummary } from '../core/types.js';
import { makeLocalRuntime, newJobId, type LocalRuntime } from '../runtime/local-runtime.js';
import { parseTranscodeOptions } from './options.js';
import { formatClock, ProgressReporter } from './progress.js';
import { withSignals } from './signals.js';

export interface GlobalFlags {
  stateDir?: string;
  json?: boolean;
  debug?: boolean;
  progress?: boolean;
}

export function stateDirOf(flags: GlobalFlags, env: NodeJS.ProcessEnv): string {
  return resolve(flags.stateDir ?? env.SHARDCAST_HOME ?? join(homedir(), '.shardcast'));
}

function runtimeFor(flags: GlobalFlags): LocalRuntime {
  return makeLocalRuntime({ stateDir: stateDirOf(flags, process.env), env: process.env });
}

export function print(flags: GlobalFlags, json: unknown, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}

/** Checks the input and output paths before anything is created. */
export function checkPaths(input: string, output: string, overwrite: boolean): { source: string; output: string } {
  const source = resolve(input);
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new InputError(`input not found: ${input}`);
  }
  if (st.isDirectory()) throw new InputError(`input is a directory, not a video file: ${input}`);
  if (!st.isFile()) throw new InputError(`input is not a regular file: ${input}`);
  if (st.size === 0) throw new InputError(`input is an empty file: ${input}`);
  const out = resolve(output);
  let dirSt;
  try {
    dirSt = statSync(dirname(out));
  } catch {
    throw new InputError(`output folder does not exist: ${dirname(out)}`);
  }
  if (!dirSt.isDirectory()) throw new InputError(`output folder is not a folder: ${dirname(out)}`);
  let outSt;
  try {
    outSt = statSync(out);
  } catch {
    outSt = undefined;
  }
  if (outSt?.isDirectory()) throw new InputError(`output is a directory: ${output}`);
  if (outSt && realpathSync(out) === realpathSync(source)) throw new InputError('output path is the input file; choose another output path');
  if (outSt && !overwrite) throw new InputError(`output exists: ${output} (pass --overwrite to replace it)`);
  return { source, output: out };
}

export function summary(job: JobRecord): string {
  const t = job.timings;
  const r = job.result;
  const parts = [`done: ${job.output}`];
  if (r) parts.push(`${r.frames} frames, ${r.videoDuration.toFixed(3)} s, ${(r.sizeBytes / 1e6).toFixed(2)} MB`);
  parts.push(`in ${formatClock(t.totalMs ?? 0)} (analyze ${t.analyzeMs ?? 0} ms, encode ${t.encodeMs ?? 0} ms, merge ${t.mergeMs ?? 0} ms, verify ${t.verifyMs ?? 0} ms${t.qualityMs !== undefined ? `, quality ${t.qualityMs} ms` : ''})`);
  return [parts.join('; '), ...(r?.quality ? [describeQuality(r.quality)] : []), `job ${job.id}`].join('\n');
}

async function drive(flags: GlobalFlags, jobId: string | undefined, run: (rt: LocalRuntime, signal: AbortSignal) => Promise<JobRecord>): Promise<void> {
  let progress: ProgressReporter | undefined;
  const rt = makeLocalRuntime({ stateDir: stateDirOf(flags, process.env), env: process.env, onProgress: (p) => progress?.onProgress(p) });
  progress = new ProgressReporter(rt.deps.ledger, process.stderr, flags.progress !== false && !flags.json);
  try {
    if (jobId) progress.start(jobId);
    const job = await withSignals((signal) => run(rt, signal));
    await progress.stop();
    const view = await loadJobView(rt.deps.ledger, job.id);
    print(flags, view, summary(job));
  } catch (err) {
    await progress.stop();
    if (flags.json && jobId) {
      const view = await loadJobView(rt.deps.ledger, jobId).catch(() => undefined);
      if (view) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    }
    throw err;
  } finally {
    await rt.close();
  }
}

export async function transcodeCommand(input: string, output: string, flags: GlobalFlags & Record<string, unknown>): Promise<void> {
  const options = parseTranscodeOptions(flags, output);
  const paths = checkPaths(input, output, flags.overwrite === true);
  const id = newJobId();
  await drive(flags, id, async (rt, signal) => {
    await createJob(rt.deps, { id, backend: 'local', source: paths.source, output: paths.output, options });
    if (!flags.json) process.stderr.write(`job ${id}: ${paths.source} -> ${paths.output}\n`);
    return runJob(rt.deps, rt.executorFor((await rt.deps.ledger.getJob(id))!), id, signal);
  });
}

async function existingJob(rt: LocalRuntime, jobId: string): Promise<JobRecord> {
  const job = await rt.deps.ledger.getJob(jobId);
  if (!job) throw new NotFoundError(`no job ${jobId} in ${stateDirOf({}, process.env)}`);
  return job;
}

export async function resumeCommand(jobId: string, flags: GlobalFlags & { force?: boolean }): Promise<void> {
  await drive(flags, jobId, async (rt, signal) => resumeJob(rt.deps, rt.executorFor(await existingJob(rt, jobId)), jobId, signal, { force: flags.force === true }));
}

export async function retryCommand(jobId: string, flags: GlobalFlags): Promise<void> {
  await drive(flags, jobId, async (rt, signal) => retryJob(rt.deps, rt.executorFor(await existingJob(rt, jobId)), jobId, signal));
}

export function statusText(view: JobView): string {
  return [
    `job ${view.id}: ${view.status}${view.error ? ` (${view.error})` : ''}`,
    `  ${view.source} -> ${view.output}`,
    ...(view.picture ? [`  picture ${view.picture.sourcePixelFormat} -> ${view.picture.pixelFormat}${view.picture.fullRange ? ', full range' : ''}${view.picture.hdr10 ? ', HDR10 metadata kept' : ''}`] : []),
    ...(view.picture?.notices ?? []).map((n) => `  note: ${n}`),
    ...(view.cutting?.reason ? [`  cutting: ${view.cutting.method} (${view.cutting.reason})`] : []),
    ...(view.quality ? describeQuality(view.quality).split('\n').map((l) => `  ${l}`) : []),
    `  segments ${view.segmentsDone}/${view.segmentsTotal} done${view.segmentsFailed ? `, ${view.segmentsFailed} failed` : ''}`,
    ...view.segments.map((s) => `  ${s.key.split('/')[1]}  ${s.status.padEnd(7)}  ${s.startTime.toFixed(2)}-${s.endTime.toFixed(2)} s  attempts ${s.attempts}${s.wallMs ? `  ${(s.wallMs / 1000).toFixed(1)} s` : ''}${s.error ? `  ${s.error}` : ''}`),
  ].join('\n');
}

export function jobsText(jobs: JobSummary[]): string {
  return jobs.length
    ? jobs.map((j) => `${j.id}  ${j.status.padEnd(9)}  ${String(j.segmentsDone).padStart(3)}/${j.segmentsTotal}  ${new Date(j.createdAt).toISOString()}  ${j.source}`).join('\n')
    : 'no jobs';
}

export async function statusCommand(jobId: string, flags: GlobalFlags): Promise<void> {
  const rt = runtimeFor(flags);
  try {
    const view = await loadJobView(rt.deps.ledger, jobId);
    if (!view) throw new NotFoundError(`no job ${jobId}`);
    print(flags, { ...view, events: await rt.deps.ledger.listEvents(jobId) }, statusText(view));
  } finally {
    await rt.close();
  }
}

/** Measures a done job's output against its source and stores the report (the job page's button, from here). */
export async function qualityCommand(jobId: string, flags: GlobalFlags): Promise<void> {
  const rt = runtimeFor(flags);
  try {
    const job = await withSignals((signal) => addQualityReport(rt.deps, jobId, signal));
    const view = await loadJobView(rt.deps.ledger, job.id);
    print(flags, view?.quality, describeQuality(job.result!.quality!));
  } finally {
    await rt.close();
  }
}

export async function jobsCommand(flags: GlobalFlags): Promise<void> {
  const rt = runtimeFor(flags);
  try {
    const jobs = await rt.deps.ledger.listJobs({ limit: 200 });
    print(flags, jobs, jobsText(jobs));
  } finally {
    await rt.close();
  }
}

export function parseAge(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new UsageError('--older-than takes a number and a unit, e.g. 7d, 12h, 30m');
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export async function gcCommand(flags: GlobalFlags & { olderThan: string }): Promise<void> {
  const age = parseAge(flags.olderThan);
  const rt = runtimeFor(flags);
  try {
    const ids = await rt.deps.ledger.listJobIdsUpdatedBefore(Date.now() - age);
    for (const id of ids) await removeJob(rt.deps, id);
    print(flags, { removed: ids }, `removed ${ids.length} job(s)`);
  } finally {
    await rt.close();
  }
}

export async function doctorCommand(flags: GlobalFlags): Promise<void> {
  const rt = runtimeFor(flags);
  try {
    const tools = await rt.deps.media.info();
    const enc = await rt.deps.media.run('ffmpeg', ['-hide_banner', '-encoders']);
    const wanted = [...Object.values(VIDEO_ENCODERS), ...Object.values(AUDIO_ENCODERS)];
    const encoders = Object.fromEntries(wanted.map((e) => [e, new RegExp(`\\s${e}\\s`).test(enc.stdout)]));
    const stateDir = stateDirOf(flags, process.env);
    const text = [
      ...tools.map((t) => `${t.tool}: ${t.version} (${t.path}, from ${t.origin})`),
      `encoders: ${Object.entries(encoders).map(([e, ok]) => `${e} ${ok ? 'yes' : 'NO'}`).join(', ')}`,
      `state dir: ${stateDir}`,
    ].join('\n');
    print(flags, { tools, encoders, stateDir }, text);
  } finally {
    await rt.close();
  }
}
