/**
 * `shardcast worker`: the entry point of one cluster node, taking encode tasks from the queue.
 */
import { shownRedisUrl } from '../adapters/bullmq/redis.js';
import { UsageError } from '../core/errors.js';
import { clusterSettings } from '../runtime/cluster/cluster-settings.js';
import { startWorker } from '../runtime/cluster/worker-runtime.js';
import type { GlobalFlags } from './commands.js';
import { STOP_SIGNALS } from './signals.js';
import { flagText } from './flag-text.js';

export interface ClusterFlags extends GlobalFlags {
  redis?: string;
  store?: string;
  s3Endpoint?: string;
}

function whole(flag: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(flagText(v)) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Runs until stopped. The first SIGTERM/SIGINT drains: no new tasks; the running ones finish within
 * --drain-seconds, else their ffmpeg is stopped and they go back to the queue. A second signal hands back at once.
 */
export async function workerCommand(
  flags: ClusterFlags & { concurrency?: string; lockSeconds?: string; drainSeconds?: string },
): Promise<void> {
  const s = clusterSettings(flags, process.env);
  if (!s.redis) throw new UsageError('shardcast worker needs --redis URL (or SHARDCAST_REDIS_URL)');
  if (!s.store)
    throw new UsageError(
      'shardcast worker needs --store LOCATION (or SHARDCAST_STORE): the folder every node mounts, or s3://bucket/prefix',
    );
  const concurrency = whole('--concurrency', flags.concurrency, 1, 256);
  const lockSeconds = whole('--lock-seconds', flags.lockSeconds, 1, 3600);
  const drainSeconds = whole('--drain-seconds', flags.drainSeconds, 0, 86_400) ?? 30;
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const w = await startWorker({
    redis: s.redis,
    store: s.store,
    ...(s.s3Endpoint ? { s3Endpoint: s.s3Endpoint } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(lockSeconds !== undefined ? { lockMs: lockSeconds * 1000 } : {}),
    env: process.env,
    log,
  });
  log(`worker ${w.id}: ${w.concurrency} at once, queue ${shownRedisUrl(s.redis)}, store ${s.store}`);
  await new Promise<void>((resolve) => {
    let signals = 0;
    let timer: NodeJS.Timeout | undefined;
    const onSignal = (sig: string) => {
      signals++;
      if (signals === 1) {
        log(`${sig}: draining (${w.worker.running} running; handed back after ${drainSeconds} s)`);
        timer = setTimeout(() => w.worker.handBack(), drainSeconds * 1000);
        void w.worker.drain().then(() => {
          clearTimeout(timer);
          for (const x of STOP_SIGNALS) process.off(x, onSignal);
          log('stopped');
          resolve();
        });
      } else {
        log(`${sig}: handing the running tasks back`);
        w.worker.handBack();
      }
    };
    for (const x of STOP_SIGNALS) process.on(x, onSignal);
  });
}
