/**
 * An adaptive-streaming ladder: which renditions (rungs), their bitrate caps, where the media segments start,
 * and how the segments are grouped into tasks. Pure: the analysis and the options in, data out.
 *
 * Every rendition is cut at the same frames: a media segment starts at the first frame at or after
 * k × segmentSeconds of the source's timeline, and every rendition forces an IDR there, so a player switches
 * between them at any segment with no glitch. A task (one ffmpeg, one decode, one encoder per rung) makes a run
 * of whole media segments, so the encoded pieces *are* the HLS/DASH media segments: nothing is remuxed after.
 */
import { headFirstBounds } from './early-publish.js';
import { UsageError } from './errors.js';
import type {
  EncodeProfile,
  MediaAnalysis,
  LadderRung,
  LadderSpec,
  PlannedSegment,
  SegmentPlan,
  TaskMediaSegments,
  VideoHead,
} from './types.js';

/**
 * Built-in rungs (short side, px) and their caps (kb/s, `-maxrate`; `-bufsize` is twice it): about Apple's HLS
 * authoring figures for H.264 at up to 30 fps. HEVC gets 60% of them. The CRF stays the profile's: a cap only
 * bounds the peaks of hard scenes ("capped CRF"), so easy content stays small.
 */
export const STANDARD_RUNGS: ReadonlyArray<{ height: number; maxrateKbps: number }> = [
  { height: 2160, maxrateKbps: 16000 },
  { height: 1440, maxrateKbps: 10000 },
  { height: 1080, maxrateKbps: 6000 },
  { height: 720, maxrateKbps: 3000 },
  { height: 480, maxrateKbps: 1500 },
  { height: 360, maxrateKbps: 800 },
];

/** Default media-segment duration (s): Apple's recommendation for VOD. */
export const DEFAULT_MEDIA_SEGMENT_SECONDS = 4;

/** Codecs a ladder is made with (fMP4/CMAF renditions that browsers and Apple devices play). */
export const LADDER_CODECS = ['h264', 'hevc'] as const;

/** The built-in cap for a rung height: the table's, interpolated between its rows, scaled by area above it. */
export function defaultCapKbps(height: number, codec: string): number {
  const t = STANDARD_RUNGS;
  let kbps: number;
  const exact = t.find((r) => r.height === height);
  if (exact) kbps = exact.maxrateKbps;
  else if (height > t[0]!.height) kbps = t[0]!.maxrateKbps * (height / t[0]!.height) ** 2;
  else if (height < t[t.length - 1]!.height) kbps = t[t.length - 1]!.maxrateKbps * (height / t[t.length - 1]!.height) ** 2;
  else {
    const hi = t.filter((r) => r.height > height).pop()!;
    const lo = t.find((r) => r.height < height)!;
    kbps = lo.maxrateKbps + ((hi.maxrateKbps - lo.maxrateKbps) * (height - lo.height)) / (hi.height - lo.height);
  }
  return Math.round(codec === 'hevc' ? kbps * 0.6 : kbps);
}

function parseKbps(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text);
  if (!m) throw new UsageError(`${what}: bitrate "${text}" must be like 3000k or 3M`);
  const n = Number(m[1]) * (m[2]!.toLowerCase() === 'm' ? 1000 : 1);
  if (n < 50 || n > 200000) throw new UsageError(`${what}: bitrate ${text} must be from 50k to 200M`);
  return Math.round(n);
}

/**
 * `--ladder 1080,720:3000k,480` → rungs, highest first. A rung without a bitrate gets the built-in cap.
 * Undefined text: no rungs requested (the default ladder is made at analysis, from the source).
 */
export function parseLadderRungs(text: string | undefined, codec: string): LadderRung[] | undefined {
  if (text === undefined) return undefined;
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new UsageError('--ladder must list rendition heights, e.g. 1080,720,480');
  const rungs = parts.map((p) => {
    const m = /^(\d+)(?::(.+))?$/.exec(p);
    if (!m) throw new UsageError(`--ladder: "${p}" must be a height, or height:bitrate (e.g. 720:3000k)`);
    const height = Number(m[1]);
    if (height < 64 || height > 4320 || height % 2 !== 0)
      throw new UsageError(`--ladder: height ${height} must be an even number from 64 to 4320`);
    return { height, maxrateKbps: m[2] !== undefined ? parseKbps(m[2], '--ladder') : defaultCapKbps(height, codec) };
  });
  const seen = new Set<number>();
  for (const r of rungs) {
    if (seen.has(r.height)) throw new UsageError(`--ladder lists height ${r.height} twice`);
    seen.add(r.height);
  }
  return rungs.sort((a, b) => b.height - a.height);
}

