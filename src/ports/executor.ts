/**
 * Runs the encode tasks of a job (video segments and the audio track), each through the `encodeTask`
 * use-case, and resolves when every task has settled. The local worker pool, the Step Functions state
 * machine and the cluster's queue (adapters/bullmq) are the implementations.
 */
import type { TaskId } from './ledger.js';

export interface ExecutorRunResult {
  /** Tasks that ended failed (after their retries). */
  failed: TaskId[];
  /** The error of the first of them, for when the ledger could not record it (a full disk). */
  firstError?: unknown;
}

export interface Executor {
  /**
   * True where the tasks run on workers the executor's queue tracks (a cluster): a task left `running` when this
   * process stopped may still be encoding there, so resume and retry hand it to `run` to follow, not reclaim.
   */
  readonly followsRunningTasks?: boolean;
  /** Runs `tasks` in the given order with the executor's concurrency; stops early when `signal` aborts. */
  run(jobId: string, tasks: TaskId[], signal?: AbortSignal): Promise<ExecutorRunResult>;
}
