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
import { FfmpegProcess, resolveToolPaths } from '../../adapters/local/ffmpeg-process.js';
import { makeSqliteLedger } from '../../adapters/sqlite/sqlite-ledger.js';
import { emit, type AppDeps } from '../../app/deps.js';
import { jobView } from '../../app/job-view.js';
import { addQualityReport } from '../../app/measure-quality.js';
import { removeJob } from '../../app/remove-job.js';
import { createJob, resumeJob, retryJob, runJob } from '../../app/run-job.js';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { isLadderOutput } from '../../core/ladder.js';
import { ACTIVE_STATUSES, type JobRecord } from '../../core/types.js';
import type { Ledger } from '../../ports/ledger.js';
import type { Backend, BackendConfig, RunHooks } from '../backend.js';
import { checkPaths } from '../job-paths.js';
import { isLocalWorkerAlive, localWorkerId, newJobId } from '../local/local-runtime.js';
import { parseTranscodeOptions } from '../transcode-options.js';
import { openClusterStore, parseStore, storeLocation, storeQueueKey, type ClusterStore } from './cluster-store.js';
import { clusterDoctor } from './cluster-doctor.js';
import { clusterSettings, type ClusterSettings } from './cluster-settings.js';

/** The event that remembers a job's Redis and store. */
const HOME_EVENT = 'cluster.home';
const FRESH_MS = 30_000;

export interface ClusterBackend extends Backend {
  /** The workers whose presence is fresh in the Redis this backend was opened with. */
  workers(): Promise<WorkerInfo[]>;
}

interface Home {
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
  const media = new FfmpegProcess(resolveToolPaths(cfg.env, { preferNpm: cfg.env.SHARDCAST_BUNDLED_FFMPEG === '1' }));
  const presence = settings.redis ? openRedis(settings.redis) : undefined;
  const homes = new Map<string, Home>();

