/**
 * The coordinator's rules for which attempt of a cluster task counts. A worker's attempt is named by its file
 * key (`attemptKey`); the ledger's running record of a task stands for the attempt this run saw start. A report
 * (started, beat, failed, handback) of another attempt changes nothing, except `started`, which makes the
 * reporting attempt the one that counts (the previous one lost its BullMQ lock). A result BullMQ accepted is
 * recorded whichever attempt sent it: BullMQ accepts only the lock holder's. Every write is a named transition
 * (app/transitions.ts). Kept apart from the flow plumbing of cluster-executor.ts, and tested without Redis
 * (test/fast/report-rules.test.ts).
 */
import { ConditionFailedError } from '../../core/errors.js';
import type { EventType } from '../../core/lifecycle.js';
import type { TaskRecord } from '../../core/types.js';
import type { StoredBlob } from '../../ports/blob-store.js';
import type { Ledger } from '../../ports/ledger.js';
import { failAttempt, handBackTask, noteCutFallback, recordAttemptStart, recordTaskResult, taskIdOf } from '../../app/transitions.js';
import type { EncodeResult, WorkerReport } from './protocol.js';

import { taskName as describe } from '../../app/outputs/describe-task.js';

export interface ReportContext {
  ledger: Ledger;
  clock: () => number;
  event(type: EventType, message: string, data?: Record<string, unknown>): Promise<void>;
  onProgress?: (p: { key: string; frames: number }) => void;
}

/**
 * The start to record for an attempt the flow shows running while the ledger does not (it started while no
 * coordinator listened), from the last report its child holds. None when that report ended an attempt (failed,
 * handed back): it is the previous attempt's, the running one has not reported yet, and taking the old attempt's
 * key for it would count the running attempt twice once its own start came.
 */
export function startFromLastReport(last: WorkerReport, at: number): WorkerReport | undefined {
  if (last.t === 'failed' || last.t === 'handback') return undefined;
  return { t: 'started', worker: last.worker, attemptKey: last.attemptKey, at };
}

export class AttemptRules {
  /** The attempt (its file key) the ledger's running record of a task stands for, as this run saw it start. */
  private readonly attempt = new Map<string, string>();

  constructor(private readonly ctx: ReportContext) {}

  /** Whether a report or result speaks for the attempt the ledger's running record stands for. */
  holds(cur: TaskRecord, r: { worker: string; attemptKey: string }): boolean {
    if (cur.status !== 'running' || cur.worker !== r.worker) return false;
    const known = this.attempt.get(cur.key);
    return known === undefined || known === r.attemptKey;
  }

  /** Applies one report of a worker's attempt at `task` (as planned) to the ledger, if that attempt counts. */
  async applyReport(task: TaskRecord, r: WorkerReport): Promise<void> {
    const { ledger } = this.ctx;
    const id = taskIdOf(task);
    const cur = await ledger.getTask(id);
    if (!cur || cur.status === 'done') return;
    const holds = this.holds(cur, r);
    try {
      switch (r.t) {
        case 'started': {
          if (holds) {
            this.attempt.set(task.key, r.attemptKey);
            return;
          }
          const now = this.ctx.clock();
          const attempt = cur.attempts + 1;
          await recordAttemptStart(ledger, cur, {
            attempts: attempt,
            worker: r.worker,
            startedAt: r.at,
            heartbeatAt: now,
            clearError: true,
          });
          this.attempt.set(task.key, r.attemptKey);
          if (cur.status === 'running' && cur.worker) {
            await this.ctx.event(
              'task.requeued',
              `${describe(task)}: the attempt on ${cur.worker} lost its lock; the task went back to the queue`,
              { key: task.key, from: cur.worker },
            );
          }
          await this.ctx.event('task.started', `${describe(task)}: attempt ${attempt} on ${r.worker}`, {
            key: task.key,
            attempt,
            worker: r.worker,
          });
          return;
        }
        case 'beat':
          if (!holds) return;
          await ledger.heartbeat(id, this.ctx.clock(), {
            ...(r.frames !== undefined ? { progress: { frames: r.frames, at: r.at, ...(r.fps !== undefined ? { fps: r.fps } : {}) } } : {}),
            ...(r.args ? { args: r.args } : {}),
            ...(r.quality ? { quality: r.quality } : {}),
          });
          if (r.frames !== undefined) this.ctx.onProgress?.({ key: task.key, frames: r.frames });
          return;
        case 'event':
          await this.ctx.event(r.type, r.message, r.data);
          return;
        case 'cut-fallback': {
          const head = await ledger.getJobHead(task.jobId);
          if (head && !head.cutFallback) await noteCutFallback(ledger, head, r.reason);
          return;
        }
        case 'failed':
          if (!holds) return;
          await failAttempt(ledger, id, r.patch, cur.attempts);
          await this.ctx.event(
            'task.failed',
            `${describe(task)} attempt ${cur.attempts} failed on ${r.worker}: ${r.patch.error ?? 'unknown error'}`,
            { key: task.key, attempt: cur.attempts },
          );
          return;
        case 'handback':
          if (!holds) return;
          await handBackTask(ledger, id, Math.max(0, cur.attempts - 1), cur.attempts);
          this.attempt.delete(task.key);
          await this.ctx.event('task.handed-back', `${describe(task)}: ${r.worker} stopped its attempt and handed the task back`, {
            key: task.key,
          });
          return;
      }
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }

  /**
   * Records a result BullMQ accepted, its bytes now stored at the task's key: the task is done with the
   * attempt's fields (counted as a new attempt when it was not the one the ledger knew).
   */
  async recordResult(task: TaskRecord, cur: TaskRecord, r: EncodeResult, stored: StoredBlob): Promise<void> {
    const attempts = this.holds(cur, r) ? cur.attempts : cur.attempts + 1;
    await recordTaskResult(this.ctx.ledger, cur, {
      ...r.patch,
      attempts,
      worker: r.worker,
      sizeBytes: stored.sizeBytes,
      checksum: stored.checksum,
      clearError: true,
    });
    this.attempt.delete(task.key);
    const wall = r.patch.wallMs ?? 0;
    await this.ctx.event('task.done', `${describe(task)} done in ${(wall / 1000).toFixed(1)} s on ${r.worker}`, {
      key: task.key,
      wallMs: wall,
      cpuSeconds: r.patch.cpuSeconds,
      sizeBytes: stored.sizeBytes,
      worker: r.worker,
    });
  }
}
