/**
 * Runs jobs in this process, in the background, with the same Backend verbs as the CLI: one AbortController
 * per run, so a job can be cancelled (it stays resumable) and every run can be stopped on shutdown.
 * Live frame counts of running encodes are kept here for the SSE snapshots.
 */
import type { TaskProgress } from '../app/deps.js';
import { ConditionFailedError } from '../core/errors.js';
import type { JobRecord } from '../core/types.js';
import type { Backend, JobRequest } from '../runtime/backend.js';

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

/** Live frame counts of running encodes, by task key, with when each was read (epoch ms). */
export class LiveProgress {
  private readonly frames = new Map<string, { frames: number; at: number }>();
  constructor(private readonly clock: () => number = Date.now) {}
  onProgress = (p: TaskProgress): void => {
    this.frames.set(p.key, { frames: p.frames, at: this.clock() });
  };
  forJob(jobId: string): Record<string, { frames: number; at: number }> {
    const out: Record<string, { frames: number; at: number }> = {};
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
    private readonly backend: Backend,
    private readonly live: LiveProgress,
    private readonly log: RunnerLog,
  ) {}

  isRunning(jobId: string): boolean {
    return this.active.has(jobId);
  }

  /**
   * Submits a job and runs it in the background; resolves once it is in the ledger, rejects with the error
   * that refused it (bad options, an unusable source) before that.
   */
  submit(req: JobRequest & { id: string }): Promise<void> {
    return new Promise((resolve, reject) => {
      let created = false;
      this.start(req.id, 'run', (signal) =>
        this.backend
          .submit(req, {
            signal,
            onJob: () => {
              created = true;
              resolve();
            },
          })
          .then(
            (r) => r.job,
            (err: unknown) => {
              if (!created) reject(err instanceof Error ? err : new Error(String(err)));
              throw err;
            },
          ),
      );
    });
  }

  /** Starts a run in the background; throws ConditionFailedError when this process already runs the job. */
  start(
    jobId: string,
    action: RunAction,
    run: (signal: AbortSignal) => Promise<JobRecord> = (signal) => this.execute(jobId, action, signal),
  ): void {
    if (this.active.has(jobId)) {
      throw new ConditionFailedError(`job ${jobId} is already running in this server`, undefined);
    }
    const controller = new AbortController();
    const done = run(controller.signal)
      .then(
        (job) => this.log.info(`job ${jobId} ${job.status}`),
        (err: unknown) => this.log.warn(`job ${jobId} ${action} ended: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => {
        this.active.delete(jobId);
        this.live.clear(jobId);
      });
    this.active.set(jobId, { action, controller, done });
  }

  private async execute(jobId: string, action: RunAction, signal: AbortSignal): Promise<JobRecord> {
    if (action === 'resume') return (await this.backend.resume(jobId, { signal })).job;
    if (action === 'retry') return (await this.backend.retry(jobId, { signal })).job;
    if (action === 'quality') return this.backend.quality(jobId, { signal });
    throw new Error(`a run is started by submit, not by start(${jobId}, run)`);
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
