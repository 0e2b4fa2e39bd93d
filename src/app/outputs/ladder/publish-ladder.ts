/**
 * The end of a ladder job, in place of the merge: the tasks' manifests are read (a few KB each), each rendition
 * is checked from them (one init for all its segments, every segment there once, starting on a keyframe,
 * decode times continuous, frames and spans as planned), and the playlists are written from the measured
 * segments: media playlists, the subtitles' WebVTT, the DASH manifest when asked for, the master playlist
 * last. No encoded segment is read again; the output is complete once the master playlist exists.
 */
import { join } from 'node:path/posix';
import { VerifyError } from '../../../core/errors.js';
import { buildWebvttArgs } from '../../../core/ladder-args.js';
import { TEXT_SUBTITLES } from '../../../core/merge-args.js';
import { ladderLocation, subtitleRenditionName } from '../../../core/ladder.js';
import { parseRate } from '../../../core/probe-parse.js';
import { shiftWebvtt } from '../../../core/webvtt.js';
import {
  bitratesOf,
  dashManifest,
  dashPeriodStart,
  masterPlaylist,
  mediaPlaylist,
  subtitlePlaylist,
  type LadderIndex,
  type RenditionIndex,
  type SubtitleIndex,
} from '../../../core/playlists.js';
import { ladderOf } from '../../../core/job-head.js';
import { IFRAME_PLAYLIST, iframeEntries, iframePlaylist, iframeStreamInf } from '../../../core/iframe-playlist.js';
import type { AnalyzedJob, JobResult, RenditionResult, TaskRecord, VerifyReport } from '../../../core/types.js';
import type { AppDeps } from '../../deps.js';
import { emit } from '../../deps.js';
import type { TaskManifest } from './ladder-task.js';
import { runFfmpeg } from '../../ffmpeg-run.js';

interface Gathered {
  rendition: RenditionIndex;
  initKey: string;
}

/** From the first segment's decode time to the last one's end, in seconds. */
function spanSeconds(r: RenditionIndex): number {
  const last = r.segments[r.segments.length - 1];
  return last ? (last.start + last.duration - r.segments[0]!.start) / r.timescale : 0;
}

/** Joins the tasks' parts of each rendition; a second init that differs from the first fails the job. */
export function gather(manifests: TaskManifest[], failures: string[]): Map<string, Gathered> {
  const out = new Map<string, Gathered & { initChecksum: string; from: string }>();
  for (const m of manifests) {
    for (const r of m.renditions) {
      const have = out.get(r.name);
      if (!have) {
        const { initKey, initChecksum, segments, ...rest } = r;
        out.set(r.name, { rendition: { ...rest, init: 'init.mp4', segments: [...segments] }, initKey, initChecksum, from: m.task });
        continue;
      }
      if (have.initChecksum !== r.initChecksum || have.rendition.timescale !== r.timescale) {
        failures.push(
          `${r.name}: the codec configuration of ${m.task} differs from ${have.from}'s (its init segment): the renditions' segments cannot share one init`,
        );
      }
      have.rendition.segments.push(...r.segments);
    }
  }
  for (const g of out.values()) g.rendition.segments.sort((a, b) => a.number - b.number);
  return out;
}

/** The checks a ladder passes before its master playlist is written, from the segments the tasks measured. */
function checkRenditions(
  job: AnalyzedJob,
  video: RenditionIndex[],
  audio: RenditionIndex[],
  expectedSegments: number,
  failures: string[],
): void {
  const v = job.analysis.video;
  const frames = v.frameTimes.length;
  const span = v.frameTimes[frames - 1]! + v.lastFrameDuration - v.frameTimes[0]!;
  const frameSeconds = span / frames;
  for (const r of [...video, ...audio]) {
    const segs = r.segments;
    segs.forEach((s, i) => {
      if (s.number !== i) failures.push(`${r.name}: media segment ${i + 1} is ${s.number < i ? 'there twice' : 'missing'}`);
    });
    // Decode times run on from one segment to the next (a task's last sample duration is the muxer's: a frame
    // of slack for a VFR source).
    const slack = r.kind === 'video' ? Math.max(1, Math.round(frameSeconds * r.timescale)) : Math.round(0.05 * r.timescale);
    for (let i = 1; i < segs.length; i++) {
      const gap = segs[i]!.start - (segs[i - 1]!.start + segs[i - 1]!.duration);
      if (Math.abs(gap) > slack)
        failures.push(
          `${r.name}: a ${gap > 0 ? 'gap' : 'overlap'} of ${(Math.abs(gap) / r.timescale).toFixed(3)} s before media segment ${i + 1}`,
        );
    }
    if (r.kind === 'video') {
      if (segs.length !== expectedSegments) failures.push(`${r.name}: ${segs.length} media segments, expected ${expectedSegments}`);
      const n = segs.reduce((a, s) => a + s.frames, 0);
      if (n !== frames) failures.push(`${r.name}: ${n} frames, expected ${frames}`);
      const got = spanSeconds(r);
      if (Math.abs(got - span) > Math.max(frameSeconds, 0.05))
        failures.push(`${r.name}: spans ${got.toFixed(3)} s, expected ${span.toFixed(3)} s`);
    }
  }
}

