/**
 * The webhook notifier of this process (app/notifier.ts) over Node's fetch, with the signing secrets of
 * `env` and the dashboard's cost figure: what the CLI, `serve`, a watcher and the Notify function send with.
 * Apart from start-notifier.ts so the Lambda image does not carry the homes it would import.
 */
import { fetchWebhookPoster } from '../adapters/http/fetch-webhook-poster.js';
import { Notifier, type NotifierDeps } from '../app/notifier.js';
import type { Ledger } from '../ports/ledger.js';
import { jobCostView, loadDefaultPrices } from '../server/cost-estimate.js';

export function makeNotifier(ledger: Ledger, env: Record<string, string | undefined>, more: Partial<NotifierDeps> = {}): Notifier {
  const prices = loadDefaultPrices();
  return new Notifier({
    ledger,
    poster: fetchWebhookPoster,
    clock: () => Date.now(),
    secretOf: (name) => env[name] || undefined,
    costOf: (job, tasks) => jobCostView(job, tasks, prices)?.usd,
    ...more,
  });
}
