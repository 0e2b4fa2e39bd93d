/**
 * Job notifications (webhooks) as data: which deliveries a job owes, from its own events, and what each one
 * says. The delivery log is the job's events (docs/adr/0017): a trigger event (`job.analyzing`, the first of
 * a run, is `job.started`; `job.done`; `job.failed`) times each `--notify` target is one delivery, with the
 * stable id `<jobId>.<trigger seq>.<target index>`; every attempt appends `notify.sent` or `notify.failed`.
 * So any process over the same ledger (the CLI, `serve`, a coordinator, the AWS Notify step) can tell what is
 * still owed, and a sender that dies loses nothing. Pure: the clock comes in as `now`.
 */
import type { EventType } from './lifecycle.js';
import type { JobEvent, JobRecord, NotifyTarget } from './types.js';

/** The events a webhook receiver is sent (`type` in the body, the Shardcast-Event header); not ledger events. */
export const WEBHOOK_EVENT_TYPES = ['job.started', 'job.done', 'job.failed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The ledger events of the delivery log. */
export const NOTIFY_SENT = 'notify.sent' satisfies EventType;
export const NOTIFY_FAILED = 'notify.failed' satisfies EventType;

/** The variable a target's secret is read from where it names none. */
export const DEFAULT_SECRET_ENV = 'SHARDCAST_WEBHOOK_SECRET';

/** How long one POST may take before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Waits before attempt n+1 after attempt n failed (the last one repeats), and when retrying stops. */
export const RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000, 3600_000, 2 * 3600_000, 4 * 3600_000, 8 * 3600_000];
export const GIVE_UP_AFTER_MS = 24 * 3600_000;

export const secretEnvOf = (t: NotifyTarget): string => t.secretEnv ?? DEFAULT_SECRET_ENV;

/** The variables a job's targets need that `env` lacks (a job is refused before it exists without them). */
export function missingSecretEnvs(targets: readonly NotifyTarget[] | undefined, env: Record<string, string | undefined>): string[] {
  return [...new Set((targets ?? []).map(secretEnvOf))].filter((name) => !env[name]);
}

export type DeliveryStatus = 'pending' | 'retrying' | 'sent' | 'gave-up' | 'refused';

/** One delivery of one event to one target, with what its attempts so far say. */
export interface Delivery {
  id: string;
  jobId: string;
  type: WebhookEventType;
  /** The job event that made it owed. */
  triggerSeq: number;
  triggerAt: number;
  targetIndex: number;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due (epoch ms): now for a new one, after the backoff for a failed one. */
  nextAt?: number;
  /** The last attempt's HTTP status, or its error in words. */
  httpStatus?: number;
  error?: string;
  lastAt?: number;
}

/** The fields a notify.sent / notify.failed event carries. */
export interface AttemptRecord {
  delivery: string;
  event: WebhookEventType;
  url: string;
  attempt: number;
  httpStatus?: number;
  error?: string;
  /** notify.failed: when it is tried again; absent when it will not be. */
  nextAt?: number;
  gaveUp?: boolean;
  /** The receiver refused it (a 4xx other than 408 and 429): not tried again. */
  refused?: boolean;
}

/** The EventBridge `detail-type` of each event (source `shardcast`, on the default bus; the AWS homes). */
export const BUS_DETAIL_TYPES: Record<WebhookEventType, string> = {
  'job.started': 'Shardcast Job Started',
  'job.done': 'Shardcast Job Done',
  'job.failed': 'Shardcast Job Failed',
};
export const BUS_SOURCE = 'shardcast';

/** The id of the bus event of a trigger: beside its deliveries', never one of them. */
export const busDeliveryId = (jobId: string, seq: number): string => `${jobId}.${seq}.bus`;

const RUN_ENDS = new Set(['job.done', 'job.failed', 'job.cancelled']);

/** The job events that are webhook events, oldest first: a run's first `job.analyzing` is its start. */
export function triggerEvents(events: readonly JobEvent[]): { event: JobEvent; type: WebhookEventType }[] {
  const out: { event: JobEvent; type: WebhookEventType }[] = [];
  let startedThisRun = false;
  for (const e of events) {
    if (e.type === 'job.analyzing' && !startedThisRun) out.push({ event: e, type: 'job.started' });
    if (e.type === 'job.done') out.push({ event: e, type: 'job.done' });
    if (e.type === 'job.failed') out.push({ event: e, type: 'job.failed' });
    if (e.type === 'job.analyzing') startedThisRun = true;
    if (RUN_ENDS.has(e.type)) startedThisRun = false;
  }
  return out;
}

