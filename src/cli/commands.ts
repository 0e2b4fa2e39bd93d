/**
 * CLI command handlers, one per command, each over the Backend its `--backend` names (local by default):
 * parse the input, call one verb, print. Errors go up to main.ts, which maps them to exit codes.
 */
import { existsSync } from 'node:fs';
import { loadJobView } from '../app/job-view.js';
import { refusedAtInput } from '../app/remove-job.js';
import { ShardcastError, UsageError } from '../core/errors.js';
import { VIDEO_ENCODERS, AUDIO_ENCODERS } from '../core/profile.js';
import { firstPlayableText } from '../core/early-publish.js';
import { describeQuality } from '../core/quality-report.js';
import { positionText, scoreText, segmentQualityText, trialsText } from '../core/target-text.js';
import type { Backend as BackendKind, JobRecord, JobStatus, JobSummary } from '../core/types.js';
import { openNotifyingBackend } from '../runtime/start-notifier.js';
import { commandFor, continueVerb } from '../app/run-failure.js';
import type { JobView, TargetView, TaskView } from '../app/job-view.js';
import { openBackend, type Backend, type RunHooks, type RunResult } from '../runtime/backend.js';
import { clusterFlags } from './cluster-flags.js';
import { stateDirOf } from '../runtime/job-paths.js';
import { makeLocalRuntime } from '../runtime/local/local-runtime.js';
import { asInvoked } from './invocation.js';
import { checkToolPair } from './doctor-text.js';
import { formatClock, ProgressReporter } from './progress.js';
import { withSignals } from './signals.js';

export interface GlobalFlags {
  stateDir?: string;
  json?: boolean;
  debug?: boolean;
  progress?: boolean;
  backend?: BackendKind;
  /** The cluster's queue and store (`--backend cluster`). */
  redis?: string;
  store?: string;
  s3Endpoint?: string;
  redisWaitSeconds?: string;
  /** `--config`: the templates' file or folder. */
  config?: string;
}

type Flags = GlobalFlags & Record<string, unknown>;

