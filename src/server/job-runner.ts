/**
 * Runs jobs in this process, in the background, with the same runtime as the CLI: one AbortController per
 * run, so a job can be cancelled (it stays resumable) and every run can be stopped on shutdown.
 * Live frame counts of running encodes are kept here for the SSE snapshots.
 */
import { addQualityReport } from '../app/measure-quality.js';
import { createJob, resumeJob, retryJob, runJob, type NewJobInput } from '../app/run-job.js';
import type { TaskProgress } from '../app/deps.js';
import { ConditionFailedError, InputError } from '../core/errors.js';
import type { JobRecord } from '../core/types.js';
import type { LocalRuntime } from '../runtime/local-runtime.js';

/** `quality` measures a done job's output against its source (app/measure-quality.ts). */
export type RunAction = 'run' | 'resume' | 'retry' | 'quality';

interface ActiveRun {
  action: RunAction;
  controller: AbortController;
  done: Promise<void>;
}

export interface RunnerLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** Live frame counts of running encodes, by task key. */
export class LiveProgress {
  private readonly frames = new Map<string, number>();
  onProgress = (p: TaskProgress): void => {
    this.frames.set(p.key, p.frames);
  };
  forJob(jobId: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, n] of this.frames) if (key.startsWith(`${jobId}/`)) out[key] = n;
    return out;
  }
  clear(jobId: string): void {
    for (const key of [...this.frames.keys()]) if (key.startsWith(`${jobId}/`)) this.frames.delete(key);
  }
}

export class JobRunner {
  private readonly active = new Map<string, ActiveRun>();

  constructor(
    private readonly runtime: LocalRuntime,
    private readonly live: LiveProgress,
    private readonly log: RunnerLog,
  ) {}

  isRunning(jobId: string): boolean {
    return this.active.has(jobId);
  }

  /** Creates the job in the ledger and starts it in the background. */
  async create(input: NewJobInput): Promise<JobRecord> {
    const job = await createJob(this.runtime.deps, input);
    this.start(job.id, 'run');
    return job;
  }

  /** Starts a run in the background; throws ConditionFailedError when this process already runs the job. */
  start(jobId: string, action: RunAction): void {
    if (this.active.has(jobId)) {
      throw new ConditionFailedError(`job ${jobId} is already running in this server`, undefined);
    }
    const controller = new AbortController();
    const run = this.execute(jobId, action, controller.signal);
    const done = run.then(
      (job) => this.log.info(`job ${jobId} ${job.status}`),
      (err: unknown) => this.log.warn(`job ${jobId} ${action} ended: ${err instanceof Error ? err.message : String(err)}`),
    ).finally(() => {
      this.active.delete(jobId);
      this.live.clear(jobId);
    });
    this.active.set(jobId, { action, controller, done });
  }

  private async execute(jobId: string, action: RunAction, signal: AbortSignal): Promise<JobRecord> {
    const { deps } = this.runtime;
    const job = await deps.ledger.getJob(jobId);
    if (!job) throw new InputError(`no job ${jobId}`);
    const executor = this.runtime.executorFor(job);
    if (action === 'resume') return resumeJob(deps, executor, jobId, signal);
    if (action === 'retry') return retryJob(deps, executor, jobId, signal);
    if (action === 'quality') return addQualityReport(deps, jobId, signal);
    return runJob(deps, executor, jobId, signal);
  }

  /** Aborts a run of this process and waits (up to `waitMs`) for it to settle. False when none runs here. */
  async cancel(jobId: string, waitMs = 15_000): Promise<boolean> {
    const run = this.active.get(jobId);
    if (!run) return false;
    run.controller.abort(new Error('cancelled'));
    await Promise.race([run.done, new Promise((r) => setTimeout(r, waitMs).unref())]);
    return true;
  }

  /** Aborts every run (they end `cancelled`, resumable) and waits for them to settle. */
  async stopAll(waitMs = 20_000): Promise<void> {
    const runs = [...this.active.values()];
    for (const r of runs) r.controller.abort(new Error('server stopping'));
    await Promise.race([Promise.allSettled(runs.map((r) => r.done)), new Promise((r) => setTimeout(r, waitMs).unref())]);
  }
}
