/**
 * The ffmpeg command lines of a ladder: one per task, decoding its frames once and encoding every rung from
 * them (split filter, one encoder per rung, an IDR forced at each media-segment start), each into a fragmented
 * MP4 with one fragment per keyframe; one per audio track; one per text subtitle track (WebVTT).
 */
import { AUDIO_ENCODERS } from './profile.js';
import {
  colorArgs,
  encodesTailFrame,
  forcedKeyframeArgs,
  inputArgs,
  isCurrentFfmpeg,
  segmentInputArgs,
  videoEncoderArgs,
  type SegmentEncodeInput,
} from './ffmpeg-args.js';
import { chooseOutputFormat, DEINTERLACE } from './output-format.js';
import { thumbnailOutputArgs } from './thumbnails.js';
import type { StreamInfo, EncodeProfile } from './types.js';

const BASE = ['-nostdin', '-hide_banner', '-nostats', '-v', 'error', '-y'];

/**
 * Fragmented MP4 whose moov holds no samples: the init segment, then one moof + mdat per fragment. Not `+cmaf`:
 * that writes signed composition offsets with the first sample's at 0, which ffmpeg's own mp4 reader then
 * shows the reorder delay late (it adds the largest negative offset to every pts), while browsers take the
 * offsets as written: the video would be 2 frames apart between the two. Positive offsets read the same
 * everywhere; the decode simply starts the reorder delay before the first frame is shown.
 */
export function fragmentFlags(): string[] {
  return ['-movflags', '+frag_keyframe+empty_moov+default_base_moof'];
}

/**
 * The VBV buffer fill a task after the first starts with. The encoders start a stream with the buffer 90% full,
 * so every task would begin with most of a buffer of extra bits that a one-pass encode has long spent: on a
 * capped rung that is a burst at every task start (20 s of noisy 720p, 3000k cap, 5 tasks: +12.7% bytes over a
 * one-pass encode, +0.19 dB). Half full, about where a capped stream's buffer runs: -2.3% bytes, +0.12 dB; a
 * fifth: -14%, -0.23 dB. Content under its cap keeps a full buffer either way.
 */
const CONTINUATION_VBV_INIT = 0.5;

export interface LadderRungOutput {
  width: number;
  height: number;
  maxrateKbps: number;
  outputPath: string;
}

export interface LadderEncodeInput extends Omit<SegmentEncodeInput, 'outputPath'> {
  rungs: LadderRungOutput[];
  /** First frame of each media segment, counted from the task's first frame (the first is 0). */
  segmentStarts: number[];
}

/**
 * One task of a ladder. The frames are read as a single-file segment's are (seek or pre-roll, kept by source
 * time, rebased to 0), split once per rung, scaled and encoded; every media-segment start is a forced IDR
 * (`-force_key_frames` by frame number, so no timestamp rounding can move it).
 */
