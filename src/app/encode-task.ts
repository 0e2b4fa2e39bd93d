/**
 * One attempt at one task: a video segment (read straight from the source, checked by decoding it and
 * counting its frames) or the whole audio track. Idempotent: a task already `done` returns its record and
 * encodes nothing. The claim is a conditional write, so two workers can never run the same attempt.
 */
import { basename, join } from 'node:path/posix';
import { cutMethodFor, segmentReadOf, type CutMethod } from '../core/cut-policy.js';
import { ConditionFailedError, FfmpegError, NotFoundError, oneLine, SegmentCheckError } from '../core/errors.js';
import type { JobHead, SegmentQuality, SegmentRead, TaskRecord } from '../core/types.js';
import { analyzed } from '../core/job-head.js';
import type { TaskId } from '../ports/ledger.js';
import type { ToolRunResult } from '../ports/media-tool.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { asDiskFull } from './disk-space.js';
import { describeTask as describe } from './outputs/describe-task.js';
import { outputKindOf, type TaskEncodeContext } from './outputs/output-kind.js';
import { claimTask, completeTask, failAttempt, handBackTask, noteCutFallback } from './transitions.js';

export interface EncodeTaskOptions {
  signal?: AbortSignal;
  /** Encoder threads of this ffmpeg. */
  threads: number;
  /** Decoder threads (default: `threads`). Decoder threads do not change the output. */
  decodeThreads?: number;
}

/**
 * The segment's read window: planned with its task; for a task planned before the window was stored, worked out
 * from the whole job (the one read of the frame list such a task needs).
 */
async function readOf(deps: AppDeps, task: TaskRecord): Promise<SegmentRead> {
  if (task.read) return task.read;
  const job = await deps.ledger.getJob(task.jobId);
  const segment = job?.plan?.segments[task.index];
  if (!job?.analysis || !segment) throw new NotFoundError(`segment ${task.index} is not in the plan of job ${task.jobId}`);
  return segmentReadOf(job.analysis, segment);
}

/**
 * Tells the events that this segment is read again by pre-roll, and (first finding only) the job, so its
 * later segments start with pre-roll. Best effort: a job that moved on keeps its state.
 */
async function fallBackToPreroll(deps: AppDeps, job: JobHead, task: TaskRecord, finding: string): Promise<void> {
  const reason = `${finding} when read by seeking (its keyframe is not one a decode starts from, e.g. intra refresh): segments decode from the third keyframe before them and keep their own frames by time`;
  await emit(deps, job.id, 'job.cutting', `${describe(task)}: read again by pre-roll: ${reason}`, { key: task.key, method: 'preroll' });
  const current = await deps.ledger.getJobHead(job.id);
  if (current && !current.cutFallback) {
    await noteCutFallback(deps.ledger, current, reason).catch(() => undefined);
  }
}

