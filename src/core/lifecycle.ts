/**
 * The lifecycle of a job and of its tasks, as data: which status may follow which, and the names of the events
 * a job's history holds. app/transitions.ts is the only writer of statuses, and it checks every move against
 * these tables, so a move that is not listed here is a programming error, not a state in the ledger.
 *
 *   created -> analyzing -> encoding -> merging -> verifying -> done
 *   any unfinished status -> failed | cancelled; failed | cancelled -> encoding (a new run) | created (no plan)
 *
 * A move to the same status is an annotation (the lease, a timing, the pre-roll fallback) and is legal in
 * every status.
 */
import type { JobStatus, TaskStatus } from './types.js';

/** Where each job status may go next (besides itself). */
export const JOB_MOVES: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  created: ['analyzing', 'failed', 'cancelled'],
  // Back to `created`: an analysis that was interrupted runs again.
  analyzing: ['encoding', 'created', 'failed', 'cancelled'],
  encoding: ['merging', 'failed', 'cancelled'],
  // Back to `encoding`: a merge that died half-way runs again (the output is only ever written whole).
  merging: ['verifying', 'encoding', 'failed', 'cancelled'],
  verifying: ['done', 'encoding', 'failed', 'cancelled'],
  done: [],
  failed: ['encoding', 'created', 'cancelled'],
  cancelled: ['encoding', 'created', 'failed'],
};

/** Where each task status may go next (besides itself). */
export const TASK_MOVES: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  pending: ['running', 'done', 'failed'],
  // `running -> running`: a cluster's task whose worker lost its lock, started again by another.
  running: ['running', 'done', 'failed', 'pending'],
  // `done -> pending`: its file went missing, so it is encoded again.
  done: ['pending'],
  failed: ['running', 'done', 'pending'],
};

export function isJobMove(from: JobStatus, to: JobStatus): boolean {
  return from === to || JOB_MOVES[from].includes(to);
}

export function isTaskMove(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TASK_MOVES[from].includes(to);
}

/** Every event type a job's history holds. */
export const EVENT_TYPES = [
  'job.created',
  'job.analyzing',
  'job.format',
  'job.planned',
  'job.segment-limit',
  'job.cutting',
  'job.notice',
  'job.note',
  'job.merging',
  'job.ladder',
  'job.published',
  'job.quality',
  'job.done',
  'job.failed',
  'job.cancelled',
  'job.resumed',
  'job.retry',
  'job.takeover',
  'job.download-to',
  'task.started',
  'task.done',
  'task.failed',
  'task.trial',
  'task.reclaimed',
  'task.lost',
  'task.handed-back',
  'task.requeued',
  'task.refused',
  'task.stalled',
  'cluster.home',
  'cluster.queued',
  'cluster.error',
  'lambda.throttled',
  'lambda.timeout',
  'lambda.died',
  'job.concurrency',
  // The delivery log of a job's webhooks (core/webhook.ts): one event per attempt.
  'notify.sent',
  'notify.failed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(type: string): type is EventType {
  return (EVENT_TYPES as readonly string[]).includes(type);
}
