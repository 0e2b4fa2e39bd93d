/**
 * What `shardcast doctor --backend cluster` checks: Redis (reachable, its version, maxmemory-policy noeviction),
 * the store (writable from this node, its id), and every worker as it reports itself (ffmpeg, the same store).
 */
import { hostname } from 'node:os';
import { listWorkers, openRedis, redisFacts, redisProblems, shownRedisUrl } from '../../adapters/bullmq/redis.js';
import { UsageError } from '../../core/errors.js';
import type { DoctorReport } from '../backend.js';
import { openClusterStore, parseStore, storeLocation } from './cluster-store.js';
import type { ClusterSettings } from './cluster-settings.js';

/** Redis (version, eviction policy), the store (writable here, its id), every worker (ffmpeg, same store). */
export async function clusterDoctor(s: ClusterSettings, env: NodeJS.ProcessEnv): Promise<DoctorReport> {
  if (!s.redis) throw new UsageError('doctor --backend cluster needs --redis URL (or SHARDCAST_REDIS_URL)');
  const lines: string[] = [];
  let ok = true;
  const problem = (line: string) => {
    ok = false;
    lines.push(`PROBLEM: ${line}`);
  };
  const report: Record<string, unknown> = {};
  try {
    const facts = await redisFacts(s.redis);
    report.redis = { url: shownRedisUrl(s.redis), ...facts };
    lines.push(`redis: ${shownRedisUrl(s.redis)}: version ${facts.version}, maxmemory-policy ${facts.maxmemoryPolicy || '(unknown)'}`);
    for (const p of redisProblems(facts)) problem(p);
  } catch (err) {
    problem((err as Error).message);
    return { ok, lines, report };
  }
  let storeId: string | undefined;
  if (s.store) {
    const spec = parseStore(s.store, s.s3Endpoint);
    const store = openClusterStore(spec, env);
    try {
      await store.probe();
      storeId = await store.storeId(true);
      lines.push(`store: ${storeLocation(spec)}: writable from ${hostname()}${storeId ? `, id ${storeId}` : ''}`);
      report.store = { location: storeLocation(spec), id: storeId, writable: true };
    } catch (err) {
      problem((err as Error).message);
      report.store = { location: storeLocation(spec), writable: false };
    }
  } else {
    lines.push('store: not checked (no --store)');
  }
  const redis = openRedis(s.redis);
  try {
    const workers = await listWorkers(redis);
    report.workers = workers;
    if (!workers.length) lines.push('workers: none has reported in the last 30 s (start `shardcast worker` on each node)');
    for (const w of workers) {
      const age = Math.round((Date.now() - w.heartbeatAt) / 1000);
      lines.push(
        `worker ${w.host}:${w.pid}: ${w.concurrency} at once, ${w.tasks.length} running, ffmpeg ${w.ffmpeg}, heard from ${age} s ago${w.draining ? ', draining' : ''}`,
      );
      if (w.store !== (s.store ? storeLocation(parseStore(s.store, s.s3Endpoint)) : w.store))
        problem(`worker ${w.host}:${w.pid} uses the store ${w.store}, not ${s.store}`);
      else if (storeId && w.storeId !== storeId)
        problem(
          `worker ${w.host}:${w.pid} sees ${w.storeId ? `another store (id ${w.storeId})` : 'no store marker'} at ${w.store}: that path is not the same folder there; mount the shared folder at the same path, then restart the worker`,
        );
    }
  } finally {
    redis.disconnect();
  }
  return { ok, lines, report };
}
