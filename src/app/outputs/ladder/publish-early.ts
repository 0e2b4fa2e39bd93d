/**
 * `--publish-early`: after each task of a ladder is done, the playlists of the contiguous done prefix
 * (core/early-publish.ts) are written to the output folder, so a player can start while the job encodes:
 * the media playlists as HLS EVENT playlists, the DASH manifest dynamic, the init segments and the master
 * playlist with the first prefix. The media segments are already where the playlists name them (each task
 * stores its segments at their final names, ladder-task.ts). publishLadder writes the VOD playlists over them
 * at the end.
 *
 * A prefix is written only when it is longer than the one published (recorded in a blob of the job, written
 * after the playlists): the prefix is read from the ledger each time, inside one publisher's queue (local: the
 * worker pool's tasks; cluster: the coordinator's, which applies results one at a time). On AWS every encode
 * Lambda publishes for itself: two finishing together may write in either order, so a publisher reads the
 * ledger again after writing and publishes once more while the prefix grew meanwhile (docs/adr 0017).
 */
import { donePrefix, eventTargetDuration, prefixIndex } from '../../../core/early-publish.js';
import { ladderOf } from '../../../core/job-head.js';
import { oneLine } from '../../../core/errors.js';
import { dashManifest, masterPlaylist, mediaPlaylist, type LadderIndex } from '../../../core/playlists.js';
import { ladderLocation } from '../../../core/ladder.js';
import type { AnalyzedJob, JobRecord } from '../../../core/types.js';
import type { AppDeps } from '../../deps.js';
import { emit } from '../../deps.js';
import { gather, readManifests } from './publish-ladder.js';

/** The blob recording how many media segments are published (`{ "segments": N }`). */
const markerKey = (jobId: string) => `${jobId}/early/published.json`;

/**
 * A scratch name of its own for each publish: the emulated AWS home runs its encode Lambdas in one process over one
 * scratch folder, and two publishes at once must not read or move each other's files.
 */
let publishes = 0;
const scratchTag = () => `early-${++publishes}`;

async function writeEarly(deps: AppDeps, job: AnalyzedJob, tag: string, relative: string, content: string): Promise<void> {
  const local = await deps.blobs.writeScratchFile(job.id, `${tag}-${relative.replace(/[^A-Za-z0-9._-]/g, '_')}`, content);
  await deps.blobs.commitOutput(local, ladderLocation(job.output, relative));
}

async function publishedSegments(deps: AppDeps, jobId: string): Promise<number> {
  if (!(await deps.blobs.stat(markerKey(jobId)))) return 0;
  const local = `${await deps.blobs.scratchDir(jobId)}/${scratchTag()}-published.json`;
  await deps.blobs.getFile(markerKey(jobId), local);
  const n = Number((JSON.parse((await deps.blobs.readLocal(local)).toString('utf8')) as { segments?: number }).segments);
  await deps.blobs.discardLocal(local);
  return Number.isFinite(n) ? n : 0;
}

async function recordPublished(deps: AppDeps, jobId: string, segments: number): Promise<void> {
  const local = await deps.blobs.writeScratchFile(jobId, `${scratchTag()}-published.json`, JSON.stringify({ segments }));
  await deps.blobs.putFile(markerKey(jobId), local);
}

/** The ladder's index from the manifests of the done prefix, renditions in the final playlists' order. */
async function prefixLadder(
  deps: AppDeps,
  job: AnalyzedJob,
  tasks: number,
  segments: number,
  tag: string,
): Promise<LadderIndex | undefined> {
  const all = await deps.ledger.listTasks(job.id);
  const done = all.filter((t) => t.kind === 'audio' || t.index < tasks);
  const failures: string[] = [];
  const gathered = [...gather(await readManifests(deps, job.id, done, tag), failures).values()];
  if (failures.length) return undefined;
  const order = ladderOf(job.options.profile).rungs.map((r) => `v${r.height}`);
  const video = gathered.filter((g) => g.rendition.kind === 'video').map((g) => ({ ...g.rendition, initKey: g.initKey }));
  video.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const audio = gathered.filter((g) => g.rendition.kind === 'audio').map((g) => ({ ...g.rendition, initKey: g.initKey }));
  audio.sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1)));
  job.analysis.audio.forEach((a, k) => {
    if (audio[k] && a.language && a.language !== 'und') audio[k].language = a.language;
  });
  const v = job.analysis.video;
  const span = v.frameTimes[v.frameTimes.length - 1]! + v.lastFrameDuration - v.frameTimes[0]!;
  const index: LadderIndex = {
    video,
    audio,
    subtitles: [],
    frameRate: v.frameTimes.length / Math.max(1e-9, span),
    timelineStart: ladderOf(job.options.profile).timelineStart ?? 0,
  };
  return prefixIndex(index, segments);
}