export function buildLadderEncodeArgs(i: LadderEncodeInput): string[] {
  const format = chooseOutputFormat(i.analysis.video, i.profile);
  const n = i.rungs.length;
  const head = [i.read.trim, 'setpts=PTS-STARTPTS', ...(format.deinterlace ? [DEINTERLACE] : [])].filter((f) => f !== 'null').join(',');
  const graph = [`[0:${i.analysis.video.streamIndex}]${head},split=${n}${i.rungs.map((_, k) => `[s${k}]`).join('')}`];
  i.rungs.forEach((r, k) => {
    // Exactly the rung's size, with square pixels (the size rounds the aspect ratio, which scale would
    // otherwise keep in the SAR); full range kept full, as in a single-file encode (pictureFilters).
    const pictures = [
      `scale=w=${r.width}:h=${r.height}${format.fullRange ? ':in_range=pc:out_range=pc' : ''}`,
      'setsar=1',
      `format=${format.pixelFormat}`,
    ];
    graph.push(`[s${k}]${pictures.join(',')}[o${k}]`);
  });
  const current = isCurrentFfmpeg(i.avcodecMajor);
  const count = i.segment.frameCount;
  const tail = encodesTailFrame(i.read, i.profile.videoCodec, i.avcodecMajor);
  const later = i.segmentStarts.filter((f) => f > 0);
  // Every media-segment start (and a tail frame, dropped after encoding) is a forced IDR.
  const forced = forcedKeyframeArgs(tail ? [...later, count] : later);
  const enc = (): string[] => {
    const a = videoEncoderArgs(i.profile, format, i.threads, i.segment.startFrame > 0, tail ? count : undefined);
    // x265 writes its whole option string (threads, vbv-init) as an SEI into the stream headers, which ffmpeg
    // keeps in the init segment's hvcC: tasks would differ there, and a rendition needs one init for all.
    const x265 = a.indexOf('-x265-params');
    if (x265 >= 0) a[x265 + 1] = `${a[x265 + 1]}:info=0`;
    if (i.segment.startFrame === 0) return a;
    const key = i.profile.videoCodec === 'hevc' ? '-x265-params' : '-x264-params';
    const p = a.indexOf(key);
    if (p >= 0) a[p + 1] = `${a[p + 1]}:vbv-init=${CONTINUATION_VBV_INIT}`;
    else a.push(key, `vbv-init=${CONTINUATION_VBV_INIT}`);
    return a;
  };
  const outputs = i.rungs.flatMap((r, k) => [
    '-map',
    `[o${k}]`,
    '-frames:v',
    String(tail ? count + 1 : count),
    ...(current ? ['-enc_time_base', '-1'] : []),
    '-an',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    ...enc(),
    '-maxrate',
    `${r.maxrateKbps}k`,
    '-bufsize',
    `${r.maxrateKbps * 2}k`,
    // A forced keyframe is an IDR (x265 would make it a CRA, which a player cannot start a segment on).
    ...forced,
    ...(i.profile.videoCodec === 'hevc' ? ['-tag:v', 'hvc1'] : []),
    ...colorArgs(i.analysis, format),
    '-fflags',
    '+bitexact',
    ...fragmentFlags(),
    '-f',
    'mp4',
    r.outputPath,
  ]);
  // The thumbnails (core/thumbnails.ts) are one more output of the same decode, with its own filters.
  const thumbnails = i.thumbnails ? thumbnailOutputArgs(i.thumbnails, i.analysis.video.streamIndex, i.read.trim, format) : [];
  return [
    ...segmentInputArgs(i),
    '-filter_complex',
    graph.join(';'),
    '-vsync',
    'passthrough',
    '-progress',
    'pipe:1',
    ...outputs,
    ...thumbnails,
  ];
}

export interface LadderAudioInput {
  sourceLocation: string;
  audio: StreamInfo[];
  profile: EncodeProfile;
  segmentSeconds: number;
  /** One output per audio track, in the order of `audio`. */
  outputPaths: string[];
  /** Silence (s) before each track (LadderSpec.audioPads). */
  pads?: number[];
  avcodecMajor?: number;
}

/** The audio filter chain of one track: its pad of silence (adelay), Opus's channel layouts. */
function audioFilters(codec: 'aac' | 'opus', pad: number): string[] {
  const chain = [
    ...(pad > 0 ? [`adelay=delays=${Math.round(pad * 1000)}:all=1`] : []),
    ...(codec === 'opus' ? ['aformat=channel_layouts=7.1|5.1|stereo|mono'] : []),
  ];
  return chain.length ? ['-af', chain.join(',')] : [];
}

/** Every audio track encoded once, whole, each into its own fragmented MP4 (one fragment per media segment). */
export function buildLadderAudioArgs(i: LadderAudioInput): string[] {
  const codec = i.profile.audioCodec;
  if (codec !== 'aac' && codec !== 'opus') throw new Error(`buildLadderAudioArgs: audio codec ${codec} is not encoded`);
  const outputs = i.audio.flatMap((s, k) => [
    '-map',
    `0:${s.index}`,
    '-vn',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-c:a',
    AUDIO_ENCODERS[codec],
    '-b:a',
    `${i.profile.audioBitrateKbps}k`,
    ...audioFilters(codec, i.pads?.[k] ?? 0),
    '-frag_duration',
    String(Math.round(i.segmentSeconds * 1e6)),
    '-fflags',
    '+bitexact',
    ...fragmentFlags(),
    '-f',
    'mp4',
    i.outputPaths[k]!,
  ]);
  return [...BASE, '-threads', '1', ...inputArgs(i.sourceLocation), ...outputs];
}

/**
 * One text subtitle track as WebVTT, its cues counted from the container's start; publish-ladder.ts moves them
 * onto the renditions' and the DASH period's timelines (core/webvtt.ts).
 */
export function buildWebvttArgs(sourceLocation: string, stream: StreamInfo, outputPath: string): string[] {
  return [...BASE, ...inputArgs(sourceLocation), '-map', `0:${stream.index}`, '-c:s', 'webvtt', '-f', 'webvtt', outputPath];
}
