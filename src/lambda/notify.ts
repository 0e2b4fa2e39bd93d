/**
 * Notify step (the NotifyStarted, NotifyDone and NotifyFailed states): puts the job's EventBridge event once and
 * sends every webhook delivery the job owes now (app/notifier.ts; the delivery log is the job's events). A
 * delivery that got no 2xx (and may be retried) fails the step with NotifyRetryError, which the state retries
 * with backoff; the job's status was written before, so nothing waits on it but the execution's end.
 */
import { z } from 'zod';
import { eventBridgeBus, recordingBus, secretFromParameter } from '../adapters/aws/eventbridge-bus.js';
import { JOB_ID_PATTERN } from '../core/task-keys.js';
import { DEFAULT_SECRET_ENV, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../core/webhook.js';
import type { EventBus } from '../ports/event-bus.js';
import { makeNotifier } from '../runtime/make-notifier.js';
import { lambdaHandler, type Step } from './lambda-entry.js';
import { UsageError } from '../core/errors.js';

export const NOTIFY_RETRY_ERROR = 'NotifyRetryError';

const notifyInput = z.object({ jobId: z.string().regex(JOB_ID_PATTERN), event: z.enum(WEBHOOK_EVENT_TYPES) });

export interface NotifyStepConfig {
  env: Record<string, string | undefined>;
  bus: EventBus;
}

export interface NotifyOutcome {
  jobId: string;
  event: WebhookEventType;
  busPut: boolean;
  sent: number;
  owed: number;
}

/** What a scheduled sweep (the stack's NotifySweep rule) did: deliveries sent, and those still owed. */
export interface SweepOutcome {
  sweep: true;
  sent: number;
  owed: number;
}

export function makeNotifyStep(cfg: () => Promise<NotifyStepConfig>): Step<NotifyOutcome | SweepOutcome> {
  return async (rt, event) => {
    if ((event as { sweep?: unknown } | undefined)?.sweep === true) {
      // Deliveries a receiver did not take within the execution's retries (a few minutes), sent as their backoff
      // comes due: the same sweep `serve` runs, every few minutes, so a receiver down for hours loses nothing.
      const { env } = await cfg();
      const results = await makeNotifier(rt.deps.ledger, env).sweep();
      return {
        sweep: true,
        sent: results.filter((r) => r.outcome === 'sent').length,
        owed: results.filter((r) => r.outcome === 'retry').length,
      };
    }
    const parsed = notifyInput.safeParse(event);
    if (!parsed.success) throw new UsageError(`notify: bad input ${JSON.stringify(event)?.slice(0, 200)}`);
    const { jobId, event: type } = parsed.data;
    const { env, bus } = await cfg();
    const notifier = makeNotifier(rt.deps.ledger, env);
    let busPut: boolean;
    try {
      busPut = await notifier.publishToBus(jobId, type, bus);
    } catch (err) {
      throw Object.assign(new Error(`EventBridge: ${err instanceof Error ? err.message : String(err)}`), { name: NOTIFY_RETRY_ERROR });
    }
    // Whatever the job owes now, its backoff aside: the state's Retry is the backoff here.
    const results = await notifier.sendOwed(jobId, { force: true });
    const owed = results.filter((r) => r.outcome === 'retry');
    if (owed.length)
      throw Object.assign(
        new Error(`${owed.length} webhook delivery(ies) not accepted yet: ${owed.map((r) => r.delivery.url).join(', ')}`),
        {
          name: NOTIFY_RETRY_ERROR,
        },
      );
    return { jobId, event: type, busPut, sent: results.filter((r) => r.outcome === 'sent').length, owed: 0 };
  };
}

/** The aws-emulated home's (no EventBridge emulator: the bus events are recorded, and the ledger says each was put). */
export const emulatedNotifyStep = (env: Record<string, string | undefined>): Step<NotifyOutcome | SweepOutcome> =>
  makeNotifyStep(async () => ({ env, bus: recordingBus() }));

/** The deployed function: the secret from SHARDCAST_WEBHOOK_SECRET_PARAMETER (SSM SecureString), EventBridge's default bus. */
export const handler = lambdaHandler(
  makeNotifyStep(async () => {
    const parameter = process.env.SHARDCAST_WEBHOOK_SECRET_PARAMETER;
    // No parameter (a deployment whose jobs use no --notify): the bus event still goes; a delivery says the secret is missing.
    const secret = parameter ? await secretFromParameter(parameter).catch(() => undefined) : undefined;
    return { env: { ...process.env, ...(secret ? { [DEFAULT_SECRET_ENV]: secret } : {}) }, bus: eventBridgeBus() };
  }),
);
