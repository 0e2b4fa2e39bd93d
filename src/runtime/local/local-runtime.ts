/**
 * Composition root for the local backend: SQLite ledger and local-disk blobs under the state dir, ffmpeg
 * processes, a worker pool. The only place that reads the environment for these.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeSqliteLedger } from '../../adapters/sqlite/sqlite-ledger.js';
import { LocalBlobStore } from '../../adapters/local/local-blob-store.js';
import { WorkerPoolExecutor } from '../../adapters/local/worker-pool-executor.js';
import type { AppDeps, TaskProgress } from '../../app/deps.js';
import { encodeStep } from '../../app/run-steps.js';
import { makeEarlyPublisher } from '../../app/outputs/ladder/publish-early.js';
import type { JobRecord } from '../../core/types.js';
import { makeAppDeps, openMediaTool } from '../app-deps.js';
import { isLocalWorkerAlive } from '../process-identity.js';
import type { Executor } from '../../ports/executor.js';
import type { MediaTool } from '../../ports/media-tool.js';

export interface LocalRuntimeConfig {
  stateDir: string;
  env: Record<string, string | undefined>;
  onProgress?: (p: TaskProgress) => void;
  onEvent?: AppDeps['onEvent'];
  /** Test hook: wraps the ffmpeg runner (to inject faults). Only tests set it. */
  wrapMedia?: (media: MediaTool) => MediaTool;
}

export interface LocalRuntime {
  deps: AppDeps;
  executorFor(job: JobRecord): Executor;
  close(): Promise<void>;
}

export function makeLocalRuntime(cfg: LocalRuntimeConfig): LocalRuntime {
  mkdirSync(cfg.stateDir, { recursive: true });
  const ledger = makeSqliteLedger(join(cfg.stateDir, 'ledger.db'));
  const blobs = new LocalBlobStore(join(cfg.stateDir, 'jobs'));
  const deps = makeAppDeps({
    ledger,
    blobs,
    media: openMediaTool(cfg.env, cfg.wrapMedia),
    isWorkerAlive: isLocalWorkerAlive,
    // A local heartbeat is one SQLite write: every 2 s, so the dashboard and `status` follow a running encode.
    heartbeatMs: 2000,
    ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
    ...(cfg.onEvent ? { onEvent: cfg.onEvent } : {}),
  });
  return {
    deps,
    executorFor(job) {
      const publish = job.options.publishEarly ? makeEarlyPublisher(deps) : undefined;
      return new WorkerPoolExecutor({
        concurrency: job.options.workers,
        maxAttempts: job.options.maxAttempts,
        runTask: async (task, signal) => {
          await encodeStep(deps, task, signal ? { signal } : {});
          await publish?.(task.jobId);
        },
      });
    },
    close: () => ledger.close(),
  };
}
