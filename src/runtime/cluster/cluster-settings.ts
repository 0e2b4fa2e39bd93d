import { UsageError } from '../../core/errors.js';

/** Where a cluster's queue and store are: the flags, else the environment. */
export interface ClusterSettings {
  redis?: string;
  store?: string;
  s3Endpoint?: string;
  /** How long a running job waits for a Redis that stopped answering (ms). */
  redisWaitMs?: number;
}

export interface ClusterFlags {
  redis?: string;
  store?: string;
  s3Endpoint?: string;
  redisWaitSeconds?: string;
}

/** The flags, else SHARDCAST_REDIS_URL / SHARDCAST_STORE / SHARDCAST_S3_ENDPOINT / SHARDCAST_REDIS_WAIT_SECONDS. */
export function clusterSettings(flags: ClusterFlags | undefined, env: NodeJS.ProcessEnv): ClusterSettings {
  const redis = flags?.redis ?? env.SHARDCAST_REDIS_URL;
  const store = flags?.store ?? env.SHARDCAST_STORE;
  const s3Endpoint = flags?.s3Endpoint ?? env.SHARDCAST_S3_ENDPOINT;
  const wait = flags?.redisWaitSeconds ?? env.SHARDCAST_REDIS_WAIT_SECONDS;
  let redisWaitMs: number | undefined;
  if (wait !== undefined && wait !== '') {
    const n = Number(wait);
    if (!/^\d+$/.test(String(wait)) || n < 1 || n > 86_400)
      throw new UsageError(`--redis-wait-seconds must be a whole number from 1 to 86400, got ${JSON.stringify(wait)}`);
    redisWaitMs = n * 1000;
  }
  return {
    ...(redis ? { redis } : {}),
    ...(store ? { store } : {}),
    ...(s3Endpoint ? { s3Endpoint } : {}),
    ...(redisWaitMs ? { redisWaitMs } : {}),
  };
}
