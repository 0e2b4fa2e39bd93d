/**
 * Space for a job: checked before its encodes start (what the rest of the job writes, against the free space
 * of its scratch folder and of the output's folder), and a write that ran out of space turned into one line
 * naming the folder and what the job still needs. Used by runJob and the tasks.
 */
import { dirname } from 'node:path/posix';
import { DiskFullError, isDiskFull } from '../core/errors.js';
import { estimateSpaceNeed, formatBytes, type SpaceNeed } from '../core/disk-space.js';
import { analyzed } from '../core/job-head.js';
import type { AnalyzedJobHead, JobHead, TaskRecord } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { commandFor, continueVerb } from './run-failure.js';

interface Folder {
  folder: string;
  what: string;
  needBytes: number;
  freeBytes: number;
  device: number;
}

function needOf(job: AnalyzedJobHead, tasks: TaskRecord[]): SpaceNeed {
  const videos = tasks.filter((t) => t.kind === 'video');
  const total = videos.reduce((s, t) => s + t.frameCount, 0);
  const left = videos.filter((t) => t.status !== 'done').reduce((s, t) => s + t.frameCount, 0);
  const audioLeft = tasks.some((t) => t.kind === 'audio' && t.status !== 'done');
  return estimateSpaceNeed(job.analysis, job.options.profile, total ? left / total : 1, audioLeft);
}

/** The job's local folders with what each must still hold; folders on one file system share its free space. */
async function folders(deps: AppDeps, job: JobHead, tasks: TaskRecord[]): Promise<Folder[]> {
  if (!deps.blobs.diskSpace) return [];
  const need = needOf(analyzed(job), tasks);
  const scratch = await deps.blobs.scratchDir(job.id);
  const out = dirname(await deps.blobs.outputTempPath(job.id, job.output));
  const found: Folder[] = [];
  const wanted: Array<readonly [string, string, number]> = [
    ...(deps.blobs.scratchIsTransient ? [] : [[scratch, 'segments and audio', need.scratchBytes] as const]),
    [out, 'the merged output', need.outputBytes],
  ];
  for (const [folder, what, needBytes] of wanted) {
    const space = await deps.blobs.diskSpace(folder);
    if (!space) continue;
    const same = found.find((f) => f.device === space.device);
    if (same) {
      same.needBytes += needBytes;
      same.what += ` and ${what}`;
    } else found.push({ folder, what, needBytes, ...space });
  }
  return found;
}

const advice = (job: JobHead, then = true) =>
  `free space (or use a --state-dir on a larger disk)${then ? `, then run \`${commandFor(continueVerb(job), job)}\`` : ''}`;

/** Throws DiskFullError when a folder of the job has less free space than the rest of the job needs there. */
export async function checkSpace(deps: AppDeps, job: JobHead, tasks: TaskRecord[]): Promise<void> {
  for (const f of await folders(deps, job, tasks)) {
    if (f.freeBytes < f.needBytes) {
      throw new DiskFullError(
        `not enough space in ${f.folder}: ${formatBytes(f.freeBytes)} free, the job needs about ${formatBytes(f.needBytes)} there (${f.what}); ${advice(job)}`,
        f.folder,
      );
    }
  }
}

/**
 * A write of `what` into `folder` that failed for want of space, as one line with the space still needed;
 * any other error as it is. `resumeAdvice`: false where the caller names the command itself (a failed task).
 */
export async function asDiskFull(
  deps: AppDeps,
  job: JobHead,
  err: unknown,
  folder: string,
  what: string,
  resumeAdvice = true,
): Promise<unknown> {
  if (!isDiskFull(err) || err instanceof DiskFullError) return err;
  let need = '';
  try {
    const f = (await folders(deps, job, await deps.ledger.listTasks(job.id))).find(
      (x) => folder.startsWith(x.folder) || x.folder.startsWith(folder),
    );
    if (f) need = ` (${formatBytes(f.freeBytes)} free; the job needs about ${formatBytes(f.needBytes)} there)`;
  } catch {
    /* the estimate is a courtesy */
  }
  return new DiskFullError(`no space left in ${folder} writing ${what}${need}; ${advice(job, resumeAdvice)}`, folder);
}
