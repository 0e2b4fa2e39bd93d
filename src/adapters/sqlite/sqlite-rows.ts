/**
 * Mapping between ledger records and SQLite rows. Queried fields are real columns; the rest of a record is
 * one JSON column (`data`), so optional fields that are absent stay absent after a round trip.
 */
import type { JobEvent, JobRecord, JobSummary, TaskRecord } from '../../core/types.js';

export interface JobRow {
  id: string;
  status: string;
  backend: string;
  source: string;
  output: string;
  created_at: number;
  updated_at: number;
  error: string | null;
  data: string;
}

export interface TaskRow {
  job_id: string;
  kind: string;
  idx: number;
  status: string;
  attempts: number;
  heartbeat_at: number | null;
  data: string;
}

export interface EventRow {
  job_id: string;
  seq: number;
  at: number;
  type: string;
  message: string;
  data: string | null;
}

export interface JobSummaryRow extends Omit<JobRow, 'data'> {
  segments_done: number;
  segments_total: number;
}

/** Job fields kept in the JSON column. */
type JobData = Omit<JobRecord, 'id' | 'status' | 'backend' | 'source' | 'output' | 'createdAt' | 'updatedAt' | 'error'>;
/** Task fields kept in the JSON column. */
type TaskData = Omit<TaskRecord, 'jobId' | 'kind' | 'index' | 'status' | 'attempts' | 'heartbeatAt'>;

export function jobToRow(job: JobRecord): JobRow {
  const { id, status, backend, source, output, createdAt, updatedAt, error, ...data } = job;
  return {
    id,
    status,
    backend,
    source,
    output,
    created_at: createdAt,
    updated_at: updatedAt,
    error: error ?? null,
    data: JSON.stringify(data),
  };
}

export function rowToJob(row: JobRow): JobRecord {
  const data = JSON.parse(row.data) as JobData;
  const job: JobRecord = {
    id: row.id,
    status: row.status as JobRecord['status'],
    backend: row.backend as JobRecord['backend'],
    source: row.source,
    output: row.output,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...data,
  };
  if (row.error !== null) job.error = row.error;
  return job;
}

export function rowToSummary(row: JobSummaryRow): JobSummary {
  const summary: JobSummary = {
    id: row.id,
    status: row.status as JobSummary['status'],
    backend: row.backend as JobSummary['backend'],
    source: row.source,
    output: row.output,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    segmentsDone: row.segments_done,
    segmentsTotal: row.segments_total,
  };
  if (row.error !== null) summary.error = row.error;
  return summary;
}

export function taskToRow(task: TaskRecord): TaskRow {
  const { jobId, kind, index, status, attempts, heartbeatAt, ...data } = task;
  return {
    job_id: jobId,
    kind,
    idx: index,
    status,
    attempts,
    heartbeat_at: heartbeatAt ?? null,
    data: JSON.stringify(data),
  };
}

export function rowToTask(row: TaskRow): TaskRecord {
  const data = JSON.parse(row.data) as TaskData;
  const task: TaskRecord = {
    jobId: row.job_id,
    kind: row.kind as TaskRecord['kind'],
    index: row.idx,
    ...data,
    status: row.status as TaskRecord['status'],
    attempts: row.attempts,
  };
  if (row.heartbeat_at !== null) task.heartbeatAt = row.heartbeat_at;
  return task;
}

export function rowToEvent(row: EventRow): JobEvent {
  const event: JobEvent = { jobId: row.job_id, seq: row.seq, at: row.at, type: row.type, message: row.message };
  if (row.data !== null) event.data = JSON.parse(row.data) as Record<string, unknown>;
  return event;
}

/**
 * Applies a patch: fields that are undefined are left as they are; `clearError` removes `error`
 * (an `error` in the same patch wins over `clearError`).
 */
export function applyPatch<T extends { error?: string }>(record: T, patch: (Partial<T> & { clearError?: boolean }) | undefined): T {
  if (!patch) return record;
  const { clearError, ...fields } = patch;
  const next: T = { ...record };
  if (clearError) delete next.error;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (next as Record<string, unknown>)[key] = value;
  }
  return next;
}
