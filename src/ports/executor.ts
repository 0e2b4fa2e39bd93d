/**
 * Runs the encode tasks of a job (video segments and the audio track) in this process's run (runJob), each
 * through the encode step, and resolves when every task has settled. The local worker pool
 * (adapters/local) and the cluster's queue (adapters/bullmq) are the implementations. The AWS home has none:
 * its workflow's Map invokes the same encode step once per task (app/run-steps.ts). One contract
 * (test/contract/executor-contract.ts) holds all three to the same behaviour, the workflow's EncodeAll state included.
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
