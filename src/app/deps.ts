/**
 * What the use-cases need, passed in explicitly (no globals). Built by src/runtime.
 */
import type { EventType } from '../core/lifecycle.js';
import type { JobEvent } from '../core/types.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { Ledger } from '../ports/ledger.js';
import type { MediaTool } from '../ports/media-tool.js';

export interface TaskProgress {
  key: string;
  /** Frames encoded so far in this attempt. */
  frames: number;
}

export interface AppDeps {
  ledger: Ledger;
  blobs: BlobStore;
  media: MediaTool;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Who runs tasks in this process (`host:pid`, or a Lambda request id). */
  workerId: string;
  /** A location ffmpeg can read a job's source from (a local path as is; a presigned URL for s3://). */
  readableSource: (source: string) => Promise<string>;
  /** Size of the source in bytes, or undefined when it cannot be read (a missing file). */
  sourceSize: (location: string) => Promise<number | undefined>;
  /** Whether a worker id belongs to a live process; undefined when this process cannot tell. */
  isWorkerAlive?: (workerId: string) => boolean | undefined;
  /** Live progress from running encodes. */
  onProgress?: (p: TaskProgress) => void;
  /** Milliseconds between heartbeats of a running task (default 5000). */
  heartbeatMs?: number;
  /**
   * Where a segment's encode must finish in a bounded time (a Lambda function's timeout): the planner keeps
   * segments short enough, from an encode of the source timed here with the functions' threads (default: the
   * job's threads per worker, as the emulated functions get). Unset locally.
   */
  segmentTimeLimit?: { seconds: number; threads?: number };
  /**
   * Sources of at least `minBytes` in a container with an index (Matroska, MP4) are scanned in `ranges` reads
   * at once, each of an interval (core/packet-scan.ts joinIntervalScans): over S3 one read is bound by one
   * connection's rate. Unset: one read.
   */
  parallelScan?: { minBytes: number; ranges: number };
  /** Told of each event `emit` appended (the webhook notifier, app/notifier.ts); never awaited. */
  onEvent?: (event: JobEvent) => void;
}

/** Appends an event; never lets a failed event write fail the work itself. */
export async function emit(deps: AppDeps, jobId: string, type: EventType, message: string, data?: Record<string, unknown>): Promise<void> {
  try {
    const event = await deps.ledger.appendEvent({ jobId, at: deps.clock(), type, message, ...(data ? { data } : {}) });
    deps.onEvent?.(event);
  } catch {
    /* events are best effort */
  }
}
