/** Fixed, deterministic names for a job's tasks and files (job id + kind + zero-padded index). */
import type { TaskKind } from './types.js';

export function taskKey(jobId: string, kind: TaskKind, index: number): string {
  return `${jobId}/${kind === 'video' ? 'v' : 'a'}${String(index).padStart(5, '0')}`;
}

export function videoSegmentBlobKey(jobId: string, index: number): string {
  return `${taskKey(jobId, 'video', index)}.mp4`;
}

export function audioBlobKey(jobId: string, ext: string): string {
  return `${taskKey(jobId, 'audio', 0)}.${ext}`;
}

/** Job ids: 12 lowercase base-36 characters, safe in paths, URLs and DynamoDB keys. */
export const JOB_ID_PATTERN = /^[a-z0-9]{6,32}$/;