/** Whether a job event may make a delivery owed (the notifier looks at the job's events again when one is appended). */
export const isNotifyTrigger = (type: string): boolean => type === 'job.analyzing' || type === 'job.done' || type === 'job.failed';

export const deliveryId = (jobId: string, seq: number, targetIndex: number): string => `${jobId}.${seq}.${targetIndex}`;

/** Every delivery a job has owed so far, oldest first, each with its attempts' outcome. */
export function deliveriesOf(job: Pick<JobRecord, 'id' | 'options'>, events: readonly JobEvent[]): Delivery[] {
  const targets = job.options.notify ?? [];
  if (!targets.length) return [];
  const attempts = new Map<string, { type: string; data: AttemptRecord; at: number }[]>();
  for (const e of events) {
    if (e.type !== NOTIFY_SENT && e.type !== NOTIFY_FAILED) continue;
    const data = e.data as AttemptRecord | undefined;
    if (!data?.delivery) continue;
    attempts.set(data.delivery, [...(attempts.get(data.delivery) ?? []), { type: e.type, data, at: e.at }]);
  }
  const out: Delivery[] = [];
  for (const { event, type } of triggerEvents(events)) {
    targets.forEach((target, targetIndex) => {
      const id = deliveryId(job.id, event.seq, targetIndex);
      const tries = attempts.get(id) ?? [];
      const last = tries[tries.length - 1];
      const base = {
        id,
        jobId: job.id,
        type,
        triggerSeq: event.seq,
        triggerAt: event.at,
        targetIndex,
        url: target.url,
        attempts: tries.length,
      };
      if (!last) {
        out.push({ ...base, status: 'pending', nextAt: event.at });
        return;
      }
      const d = last.data;
      const status: DeliveryStatus =
        last.type === NOTIFY_SENT ? 'sent' : d.refused ? 'refused' : d.gaveUp || d.nextAt === undefined ? 'gave-up' : 'retrying';
      out.push({
        ...base,
        status,
        lastAt: last.at,
        ...(d.httpStatus !== undefined ? { httpStatus: d.httpStatus } : {}),
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(status === 'retrying' ? { nextAt: d.nextAt } : {}),
      });
    });
  }
  return out;
}

/** The deliveries to attempt now: not yet sent nor given up, and due (`force`: due or not). */
export function owedDeliveries(deliveries: readonly Delivery[], now: number, force = false): Delivery[] {
  return deliveries.filter((d) => (d.status === 'pending' || d.status === 'retrying') && (force || (d.nextAt ?? 0) <= now));
}

/** What an attempt's answer means: 2xx delivered; a 4xx other than 408/429 refused (no retry); else retry. */
export function attemptOutcome(httpStatus: number | undefined): 'sent' | 'refused' | 'retry' {
  if (httpStatus === undefined) return 'retry';
  if (httpStatus >= 200 && httpStatus < 300) return 'sent';
  if (httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429) return 'refused';
  return 'retry';
}

/**
 * When attempt `attempt` (1-based) having failed at `now`, the next one is due; undefined when retrying stops
 * (the next attempt would come more than GIVE_UP_AFTER_MS after the event).
 */
export function nextAttemptAt(
  attempt: number,
  now: number,
  triggerAt: number,
  delays: readonly number[] = RETRY_DELAYS_MS,
  giveUpAfterMs = GIVE_UP_AFTER_MS,
): number | undefined {
  const delay = delays[Math.min(attempt, delays.length) - 1] ?? delays[delays.length - 1] ?? 0;
  const at = now + delay;
  return at - triggerAt > giveUpAfterMs ? undefined : at;
}

/** One line for a person: `job.done -> URL: sent (200, 1 attempt)`. */
export function deliveryText(d: Delivery, iso: (ms: number) => string): string {
  const tries = `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
  const last = d.httpStatus !== undefined ? `HTTP ${d.httpStatus}` : (d.error ?? '');
  const what =
    d.status === 'sent'
      ? `sent (${last}, ${tries})`
      : d.status === 'pending'
        ? 'not sent yet'
        : d.status === 'retrying'
          ? `failed (${last}, ${tries}); next try ${iso(d.nextAt ?? 0)}`
          : d.status === 'refused'
            ? `refused by the receiver (${last}, ${tries}); not retried`
            : `gave up (${last}, ${tries})`;
  return `${d.type} -> ${d.url}: ${what}  [${d.id}]`;
}

/** The input the stack's schedule (NotifySweep) sends the notify function: send the deliveries that are due. */
export const SWEEP_INPUT = { sweep: true } as const;