/** The displayed size of the video (rotation applied, as ffmpeg's decoder autorotates). */
export function displaySize(video: Pick<VideoHead, 'width' | 'height' | 'rotation'>): { width: number; height: number } {
  return video.rotation % 180 === 0 ? { width: video.width, height: video.height } : { width: video.height, height: video.width };
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** A rung's picture size: its height on the short side, the other side keeping the aspect ratio, both even. */
export function rungSize(video: Pick<VideoHead, 'width' | 'height' | 'rotation'>, rungHeight: number): { width: number; height: number } {
  const d = displaySize(video);
  if (d.width >= d.height) return { width: even((d.width * rungHeight) / d.height), height: rungHeight };
  return { width: rungHeight, height: even((d.height * rungHeight) / d.width) };
}

/**
 * The rungs a job is made with: the requested ones no larger than the source (never upscaled), or by default
 * the source's own size and the standard rungs below it. `dropped` lists requested heights above the source.
 */
export function resolveRungs(
  spec: LadderSpec,
  video: Pick<VideoHead, 'width' | 'height' | 'rotation'>,
  codec: string,
): { rungs: LadderRung[]; dropped: number[] } {
  const d = displaySize(video);
  const short = Math.min(d.width, d.height) - (Math.min(d.width, d.height) % 2);
  if (spec.rungs.length > 0) {
    const rungs = spec.rungs.filter((r) => r.height <= short);
    const dropped = spec.rungs.filter((r) => r.height > short).map((r) => r.height);
    if (rungs.length === 0)
      throw new UsageError(
        `--ladder: every rung (${spec.rungs.map((r) => r.height).join(', ')}) is larger than the source (${d.width}x${d.height}); renditions are never upscaled`,
      );
    return { rungs, dropped };
  }
  const below = STANDARD_RUNGS.filter((r) => r.height < short).map((r) => ({
    height: r.height,
    maxrateKbps: defaultCapKbps(r.height, codec),
  }));
  return { rungs: [{ height: short, maxrateKbps: defaultCapKbps(short, codec) }, ...below], dropped: [] };
}

/**
 * Frame indices where the media segments start: 0, then the first frame at or after each k × segmentSeconds
 * from the first frame (a gap in the timestamps longer than a segment gives no empty segment).
 */
export function mediaSegmentStarts(frameTimes: readonly number[], segmentSeconds: number): number[] {
  const starts = [0];
  const t0 = frameTimes[0]!;
  let k = 1;
  for (let i = 1; i < frameTimes.length; i++) {
    // A microsecond of slack: ffprobe prints times rounded to it.
    if (frameTimes[i]! - t0 >= k * segmentSeconds - 1e-6) {
      starts.push(i);
      while (frameTimes[i]! - t0 >= k * segmentSeconds - 1e-6) k++;
    }
  }
  return starts;
}

export interface LadderPlanInput {
  frameTimes: readonly number[];
  keyframeIndices: readonly number[];
  lastFrameDuration: number;
  /** Media-segment starts (mediaSegmentStarts). */
  starts: readonly number[];
  segmentSeconds: number;
  /** Task target length (s). */
  targetSeconds: number;
  workers?: number;
  /** `--publish-early`: tasks growing from one media segment (headFirstBounds), encoded in timeline order. */
  headFirst?: boolean;
}

/**
 * Tasks made of whole media segments: at most targetSeconds each (at least one media segment), the segments shared
 * out evenly; never fewer tasks than workers while there are segments enough. Longest first (or head first).
 */
export function planLadderTasks(input: LadderPlanInput): { plan: SegmentPlan; media: TaskMediaSegments[] } {
  const { frameTimes: times, starts } = input;
  const total = times.length;
  const m = starts.length;
  // Never longer than the target (a time-limited one on AWS), except where one media segment is.
  const per = Math.max(1, Math.floor(input.targetSeconds / input.segmentSeconds + 1e-9));
  let n = Math.max(1, Math.round(m / per));
  if (input.workers !== undefined) n = Math.max(n, Math.min(m, Math.floor(input.workers)));
  const keySet = new Set(input.keyframeIndices);
  const endOfAll = times[total - 1]! + input.lastFrameDuration;
  const segments: PlannedSegment[] = [];
  const media: TaskMediaSegments[] = [];
  const bounds = input.headFirst ? headFirstBounds(m, per) : Array.from({ length: n + 1 }, (_, i) => Math.floor((i * m) / n));
  for (let i = 0; i + 1 < bounds.length; i++) {
    const a = bounds[i]!;
    const b = bounds[i + 1]!;
    const startFrame = starts[a]!;
    const next = b < m ? starts[b]! : total;
    segments.push({
      index: i,
      startFrame,
      frameCount: next - startFrame,
      startTime: times[startFrame]!,
      endTime: next < total ? times[next]! : endOfAll,
      startsOnKeyframe: startFrame === 0 || keySet.has(startFrame),
    });
    media.push({ first: a, starts: starts.slice(a, b).map((s) => s - startFrame) });
  }
  const encodeOrder = segments
    .map((s) => s.index)
    .sort((x, y) => {
      const dx = segments[x]!.endTime - segments[x]!.startTime;
      const dy = segments[y]!.endTime - segments[y]!.startTime;
      return input.headFirst ? x - y : dy - dx || x - y;
    });
  return { plan: { segments, targetSeconds: per * input.segmentSeconds, totalFrames: total, encodeOrder }, media };
}

/**
 * How much more a ladder task encodes than the source's size alone: the rungs' pixels over the source's (1 for
 * a single file; at least 1). The segment-length calibration times an encode at the source's size.
 */
export function ladderWorkFactor(analysis: MediaAnalysis, profile: EncodeProfile): number {
  if (!profile.ladder) return 1;
  const v = analysis.video;
  const rungs = profile.ladder.rungs.length ? profile.ladder.rungs : resolveRungs(profile.ladder, v, profile.videoCodec).rungs;
  const pixels = rungs.reduce((a, r) => {
    const s = rungSize(v, r.height);
    return a + s.width * s.height;
  }, 0);
  return Math.max(1, pixels / (v.width * v.height));
}

/** Encoder priming (samples) ffmpeg's encoders put before the first real sample. */
export function audioPriming(codec: EncodeProfile['audioCodec'], sampleRate: number): number {
  if (codec === 'aac') return 1024 / sampleRate;
  if (codec === 'opus') return 312 / 48000;
  return 0;
}

/**
 * How many places a frame may be decoded after it would be in presentation order, at most (x264's default
 * B-frames reorder by 2, x265's by up to 3).
 */
const REORDER_FRAMES = 4;

/**
 * The ladder's timeline (LadderSpec.timelineStart, decodeLead), fixed at planning.
 *
 * A fragmented MP4 has no negative times and here no edit list, and both the video and the audio begin with
 * samples before their first one shown. The video's decode times are set by shardcast (ladder-task.ts): the
 * i-th sample decoded gets the i-th presentation time less `decodeLead`, so the durations are the frame
 * intervals, every composition offset is positive (every reader takes those alike; ffmpeg's mp4 reader shows
 * signed ones a reorder delay late, browsers do not) and the decode times run on from one task to the next
 * with no gap or overlap. That needs the lead to cover REORDER_FRAMES frame intervals anywhere in the source
 * (4 frames for a CFR source; more where a VFR source holds frames long). The audio encoders' priming plays
 * before the track's first sample. Every rendition is moved later by `timelineStart`, enough for both, so each
 * keeps the source's relative timing exactly.
 */
export function ladderTimeline(
  analysis: MediaAnalysis,
  profile: EncodeProfile,
): { timelineStart: number; decodeLead: number; audioPads: number[] } {
  const t = analysis.video.frameTimes;
  // A source of no more frames than that: its whole span.
  let lead = t.length > REORDER_FRAMES ? 0 : t[t.length - 1]! + analysis.video.lastFrameDuration - t[0]!;
  for (let i = 0; i + REORDER_FRAMES < t.length; i++) lead = Math.max(lead, t[i + REORDER_FRAMES]! - t[i]!);
  let base = lead;
  const audioPads = analysis.audio.map((a) => audioPad(analysis, a));
  if (profile.audioCodec === 'aac' || profile.audioCodec === 'opus') {
    analysis.audio.forEach((a, k) => {
      const start = audioStart(analysis, a, audioPads[k]);
      base = Math.max(base, audioPriming(profile.audioCodec, a.sampleRate ?? 48000) - start);
    });
  }
  return { timelineStart: Number(base.toFixed(6)), decodeLead: Number(lead.toFixed(6)), audioPads };
}

/**
 * The silence (s, to the millisecond) put before an audio track that begins after the video's first frame: a
 * rendition beginning later than the video is a hole at the start, which players do not all start over (dash.js
 * stalled now and then on the corpus MKV's AC3, 62 ms late).
 */
function audioPad(analysis: MediaAnalysis, a: { startTime?: number }): number {
  const first = analysis.video.frameTimes[0] ?? analysis.startTime;
  const late = (a.startTime ?? analysis.startTime) - first;
  return late >= 0.001 ? Number(late.toFixed(3)) : 0;
}

/** Where a track's first sample (after its pad) is, counted from the container's start (s). */
export function audioStart(analysis: Pick<MediaAnalysis, 'startTime'>, a: { startTime?: number }, pad = 0): number {
  return (a.startTime ?? analysis.startTime) - analysis.startTime - pad;
}

/** Folder names of the renditions in the output. */
export const videoRenditionName = (height: number) => `v${height}`;
export const audioRenditionName = (track: number) => `a${track}`;
export const subtitleRenditionName = (track: number) => `s${track}`;
export const mediaSegmentName = (number: number) => `seg_${String(number + 1).padStart(5, '0')}.m4s`;

/** A file of the ladder's output folder (the folder of its master playlist, local or s3://), by relative path. */
export function ladderLocation(output: string, relative: string): string {
  return output.slice(0, output.lastIndexOf('/') + 1) + relative;
}

/** Whether an output path or URI names a ladder (an HLS master playlist). */
export function isLadderOutput(output: string): boolean {
  return /\.m3u8$/i.test(output);
}
