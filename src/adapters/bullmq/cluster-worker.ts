/**
 * A cluster worker: a BullMQ Worker on the encode queue running each task through `encode` (the encodeTask
 * use-case, wired by runtime/cluster) over a ReportLedger, so every ledger write becomes a report to the
 * coordinator. Each attempt writes its own file (attemptKeyOf). BullMQ's lock is the lease: a worker that stops
 * renewing it (killed, frozen) has its task moved back to the queue by the other workers' stall check, and a
 * result sent after its lock was lost is refused by BullMQ. Closing drains: no new tasks, the running ones
 * finish; `handBack` stops their ffmpeg and returns them to the queue (not counted as attempts).
 */
import { randomBytes } from 'node:crypto';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { CancelledError, isDiskFull, isRetryable, oneLine, ToolMissingError } from '../../core/errors.js';
import { attemptKeyOf, type EncodeMessage, type EncodeResult, type WorkerInfo, type WorkerReport } from './protocol.js';
import { openRedis, publishWorker, redisOptions, removeWorker } from './redis.js';
import { ReportLedger } from './report-ledger.js';

export interface EncodeContext {
  ledger: ReportLedger;
  signal: AbortSignal;
  /** Frames encoded so far, for the reports. */
  onFrames: (frames: number) => void;
}

export interface ClusterWorkerOptions {
  redisUrl: string;
  /** The store's encode queue (clusterQueues). */
  queue: string;
  workerId: string;
  concurrency: number;
  /** BullMQ's lock: renewed every half of it; a task whose lock lapsed is taken back by the stall check. */
  lockMs: number;
  /** What the worker tells about itself (presence key). */
  info: Pick<WorkerInfo, 'host' | 'pid' | 'ffmpeg' | 'store' | 'storeId'>;
  encode: (msg: EncodeMessage, ctx: EncodeContext) => Promise<void>;
  /** Something went wrong outside a task (Redis lost): one line. */
  onError?: (line: string) => void;
}

export interface ClusterWorker {
  /** Stops taking tasks; resolves once the running ones finished (or were handed back). */
  drain(): Promise<void>;
  /** Stops the running encodes and returns their tasks to the queue. */
  handBack(): void;
  readonly running: number;
}

export async function startClusterWorker(opts: ClusterWorkerOptions): Promise<ClusterWorker> {
  const presence: Redis = openRedis(opts.redisUrl);
  const active = new Map<string, { key: string; abort: AbortController; ledger: ReportLedger }>();
  let handingBack = false;
  /**
   * Jobs whose segments this worker found must be read by pre-roll: a task queued before the coordinator
   * learned it carries the old head, and would try the seek read first again.
   */
  const cutFallbacks = new Map<string, string>();
  let draining = false;
  const startedAt = Date.now();
  const presenceTtl = Math.max(3 * opts.lockMs, 10_000);
  const publish = () =>
    publishWorker(
      presence,
      {
        id: opts.workerId,
        ...opts.info,
        concurrency: opts.concurrency,
        tasks: [...active.values()].map((a) => a.key),
        heartbeatAt: Date.now(),
        startedAt,
        ...(draining ? { draining } : {}),
      },
      presenceTtl,
    ).catch(() => undefined);

  const processor = async (job: Job<EncodeMessage>, token?: string): Promise<EncodeResult> => {
    const msg = job.data;
    const tag = `${job.attemptsStarted}${randomBytes(3).toString('hex')}`;
    const attemptKey = attemptKeyOf(msg.task.outputKey, tag);
    let frames: number | undefined;
    const send = async (r: WorkerReport) => {
      // BullMQ takes progress without checking the lock: the coordinator tells stale reports by their attempt.
      // A job that was removed refuses it: nothing to tell then.
      await job.updateProgress(r).catch(() => undefined);
    };
    const learned = msg.head.cutFallback ? undefined : cutFallbacks.get(msg.jobId);
    const head = learned ? { ...msg.head, cutFallback: learned } : msg.head;
    const ledger = new ReportLedger(
      head,
      { ...msg.task, outputKey: attemptKey, status: 'pending', attempts: 0 },
      opts.workerId,
      send,
      () => frames,
      (reason) => cutFallbacks.set(msg.jobId, reason),
    );
    const abort = new AbortController();
    active.set(job.id!, { key: msg.task.key, abort, ledger });
    void publish();
    try {
      if (msg.storeId && opts.info.storeId && msg.storeId !== opts.info.storeId) {
        // Another folder is mounted at the store's path here: this node cannot read the job's files.
        throw new Error(
          `${opts.info.host}:${opts.info.pid} reads another store at ${opts.info.store} (id ${opts.info.storeId}, the job's is ${msg.storeId}): mount the shared folder at that path on this node`,
        );
      }
      await opts.encode(msg, {
        ledger,
        signal: abort.signal,
        onFrames: (n) => {
          frames = n;
        },
      });
      if (!ledger.donePatch) throw new Error(`${msg.task.key}: the encode ended without a result`);
      return { worker: opts.workerId, attemptKey, patch: ledger.donePatch };
    } catch (err) {
      if (abort.signal.aborted && handingBack && token) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      // Its lock was lost: BullMQ refuses whatever this attempt says now (and if the lock came back, another
      // attempt is the right outcome).
      if (abort.signal.aborted) throw new Error(oneLine(abort.signal.reason), { cause: err });
      // The task's own error decides whether another attempt can help; what is wrong with this node only (its
      // ffmpeg lacks an encoder, its scratch disk is full) another node may not have: another attempt.
      if (!isRetryable(err) && !(err instanceof ToolMissingError) && !isDiskFull(err)) throw new UnrecoverableError(oneLine(err));
      throw new Error(oneLine(err), { cause: err });
    } finally {
      active.delete(job.id!);
      void publish();
    }
  };

  const worker = new Worker<EncodeMessage, EncodeResult>(opts.queue, processor, {
    connection: redisOptions(opts.redisUrl),
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: opts.lockMs,
    // A task whose worker died is handed out again this many times before it fails.
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('error', (err) => opts.onError?.(`worker: ${oneLine(err)}`));
  // A task whose lock could not be renewed is another worker's by now: its encode stops (its result would be
  // refused) and frees this node.
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) {
      const a = active.get(id);
      a?.ledger.detach();
      a?.abort.abort(new CancelledError('its lock was lost: the task went back to the queue'));
    }
  });
  await worker.waitUntilReady();
  void worker.run().catch((err: unknown) => opts.onError?.(`worker: ${oneLine(err)}`));
  await publish();
  const beat = setInterval(() => void publish(), Math.min(opts.lockMs, 5000));

  let drained: Promise<void> | undefined;
  return {
    get running() {
      return active.size;
    },
    handBack() {
      handingBack = true;
      for (const a of active.values()) a.abort.abort(new CancelledError('handed back: the worker is stopping'));
    },
    drain() {
      drained ??= (async () => {
        draining = true;
        await publish();
        await worker.close();
        clearInterval(beat);
        await removeWorker(presence, opts.workerId).catch(() => undefined);
        presence.disconnect();
      })();
      return drained;
    },
  };
}
