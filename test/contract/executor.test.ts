/**
 * The Executor contract (executor-contract.ts) against the three ways a job's tasks are encoded:
 * - the local worker pool (adapters/local), over the encode step, as the local home wires it;
 * - the cluster: the coordinator's ClusterExecutor and a BullMQ worker running the cluster worker's encode
 *   (runtime/cluster/worker-runtime.ts clusterEncode), in this process, over a redis-server of the test's own;
 * - the workflow: the state machine's EncodeAll state (infra/workflow.asl.json: the segment Map beside the audio
 *   task, their Retry and Catch) run by the local interpreter, calling the Lambda encode steps. It stands in for
 *   the AWS home's Map, which has no Executor object: what it returns is read from the ledger.
 */
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';
import { ensurePromiseWithResolvers } from '../../src/adapters/aws/promise-polyfill.js';
import { localWorkflowDefinition } from '../../src/adapters/aws/local-workflow.js';
import { ClusterExecutor } from '../../src/adapters/bullmq/cluster-executor.js';
import { startClusterWorker } from '../../src/adapters/bullmq/cluster-worker.js';
import { clusterQueues } from '../../src/adapters/bullmq/protocol.js';
import { WorkerPoolExecutor } from '../../src/adapters/local/worker-pool-executor.js';
import type { AppDeps } from '../../src/app/deps.js';
import { encodeStep } from '../../src/app/run-steps.js';
import { CancelledError, oneLine } from '../../src/core/errors.js';
import type { JobRecord } from '../../src/core/types.js';
import { encodeAudioStep } from '../../src/lambda/encode-audio.js';
import { encodeSegmentStep } from '../../src/lambda/encode-segment.js';
import type { Step } from '../../src/lambda/lambda-entry.js';
import type { Executor } from '../../src/ports/executor.js';
import type { TaskId } from '../../src/ports/ledger.js';
import { clusterEncode } from '../../src/runtime/cluster/worker-runtime.js';
import { openFastWorld } from '../fast/support.js';
import { startRedis } from '../support/cluster.js';
import { TaskFaults } from '../support/task-faults.js';
import { runExecutorContract } from './executor-contract.js';

/**
 * The random part of a cluster attempt's file name (protocol.ts attemptKeyOf): `<job>/attempts/v00001.<tag>.mp4`,
 * written through `<job>/scratch/v00001.<tag>.mp4.partial`.
 */
const ATTEMPT_TAG = /\/[av]\d{5}\.(\d+[0-9a-f]{6})\./;

/** A home's world: the fast tier's, its media tool faulted by task; the home adds its executor and flags. */
function fastHome(name: string, volatile?: RegExp) {
  const world = openFastWorld(name, volatile);
  const faults = new TaskFaults(world.media);
  const deps: AppDeps = { ...world.deps, media: faults };
  return { world, faults, deps, close: () => world.close() };
}

runExecutorContract('worker pool', 'ecpool', async () => {
  const home = fastHome('executor-pool');
  const { faults, deps } = home;
  return {
    ...home,
    failsFast: false,
    audioBeside: false,
    retriesNodeFaults: false,
    // As the local home wires it (runtime/local/local-runtime.ts), without the backoff.
    executor: (job) =>
      new WorkerPoolExecutor({
        concurrency: job.options.workers,
        maxAttempts: job.options.maxAttempts,
        backoffMs: () => 0,
        runTask: (task, signal) => faults.within(task, async () => void (await encodeStep(deps, task, signal ? { signal } : {}))),
      }),
  };
});

runExecutorContract('cluster', 'eccluster', async () => {
  const home = fastHome('executor-cluster', ATTEMPT_TAG);
  const { world, faults, deps } = home;
  const redis = await startRedis();
  const queues = clusterQueues(world.root);
  const workerId = 'contract-node:1';
  const encode = clusterEncode({
    store: { blobs: deps.blobs, readableSource: deps.readableSource, sourceSize: deps.sourceSize },
    media: faults,
    workerId,
    lockMs: 10_000,
    log: () => undefined,
  });
  const worker = await startClusterWorker({
    redisUrl: redis.url,
    queue: queues.encode,
    workerId,
    concurrency: 2,
    lockMs: 10_000,
    info: { host: 'contract', pid: process.pid, ffmpeg: 'recorded', store: world.root },
    encode: (msg, ctx) => faults.within({ jobId: msg.jobId, kind: msg.task.kind, index: msg.task.index }, () => encode(msg, ctx)),
  });
  return {
    ...home,
    failsFast: false,
    audioBeside: false,
    retriesNodeFaults: true,
    executor: () =>
      new ClusterExecutor({
        redisUrl: redis.url,
        queues,
        ledger: deps.ledger,
        blobs: deps.blobs,
        clock: deps.clock,
        reconcileMs: 200,
        backoffMs: 10,
      }),
    async close() {
      worker.handBack();
      await worker.drain();
      await redis.stop();
      await home.close();
    },
  };
});

