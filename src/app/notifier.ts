/**
 * Sends a job's webhooks and records every attempt in the job's events (the delivery log; core/webhook.ts
 * says what is owed). It is told of each job event (`onEvent`, from app/deps.ts `emit`) and sends off the
 * run's path: a run never waits on a receiver. What failed is tried again by `sweep` (on a timer in `serve`
 * and a coordinator; once by `shardcast notify --retry`) when its backoff is over, from the ledger alone, so
 * a sender that dies loses nothing. One job's deliveries go one at a time in this process (no delivery is
 * sent twice from here); two senders over one ledger may both send one, with the same id for the receiver to
 * drop.
 */
import { buildWebhookPayload, type WebhookPayload } from '../core/webhook-payload.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from '../core/webhook-signature.js';
import {
  attemptOutcome,
  BUS_DETAIL_TYPES,
  busDeliveryId,
  deliveriesOf,
  DELIVERY_TIMEOUT_MS,
  GIVE_UP_AFTER_MS,
  isNotifyTrigger,
  nextAttemptAt,
  NOTIFY_FAILED,
  NOTIFY_SENT,
  owedDeliveries,
  RETRY_DELAYS_MS,
  secretEnvOf,
  triggerEvents,
  type AttemptRecord,
  type Delivery,
  type WebhookEventType,
} from '../core/webhook.js';
import type { JobEvent, JobRecord, TaskRecord } from '../core/types.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Ledger } from '../ports/ledger.js';
import type { WebhookPoster } from '../ports/webhook-poster.js';
import { commandFor } from './run-failure.js';

export interface NotifierDeps {
  ledger: Ledger;
  poster: WebhookPoster;
  /** Epoch ms. */
  clock: () => number;
  /** A signing secret by the name of its variable, from the sending process's environment. */
  secretOf: (name: string) => string | undefined;
  /** A done job's cost in USD, where the job has a figure. */
  costOf?: (job: JobRecord, tasks: TaskRecord[]) => number | undefined;
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
  /** How many of the newest jobs a sweep looks at (default 200). */
  sweepJobs?: number;
}

export type AttemptOutcome = 'sent' | 'refused' | 'retry' | 'gave-up';

export interface AttemptResult {
  delivery: Delivery;
  outcome: AttemptOutcome;
}

export interface SendOptions {
  /** Send what is owed now, whatever its backoff says (`notify --retry`, a Step Functions retry). */
  force?: boolean;
  /** Only deliveries of this event. */
  only?: WebhookEventType;
}

export class Notifier {
  private readonly perJob = new Map<string, Promise<unknown>>();
  /** Jobs this process was told of (its own runs), whose due deliveries `follow` sends again. */
  private readonly told = new Set<string>();

  constructor(private readonly deps: NotifierDeps) {}

  /** Told of every job event appended in this process; sends what it made owed, in the background. */
  onEvent = (event: Pick<JobEvent, 'jobId' | 'type'>): void => {
    this.told.add(event.jobId);
    if (isNotifyTrigger(event.type)) this.sendOwed(event.jobId).catch(() => undefined);
  };

