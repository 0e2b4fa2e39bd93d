/**
 * The body of a webhook delivery: what a receiver needs to act on a job's start, end or failure without
 * calling back (where the output is, how long, how big, what it cost, its quality, the error and the command
 * to run next). Pure: built from the job record as read when the delivery is attempted and from the event
 * that made it owed, so every attempt of one delivery says the same thing of that event.
 */
import type { Delivery, WebhookEventType } from './webhook.js';
import type { JobEvent, JobRecord, JobStatus, JobTimings } from './types.js';

export interface WebhookQuality {
  psnrMean?: number;
  psnrMin?: number;
  ssimMean?: number;
  ssimMin?: number;
  /** A targeted job's target, and how many of its segments landed in the band. */
  target?: { metric: string; value: number; band: number; segmentsInBand?: number; segments?: number };
}

export interface WebhookPayload {
  type: WebhookEventType;
  /** The delivery's stable id: the same on every attempt, so a receiver can drop one it has seen. */
  id: string;
  jobId: string;
  /** When the event happened (ISO 8601), not when it was sent. */
  createdAt: string;
  data: {
    source: string;
    output: string;
    /** The job's status the event stands for (`analyzing`, `done`, `failed`). */
    status: JobStatus;
    backend: string;
    template?: string;
    durationSeconds?: number;
    bytes?: number;
    frames?: number;
    costUsd?: number;
    quality?: WebhookQuality;
    error?: string;
    errorKind?: 'input';
    /** The command that continues a failed job, as a person types it. */
    next?: string;
    timings: JobTimings;
  };
}

const STATUS_OF: Record<WebhookEventType, JobStatus> = { 'job.started': 'analyzing', 'job.done': 'done', 'job.failed': 'failed' };

function qualityOf(job: JobRecord): WebhookQuality | undefined {
  const q = job.result?.quality;
  const t = job.options.profile.target;
  if (!q && !t) return undefined;
  const segs = q?.segments;
  return {
    ...(q ? { psnrMean: q.psnrMean, psnrMin: q.psnrMin, ssimMean: q.ssimMean, ssimMin: q.ssimMin } : {}),
    ...(t
      ? {
          target: {
            metric: t.metric,
            value: t.value,
            band: t.band,
            ...(segs?.length ? { segmentsInBand: segs.filter((s) => s.inBand).length, segments: segs.length } : {}),
          },
        }
      : {}),
  };
}

export interface PayloadInput {
  job: JobRecord;
  delivery: Pick<Delivery, 'id' | 'type'>;
  trigger: Pick<JobEvent, 'at' | 'message' | 'data'>;
  /** A failed job's next command (app/run-failure.ts commandFor), where one is offered. */
  next?: string;
  costUsd?: number;
}

export function buildWebhookPayload({ job, delivery, trigger, next, costUsd }: PayloadInput): WebhookPayload {
  const done = delivery.type === 'job.done';
  const failed = delivery.type === 'job.failed';
  const r = done ? job.result : undefined;
  const quality = done ? qualityOf(job) : undefined;
  const duration = r?.videoDuration ?? job.analysis?.duration;
  return {
    type: delivery.type,
    id: delivery.id,
    jobId: job.id,
    createdAt: new Date(trigger.at).toISOString(),
    data: {
      source: job.source,
      output: job.output,
      status: STATUS_OF[delivery.type],
      backend: job.backend,
      ...(job.options.template ? { template: job.options.template } : {}),
      ...(duration !== undefined ? { durationSeconds: duration } : {}),
      ...(r ? { bytes: r.sizeBytes, frames: r.frames } : {}),
      ...(done && costUsd !== undefined ? { costUsd } : {}),
      ...(quality ? { quality } : {}),
      // The failure as the event worded it (the job's own error may be a later run's by now).
      ...(failed ? { error: trigger.message } : {}),
      ...(failed && job.errorKind ? { errorKind: job.errorKind } : {}),
      ...(failed && next ? { next } : {}),
      timings: done ? job.timings : {},
    },
  };
}
