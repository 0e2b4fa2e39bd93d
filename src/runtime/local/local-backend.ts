/**
 * The local home: the SQLite ledger and files under the state dir, encodes in a worker pool of ffmpeg
 * processes on this machine (local-runtime.ts). The Backend itself is home-backend.ts's.
 */
import { checkEncoders } from '../../app/encoder-check.js';
import type { Backend, BackendConfig } from '../backend.js';
import { driveHere, drivenByAnotherProcess, makeBackend } from '../home-backend.js';
import { checkPaths } from '../job-paths.js';
import { makeLocalRuntime, type LocalRuntime } from './local-runtime.js';

export interface LocalBackend extends Backend {
  readonly runtime: LocalRuntime;
}

export function openLocalBackend(cfg: BackendConfig): LocalBackend {
  const rt = makeLocalRuntime({
    stateDir: cfg.stateDir,
    env: cfg.env,
    ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
    ...(cfg.onEvent ? { onEvent: cfg.onEvent } : {}),
    ...(cfg.wrapMedia ? { wrapMedia: cfg.wrapMedia } : {}),
  });
  const { deps } = rt;
  const backend = makeBackend({
    kind: 'local',
    ledger: deps.ledger,
    where: cfg.stateDir,
    depsFor: async () => deps,
    checkRequest: async (req) => checkPaths(req.input, req.output, req.overwrite),
    checkEncoders: (profile) => checkEncoders(deps.media, profile),
    senderEnv: cfg.env,
    drive: async (job, verb, hooks) => driveHere(deps, rt.executorFor(job), job.id, verb, hooks),
    // A CLI run or `serve` beside this one: its tasks' workers, or a job just made and not planned yet.
    runsElsewhere: (job, tasks) =>
      drivenByAnotherProcess(
        deps,
        job,
        tasks,
        tasks.map((t) => t.worker),
        tasks.length === 0,
      ),
    close: () => rt.close(),
  });
  return { ...backend, runtime: rt };
}
