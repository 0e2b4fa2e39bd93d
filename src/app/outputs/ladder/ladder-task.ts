/**
 * One task of a ladder: its ffmpeg writes a fragmented MP4 per rung (or per audio track); each is split here
 * into the rendition's media segments (one or more fragments from a media-segment start to the next), their
 * decode times moved onto the ladder's timeline, and stored at their final names in the output folder. What the
 * task made (per rendition: the init's checksum and key, every segment's number, times, frames and bytes) is
 * its manifest, the task's output blob; the publish step builds the playlists from those manifests alone.
 *
 * Over 300 lines: a ladder task's encode (every rendition of one segment, and the audio), with the fMP4
 * retiming that puts each rendition's fragments on the ladder's timeline.
 */
import { basename, join } from 'node:path/posix';
import { SegmentCheckError } from '../../../core/errors.js';
import { Fmp4Error, readInit, rebuildFragment, splitFragments, type FragmentInfo, type InitInfo, type Sample } from '../../../core/fmp4.js';
import { keyframeRanges } from '../../../core/iframe-playlist.js';
import { buildLadderAudioArgs, buildLadderEncodeArgs } from '../../../core/ladder-args.js';
import {
  audioPriming,
  audioStart,
  audioRenditionName,
  ladderLocation,
  mediaSegmentName,
  rungSize,
  videoRenditionName,
} from '../../../core/ladder.js';
import type { CutMethod } from '../../../core/cut-policy.js';
import type { MediaSegmentEntry, RenditionIndex } from '../../../core/playlists.js';
import { ladderOf } from '../../../core/job-head.js';
import type { TaskRecord } from '../../../core/types.js';
import type { ToolRunResult } from '../../../ports/media-tool.js';
import { runFfmpeg } from '../../ffmpeg-run.js';
import type { TaskEncodeContext } from '../output-kind.js';
import { segmentEncodeInput } from '../segment-input.js';

/** What one task made in one rendition. */
export type TaskRendition = Omit<RenditionIndex, 'init' | 'language'> & {
  /** Blob key of this task's init segment, and its sha256 (every task's must be the same). */
  initKey: string;
  initChecksum: string;
};

export interface TaskManifest {
  task: string;
  renditions: TaskRendition[];
}

/** A ladder task's attempt, as encode-task.ts prepared it. */
export type LadderTaskContext = TaskEncodeContext;

export interface LadderTaskOutput {
  args: string[];
  run: ToolRunResult;
  cpuSeconds: number;
  /** The manifest, to be stored at the task's output key. */
  manifestPath: string;
}

/** The task's ffmpeg run, with its signal and progress (app/ffmpeg-run.ts). */
function runTaskFfmpeg(c: LadderTaskContext, args: string[], what: string): Promise<ToolRunResult> {
  const opts = { ...(c.signal ? { signal: c.signal } : {}), ...(c.onStdoutLine ? { onStdoutLine: c.onStdoutLine } : {}) };
  return runFfmpeg(c.deps, what, args, opts, c.task.key);
}

/** The task's file-name stem (`v00003` of `<jobId>/v00003.json`): its scratch files and init blob are named after it. */
const stemOf = (task: TaskRecord) => basename(task.outputKey).replace(/\.json$/, '');

/** A fragment as it is written out: its samples and its decode time on the ladder's timeline. */
type Timed = Map<FragmentInfo, { samples: Sample[]; base: number }>;

/**
 * The video's decode times, set anew (core/ladder.ts ladderTimeline): the i-th sample decoded gets the i-th
 * presentation time less the lead; its duration runs to the next one's, and the last one's to where the next
 * task's first frame is (`spanTicks` after the first), so the decode times of the tasks join exactly whatever
 * the encoder's reorder delay and the source's frame intervals there. Presentation times are the encoder's,
 * moved so the task's first frame is at `at`.
 */
export function retimeVideo(fragments: FragmentInfo[], at: number, lead: number, spanTicks: number): Timed {
  const per = fragments.map((f) => f.samples);
  const pts: number[] = [];
  fragments.forEach((f, k) => {
    let dts = f.baseDecodeTime;
    for (const s of per[k]!) {
      pts.push(dts + s.cts);
      dts += s.duration;
    }
  });
  // Two frames at one time (a source whose timestamps collide, which ffmpeg decodes and encodes as they are)
  // would give a decode time no length: the one decoded later is shown a tick later, as ffmpeg's muxer moves
  // a decode time that does not advance.
  const order = pts.map((_, i) => i).sort((x, y) => pts[x]! - pts[y]! || x - y);
  for (let k = 1; k < order.length; k++) {
    const prev = pts[order[k - 1]!]!;
    if (pts[order[k]!]! <= prev) pts[order[k]!] = prev + 1;
  }
  const sorted = order.map((i) => pts[i]!);
  const p0 = sorted[0]!;
  const dts = (i: number) => (i < sorted.length ? at - lead + sorted[i]! - p0 : at - lead + spanTicks);
  const out: Timed = new Map();
  let i = 0;
  fragments.forEach((f, k) => {
    const base = dts(i);
    const samples = per[k]!.map((s) => {
      const d = dts(i);
      const next = { ...s, duration: dts(i + 1) - d, cts: at + pts[i]! - p0 - d };
      if (next.duration <= 0) throw new Fmp4Error(`sample ${i} of the task would last ${next.duration} ticks`);
      i++;
      return next;
    });
    out.set(f, { samples, base });
  });
  return out;
}

