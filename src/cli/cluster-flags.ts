/** The cluster options every command that opens a home shares. */
import type { BackendConfig } from '../runtime/backend.js';
import type { GlobalFlags } from './commands.js';

/** A cluster's Redis and store as the flags give them (`--backend cluster`; the env fills in the rest). */
export function clusterFlags(flags: GlobalFlags): NonNullable<BackendConfig['cluster']> {
  return {
    ...(flags.redis ? { redis: flags.redis } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(flags.s3Endpoint ? { s3Endpoint: flags.s3Endpoint } : {}),
    ...(flags.redisWaitSeconds !== undefined ? { redisWaitSeconds: String(flags.redisWaitSeconds) } : {}),
  };
}
