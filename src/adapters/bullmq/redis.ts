/**
 * Redis for the cluster: a URL made into the connection options BullMQ opens its own connections with (it
 * needs blocking ones of its own), a check that fails fast in one line (ioredis would retry for ever), the
 * server's facts for `doctor`, and the workers' presence keys.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { UsageError } from '../../core/errors.js';
import { WORKER_KEY_PREFIX, type WorkerInfo } from './protocol.js';

/** redis://[user:password@]host[:port][/db] or rediss:// (TLS). */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--redis must be a URL such as redis://127.0.0.1:6379, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UsageError(`--redis must start with redis:// or rediss://, got ${JSON.stringify(url)}`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`the Redis database in ${JSON.stringify(url)} must be a number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers wait on blocking commands: a command must not fail for having waited.
    maxRetriesPerRequest: null,
  };
}

/** The URL without its password, for messages and the events. */
export function shownRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

export interface RedisFacts {
  version: string;
  /** `noeviction` keeps queued jobs; any other policy may evict them under memory pressure. */
  maxmemoryPolicy: string;
}

/** Redis 6.2 is BullMQ's floor. */
const MIN_VERSION = [6, 2];

/** Connects once (3 s at most), reads the server's version and eviction policy, and disconnects. */
export async function redisFacts(url: string): Promise<RedisFacts> {
  const client = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 3000,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info();
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
    return { version: field('redis_version'), maxmemoryPolicy: field('maxmemory_policy') };
  } catch (err) {
    throw new UsageError(`cannot use Redis at ${shownRedisUrl(url)}: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    client.disconnect();
  }
}

/** Problems with a Redis for BullMQ, as lines (none: fit). */
export function redisProblems(facts: RedisFacts): string[] {
  const out: string[] = [];
  const [major = 0, minor = 0] = facts.version.split('.').map(Number);
  if (major < MIN_VERSION[0]! || (major === MIN_VERSION[0] && minor < MIN_VERSION[1]!))
    out.push(`Redis ${facts.version} is older than ${MIN_VERSION.join('.')}, which BullMQ needs`);
  if (facts.maxmemoryPolicy && facts.maxmemoryPolicy !== 'noeviction') {
    out.push(`maxmemory-policy is ${facts.maxmemoryPolicy}: Redis may evict queued tasks under memory pressure; set it to noeviction`);
  }
  return out;
}

/** A plain client for the presence keys (not BullMQ's). */
export function openRedis(url: string): Redis {
  const client = new Redis({ ...redisOptions(url), maxRetriesPerRequest: 3 });
  client.on('error', () => undefined);
  return client;
}

export async function publishWorker(client: Redis, info: WorkerInfo, ttlMs: number): Promise<void> {
  await client.set(WORKER_KEY_PREFIX + info.id, JSON.stringify(info), 'PX', ttlMs);
}

export async function removeWorker(client: Redis, id: string): Promise<void> {
  await client.del(WORKER_KEY_PREFIX + id);
}

/** The workers whose presence has not expired, by host then pid. */
export async function listWorkers(client: Redis): Promise<WorkerInfo[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${WORKER_KEY_PREFIX}*`, 'COUNT', 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await client.mget(...keys);
  return values.flatMap((v) => (v ? [JSON.parse(v) as WorkerInfo] : [])).sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid);
}

export interface RedisWatch {
  /** Milliseconds since Redis last answered a ping. */
  silentMs(): number;
  close(): void;
}

/**
 * Pings Redis every `everyMs` on a connection of its own (no offline queue: a ping while disconnected fails at
 * once) and calls `onLost` once when it has not answered for `waitMs`. BullMQ's own connections wait for ever
 * for a Redis that went away; this is how a coordinator learns that it should stop waiting.
 */
export function watchRedis(url: string, waitMs: number, onLost: (silentMs: number) => void, everyMs = 1000): RedisWatch {
  const client = new Redis({
    ...redisOptions(url),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.min(2000, everyMs * 2),
    retryStrategy: () => everyMs,
  });
  client.on('error', () => undefined);
  let lastOk = Date.now();
  let lost = false;
  let pinging = false;
  const timer = setInterval(() => {
    if (!pinging) {
      pinging = true;
      const answer = client.ping().then(
        () => {
          lastOk = Date.now();
        },
        () => undefined,
      );
      void Promise.race([answer, new Promise((r) => setTimeout(r, 2 * everyMs).unref())]).finally(() => {
        pinging = false;
      });
    }
    const silent = Date.now() - lastOk;
    if (!lost && silent >= waitMs) {
      lost = true;
      onLost(silent);
    }
  }, everyMs);
  timer.unref();
  return {
    silentMs: () => Date.now() - lastOk,
    close() {
      clearInterval(timer);
      client.disconnect();
    },
  };
}