/** Writes text into the output folder (through the job's scratch, so an S3 output gets one upload). */
async function writeOutputFile(deps: AppDeps, job: AnalyzedJob, relative: string, content: string): Promise<void> {
  const local = await deps.blobs.writeScratchFile(job.id, `out-${relative.replace(/[^A-Za-z0-9._-]/g, '_')}`, content);
  await deps.blobs.commitOutput(local, ladderLocation(job.output, relative));
}

/**
 * The subtitle renditions: each text track converted to WebVTT on the renditions' timeline, and for DASH on the
 * period's (which starts at `periodStart` on the renditions' timeline).
 */
async function subtitles(deps: AppDeps, job: AnalyzedJob, scratch: string, periodStart: number): Promise<SubtitleIndex[]> {
  const analysis = job.analysis;
  const out: SubtitleIndex[] = [];
  const base = ladderOf(job.options.profile).timelineStart ?? 0;
  const texts = analysis.subtitles.filter((s) => TEXT_SUBTITLES.has(s.codec));
  const dropped = analysis.subtitles.filter((s) => !TEXT_SUBTITLES.has(s.codec));
  if (dropped.length)
    await emit(
      deps,
      job.id,
      'job.note',
      `bitmap subtitle streams cannot be WebVTT and were dropped: ${dropped.map((d) => `#${d.index} ${d.codec}`).join(', ')}`,
    );
  for (const [k, s] of texts.entries()) {
    const name = subtitleRenditionName(k);
    const local = join(scratch, `${name}.vtt`);
    // One conversion, cues counted from the container's start (no -copyts), moved onto each timeline: HLS's (the
    // renditions', later by the base) and DASH's (the period's, which starts at periodStart on the renditions').
    await runFfmpeg(deps, `subtitle track #${s.index}`, buildWebvttArgs(await deps.readableSource(job.source), s, local));
    const cues = (await deps.blobs.readLocal(local)).toString('utf8');
    const write = async (file: string, shift: number) =>
      deps.blobs.commitOutput(
        await deps.blobs.writeScratchFile(job.id, `${name}-${file}`, shiftWebvtt(cues, shift)),
        ladderLocation(job.output, `${name}/${file}`),
      );
    if (ladderOf(job.options.profile).dash) await write('subtitles-dash.vtt', base - periodStart);
    const stored = await write('subtitles.vtt', base);
    out.push({
      name,
      file: 'subtitles.vtt',
      ...(ladderOf(job.options.profile).dash ? { dashFile: 'subtitles-dash.vtt' } : {}),
      durationSeconds: analysis.duration,
      bytes: stored.sizeBytes,
      ...(s.language && s.language !== 'und' ? { language: s.language } : {}),
    });
  }
  return out;
}

function renditionResult(r: RenditionIndex): RenditionResult {
  const b = bitratesOf(r);
  return {
    kind: r.kind,
    name: r.name,
    playlist: `${r.name}/index.m3u8`,
    codecs: r.codecs,
    ...(r.width !== undefined ? { width: r.width, height: r.height! } : {}),
    ...(r.channels !== undefined ? { channels: r.channels } : {}),
    ...(r.language ? { language: r.language } : {}),
    segments: r.segments.length,
    bytes: b.bytes,
    durationSeconds: Number(b.seconds.toFixed(6)),
    peakBitrate: b.peak,
    averageBitrate: b.average,
    ...(r.kind === 'video' ? { frames: r.segments.reduce((a, s) => a + s.frames, 0) } : {}),
  };
}

/** The manifests of the given tasks (their output blobs), read through the job's scratch folder. */
export async function readManifests(deps: AppDeps, jobId: string, tasks: TaskRecord[], tag = 'manifest'): Promise<TaskManifest[]> {
  const scratch = await deps.blobs.scratchDir(jobId);
  const manifests: TaskManifest[] = [];
  for (const t of tasks) {
    const local = join(scratch, `${tag}-${t.kind}-${t.index}.json`);
    await deps.blobs.getFile(t.outputKey, local);
    manifests.push(JSON.parse((await deps.blobs.readLocal(local)).toString('utf8')) as TaskManifest);
    await deps.blobs.discardLocal(local);
  }
  return manifests;
}

