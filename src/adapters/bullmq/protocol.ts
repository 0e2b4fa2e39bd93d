/**
 * What the coordinator and the workers of a cluster say to each other through BullMQ: queue names, job ids,
 * the encode message (a child job's data), a worker's reports on a running task (job progress, which BullMQ
 * streams to QueueEvents in order), and its result (the job's return value). Redis holds the queue; the record
 * is the coordinator's ledger, which applies these with its own conditions.
 */
import type { EventType } from '../../core/lifecycle.js';
import type { JobHead, SegmentQuality, TaskRecord } from '../../core/types.js';
import type { TaskPatch } from '../../ports/ledger.js';

import { createHash } from 'node:crypto';

/**
 * The queues of one store: encode tasks, taken by the `shardcast worker`s of that store, and one parent job per
 * shardcast job (the flow's join, which waits on its encode children). Named after the store's location, so
 * clusters with different stores can share a Redis and a worker never takes a task whose files it cannot reach.
 */
export interface ClusterQueues {
  encode: string;
  merge: string;
}

/** `store`: the store's location and, for S3, its endpoint. */
export function clusterQueues(store: string): ClusterQueues {
  const h = createHash('sha256').update(store).digest('hex').slice(0, 10);
  return { encode: `shardcast-encode-${h}`, merge: `shardcast-merge-${h}` };
}
/** A worker's presence hash (host, pid, task, heartbeat), expiring unless refreshed. */
export const WORKER_KEY_PREFIX = 'shardcast:worker:';

/** The encode child of a task: `<jobId>-v00003` (a BullMQ custom id may not hold ':'). */
export function childJobId(jobId: string, taskKey: string): string {
  return `${jobId}-${taskKey.slice(taskKey.indexOf('/') + 1)}`;
}

/** The shardcast job an encode child belongs to. */
export function jobIdOfChild(childId: string): string {
  return childId.slice(0, childId.lastIndexOf('-'));
}

export interface EncodeMessage {
  jobId: string;
  /** The task as planned (its read window, frames, output key). */
  task: TaskRecord;
  /** The job without its frame list: what one encode needs. */
  head: JobHead;
  threads: number;
  decodeThreads: number;
  /** The store's id as the coordinator reads it: a worker that reads another there refuses the task. */
  storeId?: string;
}

/** The file of one attempt: `<jobId>/attempts/v00003.<tag>.mp4`, moved to the task's key once accepted. */
export function attemptKeyOf(outputKey: string, tag: string): string {
  const slash = outputKey.indexOf('/');
  const name = outputKey.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  return `${outputKey.slice(0, slash)}/attempts/${stem}.${tag}${ext}`;
}

/**
 * Every report names its worker and its attempt (`attemptKey`, unique per time a worker takes the task): BullMQ
 * stores progress without checking the lock, so a worker that lost the task can still report, and the same worker
 * may hold the task again in a later attempt.
 */
export type WorkerReport = { worker: string; attemptKey: string } & (
  | { t: 'started'; at: number }
  | { t: 'beat'; at: number; frames?: number; fps?: number; args?: string[]; quality?: SegmentQuality }
  | { t: 'event'; type: EventType; message: string; data?: Record<string, unknown> }
  | { t: 'cut-fallback'; reason: string }
  | { t: 'failed'; patch: TaskPatch }
  | { t: 'handback' }
);

export interface EncodeResult {
  worker: string;
  attemptKey: string;
  /** The done transition's fields (times, CPU, command, stderr tail, size, checksum). */
  patch: TaskPatch;
}

/** What a worker publishes about itself (WORKER_KEY_PREFIX + id), for the dashboard and `doctor`. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  /** Keys of the tasks it runs now. */
  tasks: string[];
  heartbeatAt: number;
  startedAt: number;
  ffmpeg: string;
  store: string;
  /** The store's id as this worker reads it (the same folder on every node shows the same id). */
  storeId?: string;
  draining?: boolean;
}