/** Decode times moved by `shift` ticks, samples as they are (the audio). */
function shifted(fragments: FragmentInfo[], shift: number): Timed {
  return new Map(fragments.map((f) => [f, { samples: f.samples, base: f.baseDecodeTime + shift }]));
}

/**
 * Writes each group of fragments as one media segment at its final name in the output folder, and the init
 * part as a blob of the job.
 */
async function publishGroups(
  c: LadderTaskContext,
  name: string,
  kind: 'video' | 'audio',
  buf: Buffer,
  init: InitInfo,
  initEnd: number,
  groups: Array<{ number: number; fragments: FragmentInfo[] }>,
  timed: Timed,
): Promise<TaskRendition> {
  const segments: MediaSegmentEntry[] = [];
  for (const g of groups) {
    // Sequence numbers increase through the rendition: a segment's fragments are numbered after its number.
    const parts = g.fragments.map((f, k) =>
      rebuildFragment(buf, f, init, timed.get(f)!.samples, timed.get(f)!.base, g.number * 1000 + k + 1),
    );
    const bytes = Buffer.concat(parts);
    const local = await c.deps.blobs.writeScratchFile(c.job.id, `${stemOf(c.task)}.${name}.${g.number}.m4s`, bytes);
    const file = mediaSegmentName(g.number);
    await c.deps.blobs.commitOutput(local, ladderLocation(c.job.output, `${name}/${file}`));
    const samples = g.fragments.flatMap((f) => timed.get(f)!.samples);
    segments.push({
      number: g.number,
      file,
      start: timed.get(g.fragments[0]!)!.base,
      duration: samples.reduce((a, x) => a + x.duration, 0),
      bytes: bytes.length,
      frames: samples.length,
      ...(kind === 'video' ? { keyframes: keyframeRanges(bytes, init) } : {}),
    });
  }
  const initLocal = await c.deps.blobs.writeScratchFile(c.job.id, `${stemOf(c.task)}.${name}.init.mp4`, buf.subarray(0, initEnd));
  const initKey = `${c.job.id}/init/${name}-${stemOf(c.task)}.mp4`;
  const stored = await c.deps.blobs.putFile(initKey, initLocal);
  return {
    name,
    kind,
    timescale: init.timescale,
    codecs: init.codecs,
    ...(init.width !== undefined ? { width: init.width, height: init.height! } : {}),
    ...(init.channels !== undefined ? { channels: init.channels, sampleRate: init.sampleRate! } : {}),
    initKey,
    initChecksum: stored.checksum,
    segments,
  };
}

/** Reads and checks a video segment's fragments before anything is stored; throws SegmentCheckError. */
function groupVideo(c: LadderTaskContext, name: string, fragments: FragmentInfo[]): Array<{ number: number; fragments: FragmentInfo[] }> {
  const media = c.task.media!;
  const startAt = new Map(media.starts.map((s, i) => [s, media.first + i]));
  const groups: Array<{ number: number; fragments: FragmentInfo[] }> = [];
  let sample = 0;
  for (const f of fragments) {
    const number = startAt.get(sample);
    if (number !== undefined) {
      if (!f.firstIsSync)
        throw new SegmentCheckError(
          `${name} of segment ${c.task.index}: media segment ${number + 1} does not start on a keyframe`,
          c.task.key,
        );
      groups.push({ number, fragments: [f] });
    } else if (groups.length === 0) {
      throw new SegmentCheckError(`${name} of segment ${c.task.index}: its first fragment is not a media-segment start`, c.task.key);
    } else {
      groups[groups.length - 1]!.fragments.push(f);
    }
    sample += f.samples.length;
  }
  if (sample !== c.task.frameCount)
    throw new SegmentCheckError(
      `${name} of segment ${c.task.index} has ${sample} frames, expected ${c.task.frameCount}`,
      c.task.key,
      'count',
    );
  if (groups.length !== media.starts.length) {
    throw new SegmentCheckError(
      `${name} of segment ${c.task.index}: ${groups.length} media segments start on a keyframe, expected ${media.starts.length} (a forced keyframe is missing)`,
      c.task.key,
    );
  }
  return groups;
}