  const homeOf = (s: ClusterSettings): Home => {
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
  const depsFor = (home: Home): AppDeps => ({
    ledger,
    media,
    blobs: home.store.blobs,
    clock: () => Date.now(),
    workerId: localWorkerId(),
    readableSource: home.store.readableSource,
    sourceSize: home.store.sourceSize,
    isWorkerAlive: isLocalWorkerAlive,
    ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
  });
  const executorFor = (home: Home, deps: AppDeps) =>
    new ClusterExecutor({
      redisUrl: home.redis,
      queues: clusterQueues(storeQueueKey(home.store.spec)),
      ledger,
      blobs: deps.blobs,
      clock: deps.clock,
      ...(home.storeId ? { storeId: home.storeId } : {}),
      ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
      ...(settings.redisWaitMs ? { redisWaitMs: settings.redisWaitMs } : {}),
    });
  /** Redis reachable and fit, the store writable and marked: before a job is made or continued. */
  const checkHome = async (home: Home) => {
    const problems = redisProblems(await redisFacts(home.redis)).filter((p) => !p.startsWith('maxmemory-policy'));
    if (problems.length) throw new UsageError(problems[0]!);
    await home.store.probe();
    const id = await home.store.storeId(true);
    if (id) home.storeId = id;
  };
  const existing = async (jobId: string): Promise<JobRecord> => {
    const job = await ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`no job ${jobId} in ${dir}`);
    return job;
  };
  /**
   * The job's own Redis and store, as it was made; flags given now override them (a Redis that moved), the
   * environment does not (it names the home of new jobs, and the job's flow may live on its own Redis).
   */
  const jobHome = async (jobId: string): Promise<Home> => {
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
  const liveSlots = async (home: Home): Promise<number> => {
    if (!presence) return 0;
    const where = storeLocation(home.store.spec);
    return (await listWorkers(presence).catch(() => []))
      .filter((w) => !w.draining && w.store === where)
      .reduce((n, w) => n + w.concurrency, 0);
  };
  const continueJob = async (jobId: string, hooks: RunHooks, verb: 'resume' | 'retry', force = false) => {
    await existing(jobId);
    const home = await jobHome(jobId);
    await checkHome(home);
    const deps = depsFor(home);
    hooks.onJob?.(jobId);
    const executor = executorFor(home, deps);
    const job =
      verb === 'resume'
        ? await resumeJob(deps, executor, jobId, hooks.signal, { force })
        : await retryJob(deps, executor, jobId, hooks.signal);
    return { job };
  };

  return {
    kind: 'cluster',
    ledger,
    where: dir,
    async submit(req, hooks = {}) {
      if (isLadderOutput(req.output))
        throw new UsageError('the cluster backend writes one output file; make HLS/DASH ladders with --backend local or aws');
      const home = homeOf(settings);
      const paths = checkPaths(req.input, req.output, req.overwrite);
      await checkHome(home);
      const slots = req.options.workers === undefined ? await liveSlots(home) : 0;
      const options = parseTranscodeOptions(
        { ...req.options, ...(slots > 0 ? { workers: String(Math.min(256, slots)) } : {}) },
        req.output,
      );
      const id = req.id ?? newJobId();
      const deps = depsFor(home);
      hooks.note?.(`placing ${paths.source} in the store ${storeLocation(home.store.spec)}`);
      const source = await home.store.placeSource(id, paths.source);
      await createJob(deps, { id, backend: 'cluster', source, output: paths.output, options });
      await emit(deps, id, HOME_EVENT, `queue ${shownRedisUrl(home.redis)}, store ${storeLocation(home.store.spec)}`, {
        redis: home.redis,
        store: settings.store,
        ...(settings.s3Endpoint ? { s3Endpoint: settings.s3Endpoint } : {}),
        original: paths.source,
      });
      hooks.note?.(`job ${id}: ${paths.source} -> ${paths.output} (cluster, ${slots || options.workers} worker slots)`);
      hooks.onJob?.(id);
      return { job: await runJob(deps, executorFor(home, deps), id, hooks.signal) };
    },
    resume: (jobId, hooks = {}) => continueJob(jobId, hooks, 'resume', hooks.force === true),
    retry: (jobId, hooks = {}) => continueJob(jobId, hooks, 'retry'),
    async quality(jobId, hooks = {}) {
      const job = await existing(jobId);
      const deps = depsFor(await jobHome(jobId));
      // The store's copy of the source goes with the job's files once it is done; the original is read instead.
      const original = (await ledger.listEvents(jobId)).filter((e) => e.type === HOME_EVENT).pop()?.data?.original;
      const readableSource = async (source: string) =>
        source === job.source && typeof original === 'string' && existsSync(original) && !existsSync(source)
          ? original
          : deps.readableSource(source);
      return addQualityReport({ ...deps, readableSource }, jobId, hooks.signal);
    },
    async status(jobId) {
      const job = await ledger.getJob(jobId);
      if (!job) throw new NotFoundError(`no job ${jobId}`);
      return { view: jobView(job, await ledger.listTasks(jobId)), events: await ledger.listEvents(jobId) };
    },
    jobs: (limit) => ledger.listJobs({ limit }),
    runsElsewhere(job, tasks) {
      if (!ACTIVE_STATUSES.includes(job.status)) return false;
      const now = Date.now();
      // The coordinator writes the workers' heartbeats: fresh ones say a coordinator follows the job.
      if (tasks.some((t) => t.status === 'running' && now - (t.heartbeatAt ?? 0) < FRESH_MS)) return true;
      if (job.runner && job.runner !== localWorkerId() && isLocalWorkerAlive(job.runner) === true) return true;
      return now - job.updatedAt < 2 * FRESH_MS && (job.runner === undefined || isLocalWorkerAlive(job.runner) !== false);
    },
    async remove(jobId) {
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
      await removeJob({ ledger, blobs: home.store.blobs }, jobId);
    },
    async gc(olderThanMs) {
      const ids = await ledger.listJobIdsUpdatedBefore(Date.now() - olderThanMs);
      for (const id of ids) await this.remove(id);
      return ids;
    },
    async workers() {
      return presence ? listWorkers(presence) : [];
    },
    checks: () => clusterDoctor(settings, cfg.env),
    async close() {
      presence?.disconnect();
      await ledger.close();
    },
  };
}
