/**
 * `shardcast worker`: one node of a cluster. Encodes tasks from the queue with this machine's ffmpeg through the
 * encodeTask use-case, reading the source and writing each attempt's file through the store, reporting to the
 * coordinator over the queue (it never opens the ledger).
 */
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startClusterWorker, type ClusterWorker } from '../../adapters/bullmq/cluster-worker.js';
import { clusterQueues } from '../../adapters/bullmq/protocol.js';
import { redisFacts, redisProblems } from '../../adapters/bullmq/redis.js';
import { encodeTask } from '../../app/encode-task.js';
import { oneLine, ToolMissingError, UsageError } from '../../core/errors.js';
import { localWorkerId } from '../process-identity.js';
import { openClusterStore, parseStore, storeLocation, storeQueueKey } from './cluster-store.js';
import { makeAppDeps, openMediaTool } from '../app-deps.js';

export interface WorkerConfig {
  redis: string;
  store: string;
  s3Endpoint?: string;
  concurrency?: number;
  /** BullMQ lock duration: a dead worker's task is handed out again after about twice this (default 30 s). */
  lockMs?: number;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface RunningWorker {
  worker: ClusterWorker;
  id: string;
  concurrency: number;
}

export async function startWorker(cfg: WorkerConfig): Promise<RunningWorker> {
  const concurrency = cfg.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new UsageError('--concurrency must be a whole number from 1 to 256');
  const lockMs = cfg.lockMs ?? 30_000;
  const problems = redisProblems(await redisFacts(cfg.redis));
  for (const p of problems) cfg.log(`warning: ${p}`);
  if (problems.some((p) => p.includes('older than'))) throw new UsageError(problems[0]!);
  const spec = parseStore(cfg.store, cfg.s3Endpoint);
  const store = openClusterStore(spec, cfg.env, join(tmpdir(), `shardcast-worker-${process.pid}`));
  await store.probe();
  const media = openMediaTool(cfg.env);
  const ffmpeg = (await media.info()).find((t) => t.tool === 'ffmpeg');
  if (!ffmpeg) throw new ToolMissingError('ffmpeg not found on this node (install it, or set FFMPEG_PATH)');
  const id = localWorkerId();
  const storeId = await store.storeId(true);
  const worker = await startClusterWorker({
    redisUrl: cfg.redis,
    queue: clusterQueues(storeQueueKey(spec)).encode,
    workerId: id,
    concurrency,
    lockMs,
    info: { host: hostname(), pid: process.pid, ffmpeg: ffmpeg.version, store: storeLocation(spec), ...(storeId ? { storeId } : {}) },
    onError: (line) => cfg.log(line),
    async encode(msg, ctx) {
      const deps = makeAppDeps({
        ledger: ctx.ledger,
        blobs: store.blobs,
        media,
        workerId: id,
        readableSource: store.readableSource,
        sourceSize: store.sourceSize,
        onProgress: (p) => ctx.onFrames(p.frames),
        heartbeatMs: Math.min(2000, lockMs / 2),
      });
      const started = Date.now();
      cfg.log(`${msg.task.key}: encoding (${msg.threads} threads)`);
      try {
        await encodeTask(
          deps,
          { jobId: msg.jobId, kind: msg.task.kind, index: msg.task.index },
          { threads: msg.threads, decodeThreads: msg.decodeThreads, signal: ctx.signal },
        );
        cfg.log(`${msg.task.key}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        cfg.log(`${msg.task.key}: ${ctx.signal.aborted ? `stopped, ${oneLine(ctx.signal.reason)}` : `failed: ${oneLine(err)}`}`);
        throw err;
      }
    },
  });
  return { worker, id, concurrency };
}