export function print(flags: GlobalFlags, json: unknown, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${asInvoked(text)}\n`);
}

/** Opens the home the flags name; `fn` runs with it, and it is closed after. */
export async function withBackend<T>(
  flags: GlobalFlags,
  opts: { readOnly?: boolean; progress?: ProgressReporter; notify?: boolean },
  fn: (b: Backend) => Promise<T>,
): Promise<T> {
  const backend = await (opts.notify ? openNotifyingBackend : openBackend)({
    kind: flags.backend ?? 'local',
    stateDir: stateDirOf(flags, process.env),
    env: process.env,
    ...(opts.readOnly ? { readOnly: true } : {}),
    ...(opts.progress ? { onProgress: opts.progress.onProgress } : {}),
    ...(flags.config ? { configPath: flags.config } : {}),
    cluster: clusterFlags(flags),
  });
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/**
 * Runs one run verb (submit, resume, retry) with the progress display and stop signals, then prints the job
 * (with --json, also when it failed).
 */
async function drive(flags: GlobalFlags, run: (b: Backend, hooks: RunHooks) => Promise<RunResult>): Promise<void> {
  const progress = new ProgressReporter(process.stderr, flags.progress !== false && !flags.json);
  await withBackend(flags, { progress, notify: true }, async (backend) => {
    let jobId: string | undefined;
    const hooks: Omit<RunHooks, 'signal'> = {
      onJob: (id) => {
        jobId = id;
        progress.start(backend.ledger, id);
      },
      note: (line) => {
        if (!flags.json) process.stderr.write(`${asInvoked(line)}\n`);
      },
    };
    let result: RunResult;
    try {
      result = await withSignals((signal) => run(backend, { ...hooks, signal }));
    } catch (err) {
      await progress.stop();
      const view = flags.json && jobId ? await loadJobView(backend.ledger, jobId).catch(() => undefined) : undefined;
      if (view) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      throw err;
    }
    await progress.stop();
    const { job, localOutput } = result;
    const view = await loadJobView(backend.ledger, job.id);
    print(
      flags,
      { ...view, ...(localOutput ? { localOutput } : {}) },
      summary({ ...job, output: localOutput ?? job.output }, view?.picture?.notices, view?.target),
    );
  });
}

export async function transcodeCommand(input: string, output: string, flags: Flags): Promise<void> {
  await drive(flags, (b, hooks) => b.submit({ input, output, options: flags, overwrite: flags.overwrite === true }, hooks));
}

export async function resumeCommand(jobId: string, flags: GlobalFlags & { force?: boolean }): Promise<void> {
  await drive(flags, (b, hooks) => b.resume(jobId, { ...hooks, force: flags.force === true }));
}

export async function retryCommand(jobId: string, flags: GlobalFlags): Promise<void> {
  await drive(flags, (b, hooks) => b.retry(jobId, hooks));
}

/**
 * What a finished run prints: the output, its figures and times, every notice (the picture's, the plan's), and
 * a targeted job's segments against the band.
 */
export function summary(job: JobRecord, pictureNotices: string[] = [], target?: TargetView): string {
  const t = job.timings;
  const r = job.result;
  const parts = [`done: ${job.output}`];
  if (r) parts.push(`${r.frames} frames, ${r.videoDuration.toFixed(3)} s, ${(r.sizeBytes / 1e6).toFixed(2)} MB`);
  parts.push(
    `in ${formatClock(t.totalMs ?? 0)} (analyze ${t.analyzeMs ?? 0} ms, encode ${t.encodeMs ?? 0} ms, merge ${t.mergeMs ?? 0} ms, verify ${t.verifyMs ?? 0} ms${t.qualityMs !== undefined ? `, quality ${t.qualityMs} ms` : ''})`,
  );
  parts.push(...firstPlayableText(t));
  return [
    parts.join('; '),
    ...[...pictureNotices, ...(job.plan?.notices ?? [])].map((n) => `note: ${n}`),
    ...(target ? targetLines(target).map((l) => l.slice(2)) : []),
    ...(r?.quality ? [describeQuality(r.quality)] : []),
    `job ${job.id}`,
  ].join('\n');
}

export function statusText(view: JobView): string {
  return [
    `job ${view.id}: ${statusWord(view.status)}${view.error ? ` (${view.error})` : ''}`,
    `  ${view.source} -> ${view.output}`,
    ...(view.picture
      ? [
          `  picture ${view.picture.sourcePixelFormat} -> ${view.picture.pixelFormat}${view.picture.fullRange ? ', full range' : ''}${view.picture.hdr10 ? ', HDR10 metadata kept' : ''}`,
        ]
      : []),
    ...[...(view.picture?.notices ?? []), ...view.planNotices].map((n) => `  note: ${n}`),
    ...(view.cutting?.reason ? [`  cutting: ${view.cutting.method} (${view.cutting.reason})`] : []),
    ...(view.quality
      ? describeQuality(view.quality)
          .split('\n')
          .map((l) => `  ${l}`)
      : []),
    ...(view.renditions ?? []).map(
      (r) =>
        `  ${r.name.padEnd(5)} ${r.kind === 'video' ? `${r.width}x${r.height}`.padEnd(10) : r.kind.padEnd(10)} ${r.codecs ?? 'webvtt'}  ${r.segments} segments  ${(r.bytes / 1e6).toFixed(2)} MB${r.kind !== 'subtitles' ? `  ${Math.round(r.averageBitrate / 1000)} kb/s avg, ${Math.round(r.peakBitrate / 1000)} kb/s peak` : ''}`,
    ),
    ...(view.target ? targetLines(view.target) : []),
    ...firstPlayableText(view.timings).map((l) => `  ${l}`),
    `  segments ${view.segmentsDone}/${view.segmentsTotal} done${view.segmentsFailed ? `, ${view.segmentsFailed} failed` : ''}`,
    ...view.segments.flatMap((s) => [
      `  ${s.key.split('/')[1]}  ${s.status.padEnd(7)}  ${s.startTime.toFixed(2)}-${s.endTime.toFixed(2)} s  attempts ${s.attempts}${s.wallMs ? `  ${(s.wallMs / 1000).toFixed(1)} s` : ''}${s.status === 'running' && s.progress ? `  frame ${s.progress.frames} of ${s.frameCount}${s.progress.fps ? `, ${s.progress.fps.toFixed(1)} fps` : ''}` : ''}${s.worker && s.status !== 'pending' ? `  on ${s.worker.replace(/\/\d+$/, '')}` : ''}${s.error ? `  ${s.error}` : ''}`,
      ...segmentQualityLines(s),
    ]),
  ].join('\n');
}

/** A targeted job's line, "quality target: 3 of 4 segments in band (vmaf 93 ±1), crf 18-40", and one per segment outside it. */
export function targetLines(t: TargetView): string[] {
  const floor = t.floor ? `, floor ${t.floor.pool} ${t.floor.value}` : '';
  return [
    `  quality target: ${t.summary}; crf ${t.minCrf}-${t.maxCrf}${floor}`,
    ...t.outside.map(
      (o) =>
        `    segment ${o.index} ${positionText(o.position)}: ${t.metric} ${scoreText(t.metric, o.score)} at crf ${o.crf}${o.reason ? ` (${o.reason})` : ''}`,
    ),
  ];
}

/** Under a targeted segment: its kept CRF, score, bytes and place against the band, then its trials (so far). */
function segmentQualityLines(s: TaskView): string[] {
  const q = s.quality;
  if (!q) return [];
  const pad = ' '.repeat(10);
  return [
    `${pad}${segmentQualityText(q, s.status === 'done' ? s.sizeBytes : undefined, s.status === 'running')}`,
    `${pad}${trialsText(q)}`,
  ];
}

/**
 * A job's status in words: `cancelled` is a job the user stopped (Ctrl-C, the dashboard's Cancel), which is
 * continued, not lost: "stopped". The JSON keeps the ledger's word.
 */
export function statusWord(status: JobStatus): string {
  return status === 'cancelled' ? 'stopped' : status;
}

export function jobsText(jobs: JobSummary[]): string {
  return jobs.length
    ? jobs
        .map((j) =>
          // A job refused at its input has no segments to count: its line says why instead (`gc --refused`).
          refusedAtInput(j)
            ? `${j.id}  ${'refused'.padEnd(9)}    -  ${new Date(j.createdAt).toISOString()}  ${j.source}  (${j.error ?? 'input refused'})`
            : `${j.id}  ${statusWord(j.status).padEnd(9)}  ${String(j.segmentsDone).padStart(3)}/${j.segmentsTotal}  ${new Date(j.createdAt).toISOString()}  ${j.source}${j.status === 'cancelled' ? `  (\`${commandFor(continueVerb(j), j)}\` continues it)` : ''}`,
        )
        .join('\n')
    : 'no jobs';
}

export async function statusCommand(jobId: string, flags: GlobalFlags): Promise<void> {
  await withBackend(flags, { readOnly: true }, async (b) => {
    const { view, events } = await b.status(jobId);
    print(flags, { ...view, events }, statusText(view));
  });
}

/** Measures a done job's output against its source and stores the report (the job page's button, from here). */
export async function qualityCommand(jobId: string, flags: GlobalFlags): Promise<void> {
  await withBackend(flags, {}, async (b) => {
    const job = await withSignals((signal) => b.quality(jobId, { signal }));
    const view = await loadJobView(b.ledger, job.id);
    print(flags, view?.quality, describeQuality(job.result!.quality!));
  });
}

export async function jobsCommand(flags: GlobalFlags): Promise<void> {
  await withBackend(flags, { readOnly: true }, async (b) => {
    const jobs = await b.jobs(200);
    print(flags, jobs, jobsText(jobs));
  });
}

export function parseAge(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new UsageError('--older-than takes a number and a unit, e.g. 7d, 12h, 30m');
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export async function gcCommand(flags: GlobalFlags & { olderThan?: string; failed?: boolean; refused?: boolean }): Promise<void> {
  if (flags.olderThan === undefined && !flags.failed && !flags.refused)
    throw new UsageError('gc needs --older-than AGE (e.g. 7d), --failed or --refused: which jobs to remove');
  const criteria = {
    ...(flags.olderThan !== undefined ? { olderThanMs: parseAge(flags.olderThan) } : {}),
    ...(flags.failed ? { failed: true } : {}),
    ...(flags.refused ? { refused: true } : {}),
  };
  await withBackend(flags, {}, async (b) => {
    const ids = await b.gc(criteria);
    print(flags, { removed: ids }, `removed ${ids.length} job(s)`);
  });
}

class NotReady extends ShardcastError {
  readonly exitCode = 1;
}

/**
 * The ffmpeg and ffprobe this machine runs (local encodes, `estimate`'s calibration), and what the home checks
 * beyond them (`--backend cluster`: Redis, the store, every worker); exit 1 when a check found a problem.
 */
export async function doctorCommand(flags: GlobalFlags): Promise<void> {
  const rt = makeLocalRuntime({ stateDir: stateDirOf(flags, process.env), env: process.env });
  let tools;
  let encoders: Record<string, boolean>;
  try {
    tools = await rt.deps.media.info();
    const enc = await rt.deps.media.run('ffmpeg', ['-hide_banner', '-encoders']);
    const wanted = [...Object.values(VIDEO_ENCODERS), ...Object.values(AUDIO_ENCODERS)];
    encoders = Object.fromEntries(wanted.map((e) => [e, new RegExp(`\\s${e}\\s`).test(enc.stdout)]));
  } finally {
    await rt.close();
  }
  const stateDir = stateDirOf(flags, process.env);
  const home =
    flags.backend && flags.backend !== 'local' ? await withBackend(flags, { readOnly: true }, async (b) => b.checks?.()) : undefined;
  const pair = checkToolPair(tools, existsSync);
  const text = [
    ...tools.map((t) => `${t.tool}: ${t.version} (${t.path}, from ${t.origin})`),
    ...pair.lines,
    `encoders: ${Object.entries(encoders)
      .map(([e, ok]) => `${e} ${ok ? 'yes' : 'NO'}`)
      .join(', ')}`,
    `state dir: ${stateDir}`,
    ...(home?.lines ?? []),
  ].join('\n');
  print(flags, { tools, toolsSameBuild: pair.sameBuild, encoders, stateDir, ...(home ? { ok: home.ok, ...home.report } : {}) }, text);
  if (home && !home.ok) throw new NotReady(`the ${flags.backend} home is not ready: see the PROBLEM lines above`);
}
