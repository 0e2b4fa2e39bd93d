/**
 * The cluster home as a Backend: this machine is the coordinator (it analyzes, plans, keeps the ledger in
 * SQLite under `<state dir>/cluster/`, merges and verifies where the user is), BullMQ on Redis is the queue,
 * and `shardcast worker`s on any number of machines encode the tasks, through a store they all reach. A job
 * remembers its Redis and store (a `cluster.home` event), so `resume` and `retry` need no flags.
 */
import { join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { Queue } from 'bullmq';
import { ClusterExecutor, removeFlow } from '../../adapters/bullmq/cluster-executor.js';
import { childJobId, clusterQueues, type WorkerInfo } from '../../adapters/bullmq/protocol.js';
import { listWorkers, openRedis, redisFacts, redisOptions, redisProblems, shownRedisUrl } from '../../adapters/bullmq/redis.js';
import { makeSqliteLedger } from '../../adapters/sqlite/sqlite-ledger.js';
import { emit, type AppDeps } from '../../app/deps.js';
import { addQualityReport } from '../../app/measure-quality.js';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { isLadderOutput } from '../../core/ladder.js';
import type { Ledger } from '../../ports/ledger.js';
import { makeAppDeps, openMediaTool, thisProcess } from '../app-deps.js';
import type { Backend, BackendConfig } from '../backend.js';
import { driveHere, drivenByAnotherProcess, makeBackend } from '../home-backend.js';
import { checkPaths } from '../job-paths.js';
import { openClusterStore, parseStore, storeLocation, storeQueueKey, type ClusterStore } from './cluster-store.js';
import { clusterDoctor } from './cluster-doctor.js';
import { clusterSettings, type ClusterSettings } from './cluster-settings.js';
import { publishDonePrefix } from '../../app/outputs/ladder/publish-early.js';

/** The event that remembers a job's Redis and store. */
const HOME_EVENT = 'cluster.home';

export interface ClusterBackend extends Backend {
  /** The workers whose presence is fresh in the Redis this backend was opened with. */
  workers(): Promise<WorkerInfo[]>;
}

interface ClusterHome {
  redis: string;
  store: ClusterStore;
  /** The store's id, read when the home is checked. */
  storeId?: string;
}

export function openClusterBackend(cfg: BackendConfig): ClusterBackend {
  const dir = join(cfg.stateDir, 'cluster');
  mkdirSync(dir, { recursive: true });
  const ledger: Ledger = makeSqliteLedger(join(dir, 'ledger.db'));
  const settings = clusterSettings(cfg.cluster, cfg.env);
  const media = openMediaTool(cfg.env);
  const presence = settings.redis ? openRedis(settings.redis) : undefined;
  /** This process as a coordinator, for the liveness checks of runsElsewhere. */
  const coordinator = thisProcess();
  const homes = new Map<string, ClusterHome>();

  const homeOf = (s: ClusterSettings): ClusterHome => {
    if (!s.redis) throw new UsageError('the cluster needs --redis URL (or SHARDCAST_REDIS_URL), e.g. redis://127.0.0.1:6379');
    redisOptions(s.redis);
    const spec = parseStore(s.store, s.s3Endpoint);
    const id = `${s.redis} ${storeLocation(spec)} ${s.s3Endpoint ?? ''}`;
    let home = homes.get(id);
    if (!home) {
      home = { redis: s.redis, store: openClusterStore(spec, cfg.env, join(dir, 'tmp')) };
      homes.set(id, home);
    }
    return home;
  };
  const depsFor = (home: ClusterHome): AppDeps =>
    makeAppDeps({
      ledger,
      media,
      blobs: home.store.blobs,
      readableSource: home.store.readableSource,
      sourceSize: home.store.sourceSize,
      isWorkerAlive: coordinator.isWorkerAlive,
      ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
      ...(cfg.onEvent ? { onEvent: cfg.onEvent } : {}),
    });
  const executorFor = (home: ClusterHome, deps: AppDeps) =>
    new ClusterExecutor({
      redisUrl: home.redis,
      queues: clusterQueues(storeQueueKey(home.store.spec)),
      ledger,
      blobs: deps.blobs,
      clock: deps.clock,
      ...(home.storeId ? { storeId: home.storeId } : {}),
      ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
      ...(settings.redisWaitMs ? { redisWaitMs: settings.redisWaitMs } : {}),
      onTaskDone: (jobId: string) => publishDonePrefix(deps, jobId),
    });
  /** Redis reachable and fit, the store writable and marked: before a job is made or continued. */
  const checkHome = async (home: ClusterHome) => {
    const problems = redisProblems(await redisFacts(home.redis)).filter((p) => !p.startsWith('maxmemory-policy'));
    if (problems.length) throw new UsageError(problems[0]!);
    await home.store.probe();
    const id = await home.store.storeId(true);
    if (id) home.storeId = id;
  };
  /**
   * The job's own Redis and store, as it was made; flags given now override them (a Redis that moved), the
   * environment does not (it names the home of new jobs, and the job's flow may live on its own Redis).
   */
  const jobHome = async (jobId: string): Promise<ClusterHome> => {
    const rec = (await ledger.listEvents(jobId)).filter((e) => e.type === HOME_EVENT).pop()?.data as ClusterSettings | undefined;
    const given = cfg.cluster ?? {};
    if (!rec) return homeOf(settings);
    return homeOf({
      redis: given.redis ?? rec.redis,
      ...(given.store
        ? { store: given.store, ...(given.s3Endpoint ? { s3Endpoint: given.s3Endpoint } : {}) }
        : { ...(rec.store ? { store: rec.store } : {}), ...(rec.s3Endpoint ? { s3Endpoint: rec.s3Endpoint } : {}) }),
    });
  };
  /** Encodes at once the store's workers offer now (the default --workers of a cluster job). */
  const liveSlots = async (home: ClusterHome): Promise<number> => {
    if (!presence) return 0;
    const where = storeLocation(home.store.spec);
    return (await listWorkers(presence).catch(() => []))
      .filter((w) => !w.draining && w.store === where)
      .reduce((n, w) => n + w.concurrency, 0);
  };
  const backend = makeBackend({
    kind: 'cluster',
    ledger,
    where: dir,
    depsFor: async (jobId) => depsFor(jobId ? await jobHome(jobId) : homeOf(settings)),
    async checkRequest(req) {
      if (isLadderOutput(req.output))
        throw new UsageError('the cluster backend writes one output file; make HLS/DASH ladders with --backend local or aws');
      const home = homeOf(settings);
      const paths = checkPaths(req.input, req.output, req.overwrite);
      await checkHome(home);
      return paths;
    },
    // New jobs go to the home of the flags and environment (homeOf caches it: the same one every call).
    defaultWorkers: async () => liveSlots(homeOf(settings)),
    // The coordinator sends the webhooks.
    senderEnv: cfg.env,
    async placeInput(jobId, source, hooks) {
      const home = homeOf(settings);
      hooks.note?.(`placing ${source} in the store ${storeLocation(home.store.spec)}`);
      return home.store.placeSource(jobId, source);
    },
    async remember(deps, jobId, request) {
      const home = homeOf(settings);
      await emit(deps, jobId, HOME_EVENT, `queue ${shownRedisUrl(home.redis)}, store ${storeLocation(home.store.spec)}`, {
        redis: home.redis,
        store: settings.store,
        ...(settings.s3Endpoint ? { s3Endpoint: settings.s3Endpoint } : {}),
        original: request.source,
      });
    },
    noteOf: (jobId, job) => `job ${jobId}: ${job.original} -> ${job.output} (cluster, ${job.workers} worker slots)`,
    async drive({ id: jobId }, verb, hooks) {
      const home = verb === 'submit' ? homeOf(settings) : await jobHome(jobId);
      if (verb !== 'submit') await checkHome(home);
      const deps = depsFor(home);
      return driveHere(deps, executorFor(home, deps), jobId, verb, hooks);
    },
    async quality(jobId, hooks) {
      const job = await ledger.getJob(jobId);
      if (!job) throw new NotFoundError(`no job ${jobId} in ${dir}`);
      const deps = depsFor(await jobHome(jobId));
      // The store's copy of the source goes with the job's files once it is done; the original is read instead.
      const original = (await ledger.listEvents(jobId)).filter((e) => e.type === HOME_EVENT).pop()?.data?.original;
      const readableSource = async (source: string) =>
        source === job.source && typeof original === 'string' && existsSync(original) && !existsSync(source)
          ? original
          : deps.readableSource(source);
      return addQualityReport({ ...deps, readableSource }, jobId, hooks.signal);
    },
    // The coordinator writes the workers' heartbeats: fresh ones say a coordinator follows the job; else its
    // runner, while alive or unknown and the job was updated in the last minute.
    runsElsewhere: (job, tasks) =>
      drivenByAnotherProcess(
        coordinator,
        job,
        tasks,
        [job.runner],
        job.runner === undefined || coordinator.isWorkerAlive(job.runner) !== false,
      ),
    async forget(jobId) {
      const home = await jobHome(jobId);
      // A Redis that cannot be reached keeps the flow (its keys hold no files); the files and records go.
      if (
        await redisFacts(home.redis).then(
          () => true,
          () => false,
        )
      ) {
        const queues = clusterQueues(storeQueueKey(home.store.spec));
        const merge = new Queue(queues.merge, { connection: redisOptions(home.redis) });
        const encode = new Queue(queues.encode, { connection: redisOptions(home.redis) });
        try {
          await removeFlow(
            merge,
            encode,
            jobId,
            (await ledger.listTasks(jobId)).map((t) => childJobId(jobId, t.key)),
          );
        } finally {
          await Promise.allSettled([merge.close(), encode.close()]);
        }
      }
    },
    workers: async () => (presence ? listWorkers(presence) : []),
    checks: () => clusterDoctor(settings, cfg.env),
    async close() {
      presence?.disconnect();
      await ledger.close();
    },
  });
  return backend as ClusterBackend;
}
