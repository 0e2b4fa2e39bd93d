/**
 * `shardcast worker`: one node of a cluster. Encodes tasks from the queue with this machine's ffmpeg through the
 * encodeTask use-case, reading the source and writing each attempt's file through the store, reporting to the
 * coordinator over the queue (it never opens the ledger).
 */
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startClusterWorker, type ClusterWorker, type EncodeContext } from '../../adapters/bullmq/cluster-worker.js';
import { clusterQueues, type EncodeMessage } from '../../adapters/bullmq/protocol.js';
import { redisFacts, redisProblems } from '../../adapters/bullmq/redis.js';
import { encodeTask } from '../../app/encode-task.js';
import { oneLine, ToolMissingError, UsageError } from '../../core/errors.js';
import { localWorkerId } from '../process-identity.js';
import { openClusterStore, parseStore, storeLocation, storeQueueKey, type ClusterStore } from './cluster-store.js';
import { makeAppDeps, openMediaTool } from '../app-deps.js';
import type { MediaTool } from '../../ports/media-tool.js';

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
    encode: clusterEncode({ store, media, workerId: id, lockMs, log: cfg.log }),
  });
  return { worker, id, concurrency };
}

export interface ClusterEncodeConfig {
  store: Pick<ClusterStore, 'blobs' | 'readableSource' | 'sourceSize'>;
  media: MediaTool;
  workerId: string;
  /** The worker's BullMQ lock: heartbeats (reports) come at least twice per lock. */
  lockMs: number;
  log: (line: string) => void;
}

/**
 * How a worker encodes one task from the queue: the encodeTask use-case over the report ledger (every write a
 * report to the coordinator), the store's files and this node's media tool. Exported for the Executor contract
 * tests, which run it in-process with a recorded media tool.
 */
export function clusterEncode(c: ClusterEncodeConfig): (msg: EncodeMessage, ctx: EncodeContext) => Promise<void> {
  return async (msg, ctx) => {
    const deps = makeAppDeps({
      ledger: ctx.ledger,
      blobs: c.store.blobs,
      media: c.media,
      workerId: c.workerId,
      readableSource: c.store.readableSource,
      sourceSize: c.store.sourceSize,
      onProgress: (p) => ctx.onFrames(p.frames),
      heartbeatMs: Math.min(2000, c.lockMs / 2),
    });
    const started = Date.now();
    c.log(`${msg.task.key}: encoding (${msg.threads} threads)`);
    try {
      await encodeTask(
        deps,
        { jobId: msg.jobId, kind: msg.task.kind, index: msg.task.index },
        { threads: msg.threads, decodeThreads: msg.decodeThreads, signal: ctx.signal },
      );
      c.log(`${msg.task.key}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      c.log(`${msg.task.key}: ${ctx.signal.aborted ? `stopped, ${oneLine(ctx.signal.reason)}` : `failed: ${oneLine(err)}`}`);
      throw err;
    }
  };
}