/** Writes the playlists of the prefix of `segments` media segments; the first time, the inits and master too. */
async function writePrefix(deps: AppDeps, job: AnalyzedJob, tasks: number, segments: number, first: boolean): Promise<boolean> {
  const tag = scratchTag();
  const index = await prefixLadder(deps, job, tasks, segments, tag);
  if (!index) return false;
  const ladder = ladderOf(job.options.profile);
  const renditions = [...index.video, ...index.audio] as Array<LadderIndex['video'][number] & { initKey?: string }>;
  const target = eventTargetDuration(ladder.segmentSeconds, renditions);
  const scratch = await deps.blobs.scratchDir(job.id);
  for (const r of renditions) {
    if (first && r.initKey) {
      const local = `${scratch}/${tag}-${r.name}-init.mp4`;
      await deps.blobs.getFile(r.initKey, local);
      await deps.blobs.commitOutput(local, ladderLocation(job.output, `${r.name}/init.mp4`));
    }
    await writeEarly(deps, job, tag, `${r.name}/index.m3u8`, mediaPlaylist(r, 'EVENT', target));
  }
  if (ladder.dash) {
    const now = new Date(deps.clock()).toISOString();
    const start = new Date(job.startedAt ?? job.createdAt).toISOString();
    const dynamic = { availabilityStartTime: start, publishTime: now, minimumUpdatePeriod: ladder.segmentSeconds };
    await writeEarly(deps, job, tag, 'manifest.mpd', dashManifest(index, dynamic));
  }
  if (first) {
    const local = await deps.blobs.writeScratchFile(job.id, `${tag}-master.m3u8`, masterPlaylist(index));
    await deps.blobs.commitOutput(local, job.output);
  }
  return true;
}

/**
 * Publishes the done prefix of a job that asked for it, when it grew; anything else is a no-op. Never throws: a
 * publish that fails is told in the job's events, and the job goes on (its VOD playlists come at the end).
 */
export async function publishDonePrefix(deps: AppDeps, jobId: string): Promise<void> {
  try {
    // The small read first: most jobs did not ask for it.
    const head = await deps.ledger.getJobHead(jobId);
    if (!head?.options.publishEarly) return;
    for (let round = 0; round < 3; round++) {
      const job = await deps.ledger.getJob(jobId);
      if (!job || !isEarly(job) || job.status !== 'encoding') return;
      const prefix = donePrefix(await deps.ledger.listTasks(jobId));
      const published = await publishedSegments(deps, jobId);
      if (prefix.segments <= published) return;
      const first = published === 0;
      if (!(await writePrefix(deps, job as AnalyzedJob, prefix.tasks, prefix.segments, first))) return;
      await recordPublished(deps, jobId, prefix.segments);
      if (first) {
        const firstPlayableMs = deps.clock() - (job.startedAt ?? job.createdAt);
        await emit(
          deps,
          jobId,
          'job.published',
          `playable while encoding: ${prefix.segments} media segment(s) published after ${(firstPlayableMs / 1000).toFixed(1)} s`,
          { segments: prefix.segments, firstPlayableMs },
        );
      }
    }
  } catch (err) {
    await emit(deps, jobId, 'job.note', `early publish skipped this time: ${oneLine(err)}`).catch(() => undefined);
  }
}

function isEarly(job: JobRecord): boolean {
  return job.options.publishEarly === true && !!job.options.profile.ladder && !!job.plan;
}

/**
 * A publisher for one process's run: its publishes one at a time, in the order the tasks were done, so a
 * publish never overtakes a later one.
 */
export function makeEarlyPublisher(deps: AppDeps): (jobId: string) => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  return (jobId) => {
    chain = chain.then(() => publishDonePrefix(deps, jobId));
    return chain;
  };
}

/** When the first prefix was published (ms from the run's start), from the job's events. */
export async function firstPlayableMs(deps: AppDeps, jobId: string): Promise<number | undefined> {
  const e = (await deps.ledger.listEvents(jobId)).find((x) => x.type === 'job.published');
  const ms = (e?.data as { firstPlayableMs?: unknown } | undefined)?.firstPlayableMs;
  return typeof ms === 'number' ? ms : undefined;
}