  /** Every `intervalMs`, sends again what the jobs this process runs owe and is due (a run's own retry timer). */
  follow(intervalMs: number): { stop(): void } {
    const timer = setInterval(() => {
      for (const id of this.told) if (!this.perJob.has(id)) this.sendOwed(id).catch(() => undefined);
    }, intervalMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  /** Attempts the job's owed deliveries now, one at a time (after any send of this job already under way). */
  sendOwed(jobId: string, opts: SendOptions = {}): Promise<AttemptResult[]> {
    const before = this.perJob.get(jobId) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(() => this.sendJob(jobId, opts));
    this.perJob.set(jobId, run);
    const forget = () => {
      if (this.perJob.get(jobId) === run) this.perJob.delete(jobId);
    };
    run.then(forget, forget);
    return run;
  }

  /** Sends what the newest jobs owe and is due (`force`: owed at all). */
  async sweep(opts: SendOptions = {}): Promise<AttemptResult[]> {
    const out: AttemptResult[] = [];
    // A job untouched since before the give-up window owes nothing a sweep would send (unless forced).
    const since = this.deps.clock() - GIVE_UP_AFTER_MS - 3600_000;
    for (const { id, updatedAt } of await this.deps.ledger.listJobs({ limit: this.deps.sweepJobs ?? 200 })) {
      if (!opts.force && updatedAt < since) continue;
      out.push(...(await this.sendOwed(id, opts).catch(() => [])));
    }
    return out;
  }

  /** Sweeps now and every `intervalMs` until stopped (the timer keeps no process alive). */
  start(intervalMs: number): { stop(): void } {
    let sweeping = false;
    const tick = () => {
      if (sweeping) return;
      sweeping = true;
      this.sweep()
        .catch(() => undefined)
        .finally(() => (sweeping = false));
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  /** Waits for the sends under way, at most `timeoutMs`; true when none is left. */
  async drain(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.perJob.size) {
      const left = end - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.perJob.values()]),
        new Promise((r) => {
          timer = setTimeout(r, left);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  private async sendJob(jobId: string, opts: SendOptions): Promise<AttemptResult[]> {
    const job = await this.deps.ledger.getJob(jobId);
    if (!job?.options.notify?.length) return [];
    const events = await this.deps.ledger.listEvents(jobId);
    const owed = owedDeliveries(deliveriesOf(job, events), this.deps.clock(), opts.force).filter((d) => !opts.only || d.type === opts.only);
    const out: AttemptResult[] = [];
    for (const d of owed) {
      const trigger = events.find((e) => e.seq === d.triggerSeq)!;
      out.push({ delivery: d, outcome: await this.attempt(job, d, trigger) });
    }
    return out;
  }

  private async attempt(job: JobRecord, d: Delivery, trigger: JobEvent): Promise<AttemptOutcome> {
    const target = job.options.notify![d.targetIndex]!;
    const attempt = d.attempts + 1;
    const secretName = secretEnvOf(target);
    const secret = this.deps.secretOf(secretName);
    let httpStatus: number | undefined;
    let error: string | undefined;
    if (!secret) {
      error = `${secretName} is not set in the sending process: set it and run \`shardcast notify ${job.id} --retry\``;
    } else {
      const body = JSON.stringify(await this.payloadOf(job, d, trigger));
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'shardcast-webhook',
        [SIGNATURE_HEADER]: signatureHeader(secret, body, Math.floor(this.deps.clock() / 1000)),
        [EVENT_HEADER]: d.type,
        [DELIVERY_HEADER]: d.id,
      };
      try {
        httpStatus = (await this.deps.poster.post(d.url, body, headers, this.deps.timeoutMs ?? DELIVERY_TIMEOUT_MS)).status;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
    }
    const now = this.deps.clock();
    const base: AttemptRecord = {
      delivery: d.id,
      event: d.type,
      url: d.url,
      attempt,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(error !== undefined ? { error } : {}),
    };
    const result = attemptOutcome(httpStatus);
    const answer = httpStatus !== undefined ? `HTTP ${httpStatus}` : error;
    if (result === 'sent') {
      await this.record(job.id, now, NOTIFY_SENT, `${d.type} -> ${d.url}: delivered (${answer}, attempt ${attempt})`, base);
      return 'sent';
    }
    if (result === 'refused') {
      const why = `${d.type} -> ${d.url}: refused by the receiver (${answer}); a 4xx other than 408/429 is not retried`;
      await this.record(job.id, now, NOTIFY_FAILED, why, { ...base, refused: true });
      return 'refused';
    }
    const nextAt = nextAttemptAt(attempt, now, d.triggerAt, this.deps.retryDelaysMs ?? RETRY_DELAYS_MS);
    if (nextAt === undefined) {
      await this.record(job.id, now, NOTIFY_FAILED, `${d.type} -> ${d.url}: ${answer}; gave up after ${attempt} attempts`, {
        ...base,
        gaveUp: true,
      });
      return 'gave-up';
    }
    const when = new Date(nextAt).toISOString();
    await this.record(job.id, now, NOTIFY_FAILED, `${d.type} -> ${d.url}: ${answer} (attempt ${attempt}); next try ${when}`, {
      ...base,
      nextAt,
    });
    return 'retry';
  }

  /**
   * Puts the bus event of the job's latest `type` event (its payload as a webhook's), once: a bus event already
   * recorded (`notify.sent` with its id) is not put again. False when there was none to put.
   */
  async publishToBus(jobId: string, type: WebhookEventType, bus: EventBus): Promise<boolean> {
    const job = await this.deps.ledger.getJob(jobId);
    if (!job) return false;
    const events = await this.deps.ledger.listEvents(jobId);
    const trigger = triggerEvents(events)
      .filter((t) => t.type === type)
      .pop()?.event;
    if (!trigger) return false;
    const id = busDeliveryId(jobId, trigger.seq);
    if (events.some((e) => e.type === NOTIFY_SENT && (e.data as AttemptRecord | undefined)?.delivery === id)) return false;
    await bus.publish(BUS_DETAIL_TYPES[type], await this.payloadOf(job, { id, type }, trigger));
    await this.record(jobId, this.deps.clock(), NOTIFY_SENT, `${type} -> ${bus.name}: put (${BUS_DETAIL_TYPES[type]})`, {
      delivery: id,
      event: type,
      url: bus.name,
      attempt: 1,
    });
    return true;
  }

  private async payloadOf(job: JobRecord, d: Pick<Delivery, 'id' | 'type'>, trigger: JobEvent): Promise<WebhookPayload> {
    const costUsd = d.type === 'job.done' && this.deps.costOf ? this.costOf(job, await this.deps.ledger.listTasks(job.id)) : undefined;
    const next = d.type === 'job.failed' && job.errorKind !== 'input' ? commandFor('retry', job) : undefined;
    return buildWebhookPayload({ job, delivery: d, trigger, ...(next ? { next } : {}), ...(costUsd !== undefined ? { costUsd } : {}) });
  }

  private costOf(job: JobRecord, tasks: TaskRecord[]): number | undefined {
    try {
      return this.deps.costOf?.(job, tasks);
    } catch {
      return undefined;
    }
  }

  private async record(jobId: string, at: number, type: string, message: string, data: AttemptRecord): Promise<void> {
    await this.deps.ledger.appendEvent({ jobId, at, type, message, data: { ...data } });
  }
}