runExecutorContract('workflow encode states', 'ecflow', async () => {
  const home = fastHome('executor-workflow');
  return {
    ...home,
    failsFast: true,
    audioBeside: true,
    retriesNodeFaults: false,
    executor: (job) => workflowEncodeAll(home.deps, home.faults, job),
  };
});

/** The workflow's EncodeAll state alone, as the local interpreter fills the deployed one in for a job (inline Map). */
function encodeAllMachine(job: JobRecord): StateMachine {
  const def = localWorkflowDefinition({
    mapMode: 'inline',
    taskTimeoutSeconds: 60,
    taskRetryAttempts: job.options.maxAttempts - 1,
  });
  const { Next: _next, Catch: _catch, ...encodeAll } = def.States.EncodeAll as Record<string, unknown>;
  return new StateMachine({ StartAt: 'EncodeAll', States: { EncodeAll: { ...encodeAll, End: true } } } as never);
}

/**
 * An Executor over the EncodeAll state: the tasks become its input (the segment indices, whether the audio runs),
 * its Task states call the Lambda encode steps, its retries wait 0 ms. As on AWS, a failed iteration fails the Map
 * and the execution, and the invocations under way run to their end; the failed tasks are those the ledger holds
 * failed.
 */
function workflowEncodeAll(deps: AppDeps, faults: TaskFaults, job: JobRecord): Executor {
  ensurePromiseWithResolvers();
  return {
    async run(jobId, tasks, signal) {
      const inFlight = new Set<Promise<unknown>>();
      let ended = false;
      // As the aws-emulated home does (runtime/aws/aws-emulated-runtime.ts): the interpreter may still start an
      // iteration after the execution was aborted; it is refused, as no Lambda is invoked for a stopped execution.
      const call =
        (step: Step<unknown>) =>
        (input: unknown): Promise<unknown> => {
          if (ended || signal?.aborted) return Promise.reject(new CancelledError('the execution has ended'));
          const p = faults.within(input as TaskId, () =>
            step({ deps, encodeThreads: undefined, staleTaskMs: 30_000, ...(signal ? { signal } : {}) }, input),
          );
          inFlight.add(p);
          void p.catch(() => undefined).finally(() => inFlight.delete(p));
          return p;
        };
      const execution = encodeAllMachine(job).run(
        {
          jobId,
          analyze: {
            segments: tasks.filter((t) => t.kind === 'video').map((t) => t.index),
            audio: tasks.some((t) => t.kind === 'audio'),
            concurrency: job.options.workers,
          },
        },
        {
          overrides: {
            taskResourceLocalHandlers: { EncodeSegment: call(encodeSegmentStep), EncodeAudio: call(encodeAudioStep) } as never,
            retryIntervalOverrides: { EncodeSegment: 0, EncodeAudio: 0 },
          },
        },
      );
      const onAbort = () => execution.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      let failure: unknown;
      try {
        await execution.result;
      } catch (err) {
        failure = err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      ended = true;
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      if (signal?.aborted) throw signal.reason;
      const given = new Set(tasks.map((t) => `${t.kind}${t.index}`));
      const failed = (await deps.ledger.listTasks(jobId))
        .filter((t) => t.status === 'failed' && given.has(`${t.kind}${t.index}`))
        .map((t): TaskId => ({ jobId, kind: t.kind, index: t.index }));
      if (failure && !failed.length) {
        // An execution that failed with no task failed (a handler's bug): the run's error, as a home would report it.
        throw failure instanceof ExecutionAbortedError || !(failure instanceof Error)
          ? new Error(`the execution ended: ${oneLine(failure)}`)
          : failure;
      }
      return { failed };
    },
  };
}
