/** Where a cluster's queue and store are: the flags, else the environment. */
export interface ClusterSettings {
  redis?: string;
  store?: string;
  s3Endpoint?: string;
}

/** The flags, else SHARDCAST_REDIS_URL / SHARDCAST_STORE / SHARDCAST_S3_ENDPOINT. */
export function clusterSettings(flags: ClusterSettings | undefined, env: NodeJS.ProcessEnv): ClusterSettings {
  const redis = flags?.redis ?? env.SHARDCAST_REDIS_URL;
  const store = flags?.store ?? env.SHARDCAST_STORE;
  const s3Endpoint = flags?.s3Endpoint ?? env.SHARDCAST_S3_ENDPOINT;
  return { ...(redis ? { redis } : {}), ...(store ? { store } : {}), ...(s3Endpoint ? { s3Endpoint } : {}) };
}
