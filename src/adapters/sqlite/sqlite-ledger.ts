/**
 * The ledger on SQLite (better-sqlite3). Safe to share one file between processes (a CLI running a job while
 * `shardcast jobs` reads it): WAL, a busy timeout, and short IMMEDIATE transactions for every write.
 * Every status change is an `UPDATE ... WHERE status IN (...)` whose row count is checked; a miss becomes
 * ConditionFailedError carrying the current record (NotFoundError when there is none).
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { dirname, join } from 'node:path';
import { ConditionFailedError, DiskFullError, isDiskFull, LedgerDamagedError, NotFoundError } from '../../core/errors.js';
import { jobHeadOf } from '../../core/job-head.js';
import type { JobEvent, JobHead, JobRecord, JobStatus, JobSummary, TaskRecord, TaskStatus } from '../../core/types.js';
import type { JobPatch, Ledger, NewTask, TaskId, TaskLive, TaskPatch, TaskProgressCounts } from '../../ports/ledger.js';
import {
  applyPatch,
  jobToRow,
  rowToEvent,
  rowToJob,
  rowToSummary,
  rowToTask,
  taskToRow,
  type EventRow,
  type JobRow,
  type JobSummaryRow,
  type TaskRow,
} from './sqlite-rows.js';
import { configureLedgerConnection, migrateLedgerSchema } from './sqlite-schema.js';

type TaskKeyParams = [jobId: string, kind: string, index: number];

function prepareStatements(db: Db) {
  const statusIn = 'status IN (SELECT value FROM json_each(@from))';
  return {
    insertJob: db.prepare<JobRow>(
      `INSERT INTO jobs (id, status, backend, source, output, created_at, updated_at, error, data)
       VALUES (@id, @status, @backend, @source, @output, @created_at, @updated_at, @error, @data)
       ON CONFLICT (id) DO NOTHING`,
    ),
    getJob: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    taskProgress: db.prepare<[string], { video_total: number; video_done: number; frames_total: number; frames_done: number }>(
      `SELECT COUNT(*) AS video_total, COALESCE(SUM(status = 'done'), 0) AS video_done,
         COALESCE(SUM(json_extract(data, '$.frameCount')), 0) AS frames_total,
         COALESCE(SUM(CASE WHEN status = 'done' THEN json_extract(data, '$.frameCount') ELSE 0 END), 0) AS frames_done
       FROM tasks WHERE job_id = ? AND kind = 'video'`,
    ),
    updateJob: db.prepare<JobRow & { from: string }>(
      `UPDATE jobs SET status = @status, updated_at = @updated_at, error = @error, data = @data
       WHERE id = @id AND ${statusIn}`,
    ),
    listJobs: db.prepare<[number], JobSummaryRow>(
      `SELECT j.id, j.status, j.backend, j.source, j.output, j.created_at, j.updated_at, j.error,
         (SELECT COUNT(*) FROM tasks t WHERE t.job_id = j.id AND t.kind = 'video' AND t.status = 'done') AS segments_done,
         (SELECT COUNT(*) FROM tasks t WHERE t.job_id = j.id AND t.kind = 'video') AS segments_total
       FROM jobs j ORDER BY j.created_at DESC, j.rowid DESC LIMIT ?`,
    ),
    jobIdsUpdatedBefore: db.prepare<[number], string>('SELECT id FROM jobs WHERE updated_at < ? ORDER BY updated_at').pluck(),
    deleteEvents: db.prepare<[string]>('DELETE FROM events WHERE job_id = ?'),
    deleteTasks: db.prepare<[string]>('DELETE FROM tasks WHERE job_id = ?'),
    deleteJob: db.prepare<[string]>('DELETE FROM jobs WHERE id = ?'),
    firstTask: db.prepare<[string], TaskRow>('SELECT * FROM tasks WHERE job_id = ? LIMIT 1'),
    insertTask: db.prepare<TaskRow>(
      `INSERT INTO tasks (job_id, kind, idx, status, attempts, heartbeat_at, data)
       VALUES (@job_id, @kind, @idx, @status, @attempts, @heartbeat_at, @data)`,
    ),
    getTask: db.prepare<TaskKeyParams, TaskRow>('SELECT * FROM tasks WHERE job_id = ? AND kind = ? AND idx = ?'),
    listTasks: db.prepare<[string], TaskRow>(
      `SELECT * FROM tasks WHERE job_id = ? ORDER BY CASE kind WHEN 'video' THEN 0 ELSE 1 END, kind, idx`,
    ),
    updateTask: db.prepare<TaskRow & { from: string; if_attempts: number | null }>(
      `UPDATE tasks SET status = @status, attempts = @attempts, heartbeat_at = @heartbeat_at, data = @data
       WHERE job_id = @job_id AND kind = @kind AND idx = @idx AND ${statusIn}
         AND (@if_attempts IS NULL OR attempts = @if_attempts)`,
    ),
    heartbeat: db.prepare<[number, string, ...TaskKeyParams]>(
      `UPDATE tasks SET heartbeat_at = ?, data = json_patch(data, ?) WHERE job_id = ? AND kind = ? AND idx = ? AND status = 'running'`,
    ),
    nextSeq: db.prepare<[string], number>('SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE job_id = ?').pluck(),
    insertEvent: db.prepare<EventRow>(
      `INSERT INTO events (job_id, seq, at, type, message, data) VALUES (@job_id, @seq, @at, @type, @message, @data)`,
    ),
    listEvents: db.prepare<[string, number], EventRow>('SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

const taskName = (id: TaskId) => `${id.kind} task ${id.index} of job ${id.jobId}`;

const LEDGER_METHODS = [
  'createJob',
  'getJob',
  'listJobs',
  'updateJob',
  'putTasks',
  'getTask',
  'listTasks',
  'transitionTask',
  'heartbeat',
  'appendEvent',
  'listEvents',
  'deleteJob',
  'listJobIdsUpdatedBefore',
] as const;

function ledgerErrorAs(err: unknown, dbPath: string): unknown {
  if (isDiskFull(err)) {
    return new DiskFullError(
      `the ledger ${dbPath} cannot be written: no space left in ${dirname(dbPath)}; free space there, then run the command again`,
      dirname(dbPath),
    );
  }
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))) {
    return new LedgerDamagedError(
      `the ledger ${dbPath} is damaged (${(err as Error).message}); move it aside to start a new one (the jobs recorded in it are lost; their files stay in ${join(dirname(dbPath), 'jobs')})`,
    );
  }
  return err;
}

export class SqliteLedger implements Ledger {
  private readonly db: Db;
  private readonly sql: Statements;

  constructor(dbPath: string) {
    this.db = new Database(dbPath, { timeout: 5000 });
    try {
      configureLedgerConnection(this.db);
      migrateLedgerSchema(this.db);
      this.sql = prepareStatements(this.db);
    } catch (err) {
      this.db.close();
      throw ledgerErrorAs(err, dbPath);
    }
    // A write that finds the disk full, or a read that finds the file damaged, fails in one line naming the
    // file and what to do (a failed write is rolled back, so the ledger stays as it was).
    for (const name of LEDGER_METHODS) {
      const call = this[name].bind(this) as (...a: unknown[]) => Promise<unknown>;
      (this as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
        try {
          return await call(...a);
        } catch (err) {
          throw ledgerErrorAs(err, dbPath);
        }
      };
    }
  }

  async createJob(job: JobRecord): Promise<void> {
    const { changes } = this.sql.insertJob.run(jobToRow(job));
    if (changes === 0) {
      const current = await this.getJob(job.id);
      throw new ConditionFailedError(`job ${job.id} already exists`, current);
    }
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const row = this.sql.getJob.get(jobId);
    return row && rowToJob(row);
  }

  async getJobHead(jobId: string): Promise<JobHead | undefined> {
    const job = await this.getJob(jobId);
    return job && jobHeadOf(job);
  }

  async taskProgress(jobId: string): Promise<TaskProgressCounts> {
    const r = this.sql.taskProgress.get(jobId)!;
    return { videoTotal: r.video_total, videoDone: r.video_done, framesTotal: r.frames_total, framesDone: r.frames_done };
  }

  async listJobs(opts?: { limit?: number }): Promise<JobSummary[]> {
    return this.sql.listJobs.all(opts?.limit ?? -1).map(rowToSummary);
  }

  async updateJob(jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch, now?: number): Promise<JobRecord> {
    return this.db
      .transaction(() => {
        const row = this.sql.getJob.get(jobId);
        if (!row) throw new NotFoundError(`job ${jobId} not found`);
        const current = rowToJob(row);
        const next = applyPatch<JobRecord>({ ...current, status: to, updatedAt: now ?? Date.now() }, patch);
        const { changes } = this.sql.updateJob.run({ ...jobToRow(next), from: JSON.stringify(from) });
        if (changes === 0) {
          throw new ConditionFailedError(`job ${jobId} is ${current.status}, not ${from.join(' or ')}`, current);
        }
        return next;
      })
      .immediate();
  }

  async putTasks(tasks: NewTask[]): Promise<void> {
    this.db
      .transaction(() => {
        for (const jobId of new Set(tasks.map((t) => t.jobId))) {
          if (!this.sql.getJob.get(jobId)) throw new NotFoundError(`job ${jobId} not found`);
          const existing = this.sql.firstTask.get(jobId);
          if (existing) throw new ConditionFailedError(`job ${jobId} already has tasks`, rowToTask(existing));
        }
        for (const task of tasks) this.sql.insertTask.run(taskToRow({ ...task, status: 'pending', attempts: 0 }));
      })
      .immediate();
  }

  async getTask(id: TaskId): Promise<TaskRecord | undefined> {
    const row = this.sql.getTask.get(id.jobId, id.kind, id.index);
    return row && rowToTask(row);
  }

  async listTasks(jobId: string): Promise<TaskRecord[]> {
    return this.sql.listTasks.all(jobId).map(rowToTask);
  }

  async transitionTask(
    id: TaskId,
    from: readonly TaskStatus[],
    to: TaskStatus,
    patch?: TaskPatch,
    ifAttempts?: number,
  ): Promise<TaskRecord> {
    return this.db
      .transaction(() => {
        const row = this.sql.getTask.get(id.jobId, id.kind, id.index);
        if (!row) throw new NotFoundError(`${taskName(id)} not found`);
        const current = rowToTask(row);
        const next = applyPatch<TaskRecord>({ ...current, status: to }, patch);
        // A running attempt's progress belongs to it alone.
        delete next.progress;
        const { changes } = this.sql.updateTask.run({
          ...taskToRow(next),
          from: JSON.stringify(from),
          if_attempts: ifAttempts ?? null,
        });
        if (changes === 0) {
          const attempts = ifAttempts === undefined ? '' : ` with ${ifAttempts} attempts`;
          throw new ConditionFailedError(
            `${taskName(id)} is ${current.status} with ${current.attempts} attempts, not ${from.join(' or ')}${attempts}`,
            current,
          );
        }
        return next;
      })
      .immediate();
  }

  async heartbeat(id: TaskId, at: number, live: TaskLive = {}): Promise<void> {
    this.sql.heartbeat.run(at, JSON.stringify(live), id.jobId, id.kind, id.index);
  }

  async appendEvent(event: Omit<JobEvent, 'seq'>): Promise<JobEvent> {
    return this.db
      .transaction(() => {
        if (!this.sql.getJob.get(event.jobId)) throw new NotFoundError(`job ${event.jobId} not found`);
        const seq = this.sql.nextSeq.get(event.jobId)!;
        const stored: JobEvent = { ...event, seq };
        if (stored.data === undefined) delete stored.data;
        this.sql.insertEvent.run({
          job_id: stored.jobId,
          seq,
          at: stored.at,
          type: stored.type,
          message: stored.message,
          data: stored.data === undefined ? null : JSON.stringify(stored.data),
        });
        return stored;
      })
      .immediate();
  }

  async listEvents(jobId: string, afterSeq = 0): Promise<JobEvent[]> {
    return this.sql.listEvents.all(jobId, afterSeq).map(rowToEvent);
  }

  async deleteJob(jobId: string): Promise<void> {
    this.db
      .transaction(() => {
        this.sql.deleteEvents.run(jobId);
        this.sql.deleteTasks.run(jobId);
        this.sql.deleteJob.run(jobId);
      })
      .immediate();
  }

  async listJobIdsUpdatedBefore(before: number): Promise<string[]> {
    return this.sql.jobIdsUpdatedBefore.all(before);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating and migrating as needed) a ledger at `dbPath`; ':memory:' gives a private in-memory one. */
export function makeSqliteLedger(dbPath: string): SqliteLedger {
  return new SqliteLedger(dbPath);
}
