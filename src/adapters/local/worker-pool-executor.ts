/**
 * The local Executor: a pool of N workers pulling tasks in order, each task run through `runTask` (the
 * encodeTask use-case), failed attempts retried with exponential backoff while `isRetryable` says so.
 * A task that fails for good does not stop the others: their work is kept, and `retry` re-runs only it.
 */
import { isRetryable } from '../../core/errors.js';
import type { Executor, ExecutorRunResult } from '../../ports/executor.js';
import type { TaskId } from '../../ports/ledger.js';

export interface WorkerPoolOptions {
  concurrency: number;
  maxAttempts: number;
  runTask: (task: TaskId, signal: AbortSignal | undefined) => Promise<void>;
  /** Delay before attempt n+1 (n >= 1). Default: 500 ms * 2^(n-1), at most 8 s. */
  backoffMs?: (attempt: number) => number;
}

const defaultBackoff = (n: number) => Math.min(8000, 500 * 2 ** (n - 1));

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class WorkerPoolExecutor implements Executor {
  constructor(private readonly opts: WorkerPoolOptions) {}

  async run(_jobId: string, tasks: TaskId[], signal?: AbortSignal): Promise<ExecutorRunResult> {
    const queue = [...tasks];
    const failed: TaskId[] = [];
    let firstError: unknown;
    let firstAbortError: unknown;
    const backoff = this.opts.backoffMs ?? defaultBackoff;
    const worker = async () => {
      for (;;) {
        if (signal?.aborted) return;
        const task = queue.shift();
        if (!task) return;
        for (let attempt = 1; ; attempt++) {
          try {
            await this.opts.runTask(task, signal);
            break;
          } catch (err) {
            if (signal?.aborted) {
              firstAbortError ??= err;
              return;
            }
            if (!isRetryable(err) || attempt >= this.opts.maxAttempts) {
              if (!failed.length) firstError = err;
              failed.push(task);
              break;
            }
            await sleep(backoff(attempt), signal);
          }
        }
      }
    };
    const n = Math.max(1, Math.min(this.opts.concurrency, tasks.length));
    await Promise.all(Array.from({ length: n }, worker));
    if (signal?.aborted) throw signal.reason ?? firstAbortError ?? new Error('aborted');
    return failed.length ? { failed, firstError } : { failed };
  }
}
