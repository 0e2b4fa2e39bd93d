/**
 * Typed errors. Each carries the exit code the CLI maps it to and the context needed to act on it.
 * Whether an error is worth a retry is decided in one place: `isRetryable`.
 */
import type { JobRecord, TaskRecord } from './types.js';

export abstract class ShardcastError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line or API input (exit 2). */
export class UsageError extends ShardcastError {
  readonly exitCode = 2;
}

/** The source or output path cannot be used: missing, not media, no video stream, same as output (exit 2). */
export class InputError extends ShardcastError {
  readonly exitCode = 2;
}

/** ffmpeg/ffprobe is missing or too old (exit 2). */
export class ToolMissingError extends ShardcastError {
  readonly exitCode = 2;
}

/** An ffmpeg or ffprobe run failed. */
export class FfmpegError extends ShardcastError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly details: { tool: string; exitCode: number | null; signal?: string | null; stderrTail: string; taskKey?: string },
  ) {
    super(message);
  }
}

/** A task's output did not have the planned frame count (`count`) or failed its decode check (`decode`). */
export class SegmentCheckError extends ShardcastError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly taskKey: string,
    readonly failure: 'count' | 'decode' = 'decode',
  ) {
    super(message);
  }
}

/** The merged output failed verification. */
export class VerifyError extends ShardcastError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly failures: string[],
  ) {
    super(message);
  }
}

/** The job finished as failed; the message names the failing segment when there is one. */
export class JobFailedError extends ShardcastError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly jobId: string,
    readonly taskKey?: string,
  ) {
    super(message);
  }
}

/** The job was stopped by the user (Ctrl-C, cancel); it stays resumable. */
export class CancelledError extends ShardcastError {
  readonly exitCode = 130;
}

/**
 * A folder the job writes ran out of space (ENOSPC from ffmpeg, the file system or SQLite), or has too little
 * for what the job still needs. Not worth a retry: the message names the folder and the space needed.
 */
export class DiskFullError extends ShardcastError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly folder: string,
  ) {
    super(message);
  }
}

/**
 * The home's queue stopped answering for longer than the job waits for it (a cluster's Redis gone): the run
 * stops, the job stays resumable once it is back. Not worth a retry of a task: no task is at fault.
 */
export class HomeUnreachableError extends ShardcastError {
  readonly exitCode = 1;
}

/**
 * A task is being encoded elsewhere right now (running, its heartbeat fresh): worth another attempt, but only
 * once that encode has ended or gone stale, which may take as long as a function runs. Its own name, so the
 * workflow's retrier for it waits that long (a RetryableTaskError's backoff is seconds).
 */
export class TaskBusyError extends ShardcastError {
  readonly exitCode = 1;
}

/**
 * The merge's read of a segment was cut short (a connection reset, an S3 5xx, a partial file) and the output it
 * made failed verification: the segments are fine, so another merge is worth it, where a verification failure
 * of a merge that read everything is not (VerifyError).
 */
export class MergeReadError extends ShardcastError {
  readonly exitCode = 1;
}

/** The ledger file cannot be read as a database (truncated, overwritten): not worth a retry. */
export class LedgerDamagedError extends ShardcastError {
  readonly exitCode = 2;
}

/** Whether an error is a write that failed for want of space: ffmpeg's stderr, an fs errno, SQLite's code. */
export function isDiskFull(err: unknown): boolean {
  if (err instanceof DiskFullError) return true;
  const e = err as { code?: unknown; message?: unknown; details?: { stderrTail?: unknown } } | undefined;
  if (e?.code === 'ENOSPC' || e?.code === 'SQLITE_FULL' || e?.code === 'EDQUOT') return true;
  const text = `${typeof e?.message === 'string' ? e.message : ''}\n${typeof e?.details?.stderrTail === 'string' ? e.details.stderrTail : ''}`;
  return /No space left on device|Disk quota exceeded|database or disk is full/.test(text);
}

export class NotFoundError extends ShardcastError {
  readonly exitCode = 2;
}

/** A conditional write lost: the record was not in the expected state. Carries the current record. */
export class ConditionFailedError extends ShardcastError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly current: TaskRecord | JobRecord | undefined,
  ) {
    super(message);
  }
}

/** The one place that decides whether a failed attempt is worth another try. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof CancelledError) return false;
  if (err instanceof InputError || err instanceof UsageError || err instanceof ToolMissingError) return false;
  if (err instanceof ConditionFailedError || err instanceof HomeUnreachableError) return false;
  // Out of space: another attempt fills the same disk.
  if (isDiskFull(err) || err instanceof LedgerDamagedError) return false;
  // A merged output that fails verification fails it again.
  if (err instanceof VerifyError) return false;
  // A job, plan or task that does not exist will not appear by trying again.
  if (err instanceof NotFoundError) return false;
  if (err instanceof FfmpegError || err instanceof SegmentCheckError) return true;
  // Unknown errors (I/O hiccups, network) get another attempt.
  return true;
}

/** One line for a user: the message without a stack. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.trim().replace(/\s*\n\s*/g, ' | ');
}

/** The last non-empty line of a tool's stderr (ffmpeg's own one-line reason), trimmed. */
/** ffmpeg's closing words that say only that it failed, not why. */
const GENERIC_FFMPEG_LINE =
  /^(Conversion failed!?|Error splitting the argument list: .*|Exiting normally.*|Nothing was written into output file.*|Error while processing the decoded data.*|Error closing file.*|Press \[q\].*|frame=.*|size=.*)$/;
const ERROR_WORDS =
  /error|invalid|unrecognized|unknown|not found|no such|could not|cannot|can't|failed|unsupported|not supported|incorrect|missing|denied|no space|unable|does not|doesn't|too (large|small|many|few)|out of range|mismatch|not divisible/i;

/**
 * The line of ffmpeg's stderr that says why it failed: the first that reads like an error and is not one of its
 * generic closing lines ("Error splitting the argument list: Option not found" follows the "Unrecognized option
 * 'svtav1-params'." that names the cause), without the `@ 0x55d…` addresses; else the last line.
 */
export function ffmpegErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim().replace(/ @ 0x[0-9a-f]+\]/, ']'))
    .filter(Boolean);
  return lines.find((l) => ERROR_WORDS.test(l) && !GENERIC_FFMPEG_LINE.test(l)) ?? lines.pop() ?? '';
}