export async function encodeTask(deps: AppDeps, id: TaskId, opts: EncodeTaskOptions): Promise<TaskRecord> {
  const { ledger } = deps;
  const head = await ledger.getJobHead(id.jobId);
  if (!head) throw new NotFoundError(`job ${id.jobId} has no plan`);
  const job = analyzed(head);
  const current = await ledger.getTask(id);
  if (!current) throw new NotFoundError(`task ${id.kind} ${id.index} of job ${id.jobId} does not exist`);
  if (current.status === 'done') return current;

  const now = deps.clock();
  const attempt = current.attempts + 1;
  const task = await claimTask(ledger, current, {
    attempts: attempt,
    worker: deps.workerId,
    startedAt: now,
    heartbeatAt: now,
    clearError: true,
  });
  await emit(deps, id.jobId, 'task.started', `${describe(task)}: attempt ${attempt} on ${deps.workerId}`, { key: task.key, attempt });

  const scratch = await deps.blobs.scratchDir(id.jobId);
  const partial = join(scratch, `${basename(task.outputKey)}.partial`);
  let args: string[] = [];
  /** Frames the attempt's ffmpeg has encoded so far (its `-progress` lines). */
  let frames: number | undefined;
  const beatNow = (withArgs: boolean): void => {
    const at = deps.clock();
    const seconds = (at - now) / 1000;
    const progress = frames !== undefined ? { frames, at, ...(seconds > 0 ? { fps: frames / seconds } : {}) } : undefined;
    ledger.heartbeat(id, at, { ...(progress ? { progress } : {}), ...(withArgs && args.length ? { args } : {}) }).catch(() => undefined);
  };
  const beat = setInterval(() => beatNow(false), deps.heartbeatMs ?? 5000);
  try {
    const source = await deps.readableSource(job.source);
    const ffmpeg = (await deps.media.info()).find((t) => t.tool === 'ffmpeg');
    // Frames written, from `-progress`'s out_time_us (the time of the output muxed so far) over the segment's
    // span: its `frame=` counts frames handed to the encoder, which holds up to 50 in its look-ahead, so a short
    // segment's count ran ahead and its rate read 16 fps where it encoded 2.
    const span = task.endTime - task.startTime;
    const onStdoutLine =
      task.kind === 'video'
        ? (line: string) => {
            const m = /^out_time_(?:us|ms)=(\d+)/.exec(line);
            if (!m || !(span > 0)) return;
            frames = Math.min(task.frameCount, Math.floor((Number(m[1]) / 1e6 / span) * task.frameCount));
            deps.onProgress?.({ key: task.key, frames });
          }
        : undefined;
    const read = task.kind === 'video' ? await readOf(deps, task) : undefined;
    const kind = outputKindOf(job.options.profile);
    const context: TaskEncodeContext = {
      deps,
      job,
      task,
      read,
      source,
      scratch,
      partial,
      threads: opts.threads,
      avcodecMajor: ffmpeg?.avcodecMajor ?? 0,
      ...(opts.decodeThreads !== undefined ? { decodeThreads: opts.decodeThreads } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(onStdoutLine ? { onStdoutLine } : {}),
      setArgs: (a) => {
        args = a;
        // The running attempt shows its command at once (the dashboard, `status`), not when it ends.
        beatNow(true);
      },
    };
    /** CPU seconds of every run of this attempt (a seek read that came out short is read again). */
    let cpu = 0;
    /** One read of the task by its output kind: its ffmpeg (and check); the file to store at its output key. */
    const readTask = async (method?: CutMethod): Promise<{ run: ToolRunResult; file: string; quality?: SegmentQuality }> => {
      const out = await kind.encode(context, method);
      cpu += out.cpuSeconds;
      return { run: out.run, file: out.file, ...(out.quality ? { quality: out.quality } : {}) };
    };
    const method = task.kind === 'video' ? cutMethodFor(job.analysis, job.cutFallback).method : undefined;
    let out: Awaited<ReturnType<typeof readTask>>;
    try {
      out = await readTask(method);
    } catch (err) {
      // A seek read that came out short started late: its keyframe is not one a decode can start from.
      if (method !== 'seek' || !(err instanceof SegmentCheckError) || err.failure !== 'count' || opts.signal?.aborted) throw err;
      await fallBackToPreroll(deps, job, task, err.message);
      out = await readTask('preroll');
    }
    const run = out.run;
    const stored = await deps.blobs.putFile(task.outputKey, out.file);
    const finished = deps.clock();
    const done = await completeTask(
      ledger,
      id,
      {
        finishedAt: finished,
        wallMs: finished - now,
        cpuSeconds: cpu,
        args,
        exitCode: 0,
        stderrTail: run.stderrTail,
        sizeBytes: stored.sizeBytes,
        checksum: stored.checksum,
        ...(out.quality ? { quality: out.quality } : {}),
      },
      attempt,
    );
    await emit(deps, id.jobId, 'task.done', `${describe(task)} done in ${((finished - now) / 1000).toFixed(1)} s`, {
      key: task.key,
      wallMs: finished - now,
      cpuSeconds: cpu,
      sizeBytes: stored.sizeBytes,
    });
    return done;
  } catch (caught) {
    // The partial file goes first: on a full disk it holds the last free bytes, which the ledger needs.
    await deps.blobs.discardLocal(partial).catch(() => undefined);
    const err = await asDiskFull(deps, job, caught, scratch, describe(task), false);
    if (opts.signal?.aborted) {
      // Stopped by the user: hand the task back untouched (not a failed attempt).
      await handBackTask(ledger, id, current.attempts, attempt).catch(() => undefined);
      throw err;
    }
    const patch = {
      finishedAt: deps.clock(),
      error: oneLine(err),
      args,
      ...(err instanceof FfmpegError ? { exitCode: err.details.exitCode ?? -1, stderrTail: err.details.stderrTail } : {}),
    };
    await failAttempt(ledger, id, patch, attempt).catch((e) => {
      if (!(e instanceof ConditionFailedError)) throw e;
    });
    await emit(deps, id.jobId, 'task.failed', `${describe(task)} attempt ${attempt} failed: ${oneLine(err)}`, { key: task.key, attempt });
    throw err;
  } finally {
    clearInterval(beat);
  }
}
