/**
 * The payloads the state machine (infra/workflow.asl.json) passes to and expects from each Lambda handler.
 * Keys and indices only, never data: the largest is the analyze result, one small integer per segment still
 * to encode (about 6 bytes each, so 40,000 segments stay under Step Functions' 256 KB payload limit).
 */
import type { TaskKind } from '../../core/types.js';

/** The execution input, and the input of Analyze, Merge and Finalize. */
export interface JobStepInput {
  jobId: string;
}

/** What the Analyze handler returns (trimmed by its ResultSelector to these two fields). */
export interface AnalyzeStepOutput {
  /** Indices of the video segments still to encode (not `done`), in encode order. */
  segments: number[];
  /** Whether the audio task exists and still needs encoding. */
  audio: boolean;
  /** Segments encoded at once (the segment Map's MaxConcurrencyPath): the job's, capped by the account's. */
  concurrency: number;
}

/** The input of EncodeSegment (one Map item) and EncodeAudio. Their output is dropped (OutputPath null). */
export interface EncodeStepInput {
  jobId: string;
  kind: TaskKind;
  index: number;
}

/** The input of MarkFailed: the job, and the Error/Cause the Catch caught. */
export interface MarkFailedStepInput {
  jobId: string;
  error: string;
  cause: string;
}

/**
 * Error name a handler throws (as `err.name`) for a failure worth another attempt; the workflow retries it
 * with backoff. Any other error name goes straight to the Catch.
 */
export const RETRYABLE_TASK_ERROR = 'RetryableTaskError';

/**
 * Error name of a task refused because another invocation is encoding it (TaskBusyError): its retrier waits
 * out a function's whole run and the stale window (workflow-definition.ts busyRetryAttempts).
 */
export const TASK_BUSY_ERROR = 'TaskBusyError';

/** What a caught failure says, parsed from MarkFailed's input. */
export interface WorkflowFailure {
  /** The failing task, when the failure came from EncodeSegment or EncodeAudio. */
  task?: { kind: TaskKind; index: number };
  /** The error name (e.g. FfmpegError, States.Timeout). */
  error: string;
  /** The error message, without a stack. */
  message: string;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Lambda error's Cause is `{"errorType","errorMessage","trace"}`; other causes are plain text. */
function messageOf(cause: unknown): string {
  if (typeof cause !== 'string') return '';
  const parsed = parseJson(cause);
  if (isRecord(parsed) && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  return cause;
}

/**
 * Reads MarkFailed's input. A task failure arrives as Error "TaskFailed" with the Cause set (by the
 * NameFailedSegment / NameFailedAudio states) to the JSON of `{jobId, kind, index, error: {Error, Cause}}`.
 */
export function parseWorkflowFailure(input: Pick<MarkFailedStepInput, 'error' | 'cause'>): WorkflowFailure {
  const parsed = parseJson(input.cause);
  if (input.error === 'TaskFailed' && isRecord(parsed) && isRecord(parsed.error)) {
    const kind = parsed.kind === 'audio' ? 'audio' : 'video';
    const index = typeof parsed.index === 'number' ? parsed.index : Number(parsed.index);
    const inner = parsed.error;
    const failure: WorkflowFailure = {
      error: typeof inner.Error === 'string' ? inner.Error : 'Error',
      message: messageOf(inner.Cause),
    };
    return Number.isInteger(index) ? { task: { kind, index }, ...failure } : failure;
  }
  return { error: input.error, message: messageOf(input.cause) };
}

/** One line naming the failing task, e.g. `video segment 3 failed: FfmpegError: ffmpeg exited with 1`. */
export function describeWorkflowFailure(f: WorkflowFailure): string {
  const what = f.task ? (f.task.kind === 'video' ? `video segment ${f.task.index}` : 'audio') : 'workflow';
  return `${what} failed: ${f.error}${f.message ? `: ${f.message}` : ''}`;
}
