/**
 * The webhook notifier of a process that runs or serves jobs (app/notifier.ts over Node's fetch, the secrets
 * of this process's environment, the dashboard's cost figure). `startNotifier` is what a long-running
 * process calls (`serve`, a folder watcher): it sweeps the ledger for owed deliveries now and on a timer;
 * `makeNotifier` alone is what a one-job CLI run uses (told of its events, drained at the end).
 */
import type { Notifier, NotifierDeps } from '../app/notifier.js';
import { UsageError } from '../core/errors.js';
import type { JobEvent, NotifyTarget } from '../core/types.js';
import { missingSecretEnvs } from '../core/webhook.js';
import type { Ledger } from '../ports/ledger.js';
import { openBackend, type Backend, type BackendConfig } from './backend.js';
import { makeNotifier } from './make-notifier.js';

export { makeNotifier };

/** How long a CLI run waits at its end for deliveries under way, before it leaves what is owed to the ledger. */
export const CLI_DRAIN_MS = 5_000;

/** How often a CLI run looks for its job's deliveries due again (the first retry is 5 s after a failure). */
export const RUN_RETRY_INTERVAL_MS = 5_000;

/** How often `serve` (and a watcher) look for deliveries due again (SHARDCAST_NOTIFY_SWEEP_SECONDS overrides it). */
export const SWEEP_INTERVAL_MS = 15_000;

/** Refuses, in one line, a job whose webhooks could not be signed by this process. */
export function refuseUnsignedNotify(targets: readonly NotifyTarget[] | undefined, env: Record<string, string | undefined>): void {
  const missing = missingSecretEnvs(targets, env);
  if (missing.length)
    throw new UsageError(
      `--notify signs each delivery with the secret in ${missing.join(' and ')}, which is not set: export ${missing[0]}=<a long random string> (the receiver checks with the same)`,
    );
}

/** An `onEvent` for openBackend before the notifier it feeds exists (that needs the backend's ledger). */
export function eventRelay(): { onEvent: (e: JobEvent) => void; to(notifier: Notifier): void } {
  const sink: { notifier?: Notifier } = {};
  return {
    onEvent: (e) => sink.notifier?.onEvent(e),
    to: (notifier) => {
      sink.notifier = notifier;
    },
  };
}

/**
 * openBackend, with the runs of this process sending their webhooks as they go (a CLI run); its close waits
 * up to CLI_DRAIN_MS for sends under way, and leaves what is still owed in the ledger.
 */
export async function openNotifyingBackend(cfg: BackendConfig): Promise<Backend> {
  const relay = eventRelay();
  const backend = await openBackend({ ...cfg, onEvent: relay.onEvent });
  const sender = makeNotifier(backend.ledger, cfg.env);
  relay.to(sender);
  // While the run goes on (a local run, a cluster's coordinator), a delivery that failed is tried again when due.
  const following = sender.follow(RUN_RETRY_INTERVAL_MS);
  return {
    ...backend,
    async close() {
      following.stop();
      await sender.drain(CLI_DRAIN_MS);
      await backend.close();
    },
  };
}

export interface RunningNotifier {
  notifier: Notifier;
  /** Stops the timer and waits up to `drainMs` for sends under way. */
  stop(drainMs?: number): Promise<void>;
}

/**
 * Starts a notifier that sweeps `ledger` now and every `intervalMs`; pass `notifier.onEvent` as the
 * BackendConfig's `onEvent` so runs in this process are sent as they go.
 */
export function startNotifier(
  ledger: Ledger,
  env: Record<string, string | undefined>,
  opts: { intervalMs?: number } & Partial<NotifierDeps> = {},
): RunningNotifier {
  const { intervalMs, ...more } = opts;
  const notifier = makeNotifier(ledger, env, more);
  const fromEnv = Number(env.SHARDCAST_NOTIFY_SWEEP_SECONDS) * 1000;
  const timer = notifier.start(intervalMs ?? (fromEnv > 0 ? fromEnv : SWEEP_INTERVAL_MS));
  return {
    notifier,
    async stop(drainMs = 0) {
      timer.stop();
      await notifier.drain(drainMs);
    },
  };
}
