/**
 * Composition root for the local backend: SQLite ledger and local-disk blobs under the state dir, ffmpeg
 * processes, a worker pool. The only place that reads the environment for these.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeSqliteLedger } from '../../adapters/sqlite/sqlite-ledger.js';
import { FfmpegProcess, resolveToolPaths } from '../../adapters/local/ffmpeg-process.js';
import { LocalBlobStore } from '../../adapters/local/local-blob-store.js';
import { WorkerPoolExecutor } from '../../adapters/local/worker-pool-executor.js';
import { encodeTask } from '../../app/encode-task.js';
import type { AppDeps, TaskProgress } from '../../app/deps.js';
import { taskThreads } from '../../core/segment-threads.js';
import type { JobRecord } from '../../core/types.js';
import type { Executor } from '../../ports/executor.js';
import type { MediaTool } from '../../ports/media-tool.js';

export interface LocalRuntimeConfig {
  stateDir: string;
  env: Record<string, string | undefined>;
  onProgress?: (p: TaskProgress) => void;
  /** Test hook: wraps the ffmpeg runner (to inject faults). Only tests set it. */
  wrapMedia?: (media: MediaTool) => MediaTool;
}

export interface LocalRuntime {
  deps: AppDeps;
  executorFor(job: JobRecord): Executor;
  close(): Promise<void>;
}

const HOST = hostname();

export function newJobId(): string {
  return randomBytes(8).toString('hex').slice(0, 12);
}

/**
 * A process as /proc tells it: its state letter (Z = zombie, X = dead) and its start time (clock ticks after
 * boot, fixed for the life of the process). `null`: no such process; undefined: no /proc here (not Linux).
 */
function procStat(pid: number): { state: string; start: string } | null | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: the fields that follow are counted from its end.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, start: rest[19]! };
  } catch {
    return existsSync('/proc/self/stat') ? null : undefined;
  }
}

/**
 * This process as a lease holder: `host:pid/start`, the start time telling this process from a later one that
 * reuses its pid (`host:pid` where there is no /proc).
 */
export function localWorkerId(): string {
  const start = procStat(process.pid)?.start;
  return `${HOST}:${process.pid}${start ? `/${start}` : ''}`;
}

/**
 * Whether a worker of this host still runs: its process exists, is not a zombie (a `kill -9`ed process whose
 * parent has not reaped it yet, as under a container's PID 1: `kill(pid, 0)` counts it alive) and started when
 * the holder did. Undefined for workers of other hosts: only their heartbeats tell.
 */
export function isLocalWorkerAlive(workerId: string): boolean | undefined {
  const m = /^(.*):(\d+)(?:\/(\d+))?$/.exec(workerId);
  if (!m || m[1] !== HOST) return undefined;
  const pid = Number(m[2]);
  const stat = procStat(pid);
  if (stat === null) return false;
  if (stat) return stat.state !== 'Z' && stat.state !== 'X' && (m[3] === undefined || m[3] === stat.start);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function makeLocalRuntime(cfg: LocalRuntimeConfig): LocalRuntime {
  mkdirSync(cfg.stateDir, { recursive: true });
  const ledger = makeSqliteLedger(join(cfg.stateDir, 'ledger.db'));
  const blobs = new LocalBlobStore(join(cfg.stateDir, 'jobs'));
  const real = new FfmpegProcess(resolveToolPaths(cfg.env, { preferNpm: cfg.env.SHARDCAST_BUNDLED_FFMPEG === '1' }));
  const media = cfg.wrapMedia ? cfg.wrapMedia(real) : real;
  const deps: AppDeps = {
    ledger,
    blobs,
    media,
    clock: () => Date.now(),
    workerId: localWorkerId(),
    readableSource: async (source) => source,
    sourceSize: async (source) => {
      try {
        return statSync(source).size;
      } catch {
        return undefined;
      }
    },
    isWorkerAlive: isLocalWorkerAlive,
    ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
  };
  return {
    deps,
    executorFor(job) {
      return new WorkerPoolExecutor({
        concurrency: job.options.workers,
        maxAttempts: job.options.maxAttempts,
        runTask: async (task, signal) => {
          // The plan is read now: `job` may have been passed in before analysis made it.
          const current = task.kind === 'video' ? ((await ledger.getJob(task.jobId)) ?? job) : job;
          await encodeTask(deps, task, { ...taskThreads(current, task), ...(signal ? { signal } : {}) });
        },
      });
    },
    close: () => ledger.close(),
  };
}