/** Publishes a ladder whose tasks are all done: checks, playlists, master last. */
export async function publishLadder(deps: AppDeps, job: AnalyzedJob): Promise<JobResult> {
  const tasks = await deps.ledger.listTasks(job.id);
  const scratch = await deps.blobs.scratchDir(job.id);
  const manifests = await readManifests(deps, job.id, tasks);
  const failures: string[] = [];
  const gathered = gather(manifests, failures);
  const ladder = ladderOf(job.options.profile);
  const order = ladder.rungs.map((r) => `v${r.height}`);
  const all = [...gathered.values()];
  const video = all
    .filter((g) => g.rendition.kind === 'video')
    .sort((a, b) => order.indexOf(a.rendition.name) - order.indexOf(b.rendition.name));
  const trackOf = (g: Gathered) => Number(g.rendition.name.slice(1));
  const audio = all.filter((g) => g.rendition.kind === 'audio').sort((a, b) => trackOf(a) - trackOf(b));
  job.analysis.audio.forEach((a, k) => {
    const g = audio[k];
    if (g && a.language && a.language !== 'und') g.rendition.language = a.language;
  });
  if (video.length !== ladder.rungs.length) failures.push(`${video.length} video renditions, expected ${ladder.rungs.length}`);
  const expectedSegments = tasks.filter((t) => t.kind === 'video').reduce((a, t) => a + (t.media?.starts.length ?? 0), 0);
  checkRenditions(
    job,
    video.map((g) => g.rendition),
    audio.map((g) => g.rendition),
    expectedSegments,
    failures,
  );
  const v = job.analysis.video;
  const top = video[0]?.rendition;
  const topSpan = top ? spanSeconds(top) : 0;
  const report: VerifyReport = {
    ok: failures.length === 0,
    method: 'segments',
    expectedFrames: v.frameTimes.length,
    frames: top ? top.segments.reduce((a, s) => a + s.frames, 0) : 0,
    expectedDuration: v.frameTimes[v.frameTimes.length - 1]! + v.lastFrameDuration - v.frameTimes[0]!,
    videoDuration: topSpan,
    ...(audio[0] ? { audioDuration: bitratesOf(audio[0].rendition).seconds } : {}),
    failures,
  };
  if (!report.ok)
    throw new VerifyError(
      `verification failed: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? ` (and ${failures.length - 5} more)` : ''}`,
      failures,
    );

  for (const g of [...video, ...audio]) {
    const local = join(scratch, `${g.rendition.name}-init.mp4`);
    await deps.blobs.getFile(g.initKey, local);
    await deps.blobs.commitOutput(local, ladderLocation(job.output, `${g.rendition.name}/init.mp4`));
    await writeOutputFile(deps, job, `${g.rendition.name}/index.m3u8`, mediaPlaylist(g.rendition));
  }
  const iframes: string[] = [];
  for (const g of video) {
    const entries = iframeEntries(g.rendition);
    if (!entries.length) continue;
    await writeOutputFile(deps, job, `${g.rendition.name}/${IFRAME_PLAYLIST}`, iframePlaylist(g.rendition, entries));
    iframes.push(iframeStreamInf(g.rendition, entries));
  }
  const periodStart = dashPeriodStart({ video: video.map((g) => g.rendition), timelineStart: ladder.timelineStart ?? 0 });
  const subs = await subtitles(deps, job, scratch, periodStart);
  for (const s of subs) await writeOutputFile(deps, job, `${s.name}/index.m3u8`, subtitlePlaylist(s));
  const frameRate = v.frameTimes.length / Math.max(1e-9, report.expectedDuration) || parseRate(v.avgFrameRate);
  const index: LadderIndex = {
    video: video.map((g) => g.rendition),
    audio: audio.map((g) => g.rendition),
    subtitles: subs,
    frameRate,
    timelineStart: ladder.timelineStart ?? 0,
  };
  if (ladder.dash) await writeOutputFile(deps, job, 'manifest.mpd', dashManifest(index));
  const master = masterPlaylist(index, iframes);
  const local = await deps.blobs.writeScratchFile(job.id, 'master.m3u8', master);
  await deps.blobs.commitOutput(local, job.output);
  const renditions = [
    ...index.video.map(renditionResult),
    ...index.audio.map(renditionResult),
    ...subs.map((s): RenditionResult => ({
      kind: 'subtitles',
      name: s.name,
      playlist: `${s.name}/index.m3u8`,
      segments: 1,
      bytes: s.bytes ?? 0,
      durationSeconds: s.durationSeconds,
      peakBitrate: 0,
      averageBitrate: 0,
      ...(s.language ? { language: s.language } : {}),
    })),
  ];
  return {
    frames: report.frames,
    videoDuration: report.videoDuration,
    ...(report.audioDuration !== undefined ? { audioDuration: report.audioDuration } : {}),
    sizeBytes: renditions.reduce((a, r) => a + r.bytes, 0),
    verify: report,
    renditions,
  };
}