/** A video task: every rung from one decode; its media segments stored, its manifest written. */
export async function encodeLadderSegment(c: LadderTaskContext, method: CutMethod | undefined): Promise<LadderTaskOutput> {
  const { job, task } = c;
  const analysis = job.analysis;
  const ladder = ladderOf(job.options.profile);
  const stem = stemOf(task);
  const rungs = ladder.rungs.map((r) => ({
    ...rungSize(analysis.video, r.height),
    maxrateKbps: r.maxrateKbps,
    name: videoRenditionName(r.height),
    outputPath: join(c.scratch, `${stem}.${videoRenditionName(r.height)}.partial.mp4`),
  }));
  const args = buildLadderEncodeArgs({ ...segmentEncodeInput(c, c.read!, method), rungs, segmentStarts: task.media!.starts });
  c.setArgs(args);
  // Checked from the boxes (every sample counted, every segment start a sync sample), not by decoding each
  // rung again: the decode check of a single file's segment would cost a decode per rung (bbb's three rungs:
  // 1.6 CPU s of the ladder's 41) to find what the sample count finds.
  const run = await runTaskFfmpeg(c, args, `segment ${task.index}`);
  const cpu = run.cpuSeconds;
  const base = ladderOf(job.options.profile).timelineStart ?? 0;
  const split = await Promise.all(
    rungs.map(async (r) => {
      const buf = await c.deps.blobs.readLocal(r.outputPath);
      const init = readInit(buf);
      const { initEnd, fragments } = splitFragments(buf, init);
      return { r, buf, init, initEnd, fragments, groups: groupVideo(c, r.name, fragments) };
    }),
  );
  const renditions: TaskRendition[] = [];
  for (const s of split) {
    // The task's first frame at its time on the ladder's timeline; the decode times set anew from there.
    const ts = s.init.timescale;
    const at = Math.round((task.startTime - analysis.startTime + base) * ts);
    const lead = Math.round((ladderOf(job.options.profile).decodeLead ?? 0) * ts);
    const span = Math.round((task.endTime - analysis.startTime + base) * ts) - at;
    renditions.push({
      ...(await publishGroups(c, s.r.name, 'video', s.buf, s.init, s.initEnd, s.groups, retimeVideo(s.fragments, at, lead, span))),
      presentationOffset: lead,
    });
  }
  await Promise.all(rungs.map((r) => c.deps.blobs.discardLocal(r.outputPath)));
  const manifestPath = await c.deps.blobs.writeScratchFile(
    job.id,
    `${stem}.manifest.json`,
    JSON.stringify({ task: task.key, renditions } satisfies TaskManifest),
  );
  return { args, run, cpuSeconds: cpu, manifestPath };
}

/** The audio task: every track encoded once, whole, into its own rendition; one fragment per media segment. */
export async function encodeLadderAudio(c: LadderTaskContext): Promise<LadderTaskOutput> {
  const { job, task } = c;
  const analysis = job.analysis;
  const profile = job.options.profile;
  const stem = stemOf(task);
  const outputs = analysis.audio.map((_, k) => join(c.scratch, `${stem}.${audioRenditionName(k)}.partial.mp4`));
  const args = buildLadderAudioArgs({
    sourceLocation: c.source,
    audio: analysis.audio,
    profile,
    segmentSeconds: ladderOf(profile).segmentSeconds,
    outputPaths: outputs,
    ...(ladderOf(profile).audioPads ? { pads: ladderOf(profile).audioPads } : {}),
    avcodecMajor: c.avcodecMajor,
  });
  c.setArgs(args);
  const run = await runTaskFfmpeg(c, args, 'the audio track');
  const base = ladderOf(profile).timelineStart ?? 0;
  const renditions: TaskRendition[] = [];
  for (const [k, track] of analysis.audio.entries()) {
    const buf = await c.deps.blobs.readLocal(outputs[k]!);
    const init = readInit(buf);
    const { initEnd, fragments } = splitFragments(buf, init);
    if (fragments.length === 0) throw new SegmentCheckError(`audio track ${k + 1} has no audio`, task.key);
    // The first packet is the encoder's priming, which ffmpeg put at 0: it plays that long before the track's start
    // (its pad of silence included).
    const start = audioStart(analysis, track, ladderOf(profile).audioPads?.[k]);
    const at = Math.round((start - audioPriming(profile.audioCodec, init.sampleRate ?? track.sampleRate ?? 48000) + base) * init.timescale);
    const groups = fragments.map((f, i) => ({ number: i, fragments: [f] }));
    renditions.push(
      await publishGroups(
        c,
        audioRenditionName(k),
        'audio',
        buf,
        init,
        initEnd,
        groups,
        shifted(fragments, at - fragments[0]!.baseDecodeTime),
      ),
    );
  }
  await Promise.all(outputs.map((o) => c.deps.blobs.discardLocal(o)));
  const manifestPath = await c.deps.blobs.writeScratchFile(
    job.id,
    `${stem}.manifest.json`,
    JSON.stringify({ task: task.key, renditions } satisfies TaskManifest),
  );
  return { args, run, cpuSeconds: run.cpuSeconds, manifestPath };
}
