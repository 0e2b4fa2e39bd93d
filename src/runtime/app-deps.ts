/**
 * The one place the app's dependencies and its media tool are built, for every home: the ffmpeg runner (with
 * SHARDCAST_BUNDLED_FFMPEG, FFMPEG_PATH, FFPROBE_PATH read once, here) and the AppDeps around a home's ledger
 * and store.
 */
import { statSync } from 'node:fs';
import { FfmpegProcess, resolveToolPaths } from '../adapters/local/ffmpeg-process.js';
import type { AppDeps } from '../app/deps.js';
import type { MediaTool } from '../ports/media-tool.js';
import { isLocalWorkerAlive, localWorkerId } from './process-identity.js';

/** The ffmpeg and ffprobe this process runs: FFMPEG_PATH / FFPROBE_PATH, else PATH, else the npm-shipped ones. */
export function openMediaTool(env: Record<string, string | undefined>, wrap?: (media: MediaTool) => MediaTool): MediaTool {
  const real = new FfmpegProcess(resolveToolPaths(env, { preferNpm: env.SHARDCAST_BUNDLED_FFMPEG === '1' }));
  return wrap ? wrap(real) : real;
}

/** Size of a local file, or undefined when it cannot be read. */
export function localFileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** This process as a worker: the wall clock, its id, and how it tells whether a worker of this host lives. */
export function thisProcess(): Required<Pick<AppDeps, 'clock' | 'workerId' | 'isWorkerAlive'>> {
  return { clock: () => Date.now(), workerId: localWorkerId(), isWorkerAlive: isLocalWorkerAlive };
}

export type AppDepsParts = Pick<AppDeps, 'ledger' | 'blobs' | 'media'> & Partial<AppDeps>;

/**
 * AppDeps for this process: the wall clock, this process's worker id, a source read where it lies, unless the
 * home says otherwise. Whether workers can be checked (`isWorkerAlive`) is the home's to say: a worker of this
 * host can (`thisProcess().isWorkerAlive`), a Lambda function cannot.
 */
export function makeAppDeps(parts: AppDepsParts): AppDeps {
  return {
    clock: () => Date.now(),
    workerId: localWorkerId(),
    readableSource: async (source) => source,
    sourceSize: async (source) => localFileSize(source),
    ...parts,
  };
}
