/**
 * The Backend contract against every home that runs here: local (SQLite, worker pool), aws-emulated (the
 * state machine and Lambda handlers on DynamoDB and S3 emulators) and cluster (BullMQ workers over Redis). `aws` is the aws-emulated implementation
 * with SDK clients for the deployed stack; no AWS account is reachable from the tests.
 */
import { mkdirSync } from 'node:fs';
import { openBackend } from '../../src/runtime/backend.js';
import { startRedis, startWorker } from '../support/cluster.js';
import { runBackendContract } from './backend-contract.js';

runBackendContract('local', (stateDir) => openBackend({ kind: 'local', stateDir, env: process.env }));
runBackendContract('aws-emulated', (stateDir) => openBackend({ kind: 'aws-emulated', stateDir, env: process.env }));

// The cluster home: a redis-server of its own and two `shardcast worker` processes (the built CLI) on a store folder.
runBackendContract('cluster', async (stateDir) => {
  const redis = await startRedis();
  const store = `${stateDir}-store`;
  mkdirSync(store, { recursive: true });
  const workers = await Promise.all([0, 1].map(() => startWorker({ redis: redis.url, store })));
  const backend = await openBackend({ kind: 'cluster', stateDir, env: process.env, cluster: { redis: redis.url, store } });
  const close = backend.close.bind(backend);
  return Object.assign(backend, {
    async close() {
      await close();
      await Promise.all(workers.map((w) => w.stop()));
      await redis.stop();
    },
  });
});
