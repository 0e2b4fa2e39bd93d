/**
 * A MediaTool around another that fails a chosen task's ffmpeg runs, by task, not by file name: each home's test
 * harness runs a task's encode inside `within(task, ...)` (the worker pool's runTask, a cluster worker's encode,
 * the workflow's Encode handler), and the ffmpeg runs made inside it are that task's. It also counts the runs
 * (per task, and how many ran at once), can slow each one down so a stop lands mid-run, and says when one ended.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ToolMissingError } from '../../src/core/errors.js';
import type { TaskId } from '../../src/ports/ledger.js';
import type { MediaTool, ToolInfo, ToolName, ToolRunOptions, ToolRunResult } from '../../src/ports/media-tool.js';

/** `exit`: ffmpeg exits 1 (an attempt worth retrying); `missing`: ffmpeg is not there (no retry helps). */
export type Fault = 'exit' | 'missing';

export const taskName = (t: TaskId): string => `${t.jobId}:${t.kind}:${t.index}`;

export class TaskFaults implements MediaTool {
  private readonly current = new AsyncLocalStorage<string>();
  private readonly planned = new Map<string, Fault[]>();
  /** ffmpeg runs started, per task (`taskName`), failed ones included. */
  readonly runs = new Map<string, number>();
  /** ffmpeg runs that ended with the encode's output written (not failed, not stopped), per task. */
  readonly encoded = new Map<string, number>();
  private running = 0;
  /** The most ffmpeg runs at once. */
  maxAtOnce = 0;
  /** Each ffmpeg run of a task waits this long first (a stop may land in it). */
  delayMs = 0;
  /** Called after each ffmpeg run of a task that ended with its output written. */
  onEncoded: ((task: string) => void) | undefined;

  constructor(private readonly inner: MediaTool) {}

  /** Runs `fn` as `task`'s: the ffmpeg runs it makes are counted and faulted as that task's. */
  within<T>(task: TaskId, fn: () => Promise<T>): Promise<T> {
    return this.current.run(taskName(task), fn);
  }

  /** The next ffmpeg runs of `task` fail, one fault per run, in order; later ones run normally. */
  fail(task: TaskId, ...faults: Fault[]): void {
    this.planned.set(taskName(task), [...(this.planned.get(taskName(task)) ?? []), ...faults]);
  }

  /** Forgets the counts and plans (between tests). */
  reset(): void {
    this.planned.clear();
    this.runs.clear();
    this.encoded.clear();
    this.maxAtOnce = 0;
    this.delayMs = 0;
    this.onEncoded = undefined;
  }

  info(): Promise<ToolInfo[]> {
    return this.inner.info();
  }

  async run(tool: ToolName, args: readonly string[], opts: ToolRunOptions = {}): Promise<ToolRunResult> {
    const task = this.current.getStore();
    if (tool !== 'ffmpeg' || task === undefined) return this.inner.run(tool, args, opts);
    this.runs.set(task, (this.runs.get(task) ?? 0) + 1);
    this.running++;
    this.maxAtOnce = Math.max(this.maxAtOnce, this.running);
    try {
      // Waits the delay, or less when the run is stopped.
      if (this.delayMs) await sleep(this.delayMs, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined);
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted');
      const fault = this.planned.get(task)?.shift();
      if (fault === 'missing') throw new ToolMissingError('ffmpeg not found (injected for this task)');
      if (fault === 'exit') return { exitCode: 1, signal: null, stdout: '', stderrTail: 'injected failure\n', wallMs: 0, cpuSeconds: 0 };
      const r = await this.inner.run(tool, args, opts);
      if (r.exitCode === 0) {
        this.encoded.set(task, (this.encoded.get(task) ?? 0) + 1);
        this.onEncoded?.(task);
      }
      return r;
    } finally {
      this.running--;
    }
  }
}
