/**
 * The ffmpeg command lines that encode (a segment, the audio track) and how every command names its input,
 * built by pure functions that return argument arrays. The read-only ones (probe, scans, checks) are in
 * probe-args.ts, where a segment's read starts in cut-policy.ts. Nothing here runs a process; `MediaTool` does.
 * User text (paths) only ever appears as a whole argument.
 *
 * Over 300 lines: a segment's encode, a quality probe's and the audio's share the input, filter and encoder
 * helpers here, and the scoring of a probe (segment-score.ts) reads the source through the same filters.
 */
import { audioIntermediateExt, AUDIO_ENCODERS, codecTuningArgs, presetArgs, VIDEO_ENCODERS } from './profile.js';
import { chooseOutputFormat, DEINTERLACE, hdrEncoderParams, type OutputFormat } from './output-format.js';
import { cutMethodFor, type CutMethod } from './cut-policy.js';
import { sampledFrames, type ProbeSample } from './crf-search.js';
import { thumbnailOutputArgs, type ThumbnailOutputs } from './thumbnails.js';
import type { AnalysisHead, EncodeProfile, PlannedSegment, SegmentRead, StreamInfo } from './types.js';

export const BASE = ['-nostdin', '-hide_banner', '-nostats', '-v', 'error', '-y'];

/**
 * Whether the ffmpeg that runs a command is 5.x or newer (libavcodec 59; 0 = unknown, taken as current). The
 * npm-shipped 4.1 build loses a frame with `-enc_time_base -1` and has no `setts` bitstream filter.
 */
export function isCurrentFfmpeg(avcodecMajor: number | undefined): boolean {
  const major = avcodecMajor ?? 0;
  return major === 0 || major >= 59;
}

/** Input paths that start with '-' would be read as options; a `file:` prefix makes any path literal. */
export function literalInput(location: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : `file:${location}`;
}

/**
 * Options for reading `location` (they go before it): an http(s) input (a presigned S3 URL) reconnects after a
 * dropped connection or a 5xx instead of ending the read early, up to 10 s between tries. Without them a
 * connection cut mid-read ended ffmpeg's input as if the file ended there.
 */
export function inputOptions(location: string): string[] {
  if (!/^https?:\/\//i.test(location)) return [];
  return ['-reconnect', '1', '-reconnect_on_network_error', '1', '-reconnect_on_http_error', '5xx', '-reconnect_delay_max', '10'];
}

/** `-i` and the input, with its read options before (ffmpeg). */
export function inputArgs(location: string): string[] {
  return [...inputOptions(location), '-i', literalInput(location)];
}

/** The input with its read options before (ffprobe, whose input is positional). */
export function probeInput(location: string): string[] {
  return [...inputOptions(location), literalInput(location)];
}

/**
 * The picture filters after the timestamp rebase: the resize, and the conversion to the output's pixel format.
 * A full-range source is converted full to full (`in_range`/`out_range`): without them swscale squeezes the
 * values into limited range while the tags still say full (a washed-out picture).
 */
export function pictureFilters(profile: EncodeProfile, format: OutputFormat): string[] {
  const { width, height, maxHeight } = profile;
  const size =
    width && height
      ? [`w=${width}`, `h=${height}`, 'force_original_aspect_ratio=decrease', 'force_divisible_by=2']
      : height
        ? ['w=-2', `h=${height}`]
        : width
          ? [`w=${width}`, 'h=-2']
          : maxHeight
            ? // Down only: a shorter source keeps its height (made even, as the encoders need).
              ['w=-2', `h='min(${maxHeight},trunc(ih/2)*2)'`]
            : [];
  const range = format.fullRange ? ['in_range=pc', 'out_range=pc'] : [];
  const f: string[] = format.deinterlace ? [DEINTERLACE] : [];
  if (size.length || range.length) f.push(`scale=${[...size, ...range].join(':')}`);
  f.push(`format=${format.pixelFormat}`);
  return f;
}

export function colorArgs(analysis: AnalysisHead, format: OutputFormat): string[] {
  const c = analysis.video.color;
  const a: string[] = [];
  if (c.primaries) a.push('-color_primaries', c.primaries);
  if (c.transfer) a.push('-color_trc', c.transfer);
  if (c.space) a.push('-colorspace', c.space);
  if (format.fullRange) a.push('-color_range', 'pc');
  else if (c.range) a.push('-color_range', c.range);
  return a;
}

/**
 * x264 codes the first frame of a stream "cold": without the ipratio (1.4) boost a keyframe mid-stream gets
 * over the P frames around it, about 2.9 QP worse. One segment start is the stream's start, so every later
 * segment began with a worse keyframe that its low-motion frames then copied for the whole segment (measured on
 * real_640x360: 0.3-0.8 dB lost per segment; per-frame stats with this zone equal a one-pass encode's at the
 * same frame: q 26.10 against 29.01). The zone scales that first frame's quantizer by the same 1.4.
 */
const X264_WARM_START = 'zones=0,0,b=1.4';

/**
 * Whether an encode of `frameCount` frames also encodes the read's tail frame (`SegmentRead.tailFrame`) and
 * drops it: x264 (libx264 learns a frame's duration only from the next frame's timestamp, and weighs frames by
 * it) on ffmpeg 5 or newer (the `noise` bitstream filter's `drop` expression). Other encoders here take no
 * durations from timestamps (libvpx is given one frame's duration for every frame), so the tail would cost a
 * frame's encode for nothing.
 *
 * The tail frame is forced to an IDR: x264 closes the GOP before it, so no kept frame refers to it, and it is
 * the last packet in decode order, where the bitstream filter drops it before the muxer sees it.
 */
export function encodesTailFrame(read: Pick<SegmentRead, 'tailFrame'>, codec: EncodeProfile['videoCodec'], avcodecMajor?: number): boolean {
  return read.tailFrame === true && codec === 'h264' && isCurrentFfmpeg(avcodecMajor);
}

/**
 * @param continuation the segment does not start the stream: its first keyframe is coded as a mid-stream one,
 *   and (H.264) the encoder's info SEI, already in the first segment, is not repeated (706 bytes each).
 * @param keepPackets with a tail frame (`encodesTailFrame`): the packets kept; the rest (the tail's) are dropped.
 */
export function videoEncoderArgs(
  profile: EncodeProfile,
  format: OutputFormat,
  threads: number,
  continuation = false,
  keepPackets?: number,
): string[] {
  const enc = VIDEO_ENCODERS[profile.videoCodec];
  const a = [
    '-c:v',
    enc,
    ...presetArgs(profile.videoCodec, profile.preset),
    '-crf',
    String(profile.crf),
    '-pix_fmt',
    format.pixelFormat,
    ...codecTuningArgs(profile.videoCodec),
  ];
  const hdr = hdrEncoderParams(profile.videoCodec, format.hdr);
  const bsf: string[] = [];
  switch (profile.videoCodec) {
    case 'h264':
      a.push('-threads', String(threads));
      if (continuation) {
        a.push('-x264-params', X264_WARM_START);
        bsf.push('filter_units=remove_types=6');
      }
      break;
    case 'hevc':
      a.push('-x265-params', ['log-level=error', `pools=${threads}`, ...hdr].join(':'));
      break;
    case 'vp9':
      a.push('-threads', String(threads));
      if (threads > 1) a.push('-row-mt', '1');
      break;
    case 'av1':
      a.push('-svtav1-params', [`lp=${threads}`, ...hdr].join(':'));
      break;
  }
  if (keepPackets !== undefined) bsf.push(`noise=drop=gte(n\\,${keepPackets})`);
  if (bsf.length) a.push('-bsf:v', bsf.join(','));
  return a;
}

/** `-force_key_frames` for frames by number (counted from the encode's first), as an IDR. */
export function forcedKeyframeArgs(frames: number[]): string[] {
  return frames.length ? ['-force_key_frames', `expr:${frames.map((f) => `eq(n,${f})`).join('+')}`, '-forced-idr', '1'] : [];
}

export interface SegmentEncodeInput {
  sourceLocation: string;
  /** The analysis; its frame list is not read (the read window is in `read`). */
  analysis: AnalysisHead;
  segment: Pick<PlannedSegment, 'startFrame' | 'frameCount'>;
  /** The segment's read window (segmentReadOf). */
  read: SegmentRead;
  profile: EncodeProfile;
  /** Encoder threads. */
  threads: number;
  /** Decoder threads (default: `threads`); they do not change the output. */
  decodeThreads?: number;
  outputPath: string;
  /** libavcodec major version of the ffmpeg that runs it (0 = unknown, treated as current). */
  avcodecMajor?: number;
  /** How to read it (default: `cutMethodFor(analysis)`). */
  method?: CutMethod;
  /** A quality probe's runs of frames (core/crf-search.ts): only they are encoded, with no tail frame. */
  sample?: ProbeSample;
  /** The segment's thumbnails (and poster), written by the same ffmpeg from the same decode (not by a probe). */
  thumbnails?: ThumbnailOutputs;
}

/** `select` of a probe's runs of frames, counted from the segment's first. */
export function sampleFilter(s: ProbeSample): string {
  return `select=lt(mod(n\\,${s.every})\\,${s.run})`;
}

/**
 * The filters a segment's frames go through before the encoder (the trim of its source times, the rebase, the
 * picture filters, a probe's runs): the encode and the scoring of its output read the source through the same.
 */
export function segmentFilters(i: Pick<SegmentEncodeInput, 'analysis' | 'profile' | 'read' | 'sample'>): string[] {
  const format = chooseOutputFormat(i.analysis.video, i.profile);
  return [i.read.trim, 'setpts=PTS-STARTPTS', ...pictureFilters(i.profile, format), ...(i.sample ? [sampleFilter(i.sample)] : [])].filter(
    (f) => f !== 'null',
  );
}

/**
 * One video segment, read straight from the source: seek (`-ss` before `-i`: to the cut, or by pre-roll well
 * before it), keep the segment's frames by their source times, at most `frameCount` of them, timestamps rebased
 * to 0 but otherwise the source's own (VFR stays VFR).
 */
/**
 * How a segment's ffmpeg reads the source (everything up to and with `-i`): decoder threads, the seek (to the
 * cut, or by pre-roll well before it), and source times kept absolute (`-copyts`) so that the trim can pick
 * the segment's frames by them. Shared by a single file's segments and a ladder's tasks.
 */
export function segmentInputArgs(
  i: Pick<SegmentEncodeInput, 'method' | 'analysis' | 'read' | 'decodeThreads' | 'threads' | 'sourceLocation'>,
): string[] {
  const preroll = (i.method ?? cutMethodFor(i.analysis).method) === 'preroll';
  const seek = preroll ? i.read.prerollSeekSeconds : i.read.seekSeconds;
  return [
    ...BASE,
    '-threads',
    String(i.decodeThreads ?? i.threads),
    ...(seek !== undefined ? ['-ss', seek.toFixed(6)] : []),
    '-copyts',
    ...inputArgs(i.sourceLocation),
  ];
}

export function buildSegmentEncodeArgs(i: SegmentEncodeInput): string[] {
  const format = chooseOutputFormat(i.analysis.video, i.profile);
  const filters = segmentFilters(i);
  const count = sampledFrames(i.segment.frameCount, i.sample);
  const tail = !i.sample && encodesTailFrame(i.read, i.profile.videoCodec, i.avcodecMajor);
  return [
    ...segmentInputArgs(i),
    '-map',
    `0:${i.analysis.video.streamIndex}`,
    '-frames:v',
    String(tail ? count + 1 : count),
    '-vf',
    filters.join(','),
    '-vsync',
    'passthrough',
    // The encoder keeps the source's time base, so VFR timestamps survive exactly. ffmpeg 4.x (libavcodec
    // 58) drops a frame with it, so there the encoder's default time base is used.
    ...(isCurrentFfmpeg(i.avcodecMajor) ? ['-enc_time_base', '-1'] : []),
    '-an',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    ...videoEncoderArgs(i.profile, format, i.threads, i.segment.startFrame > 0, tail ? count : undefined),
    ...(tail ? forcedKeyframeArgs([count]) : []),
    ...colorArgs(i.analysis, format),
    '-fflags',
    '+bitexact',
    '-progress',
    'pipe:1',
    '-f',
    'mp4',
    i.outputPath,
    ...(i.thumbnails && !i.sample ? thumbnailOutputArgs(i.thumbnails, i.analysis.video.streamIndex, i.read.trim, format) : []),
  ];
}

export interface AudioEncodeInput {
  sourceLocation: string;
  audio: StreamInfo[];
  profile: EncodeProfile;
  outputPath: string;
}

/** Every audio track encoded once, as a whole (no per-segment priming or padding at seams). */
export function buildAudioEncodeArgs(i: AudioEncodeInput): string[] {
  const codec = i.profile.audioCodec;
  if (codec !== 'aac' && codec !== 'opus') throw new Error(`buildAudioEncodeArgs: audio codec ${codec} is not encoded`);
  const maps = i.audio.flatMap((s) => ['-map', `0:${s.index}`]);
  return [
    ...BASE,
    '-threads',
    '1',
    ...inputArgs(i.sourceLocation),
    ...maps,
    '-vn',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-c:a',
    AUDIO_ENCODERS[codec],
    '-b:a',
    `${i.profile.audioBitrateKbps}k`,
    ...(codec === 'opus' ? ['-af', 'aformat=channel_layouts=7.1|5.1|stereo|mono'] : []),
    '-fflags',
    '+bitexact',
    '-f',
    codec === 'aac' ? 'mp4' : 'matroska',
    i.outputPath,
  ];
}

export function audioOutputName(profile: EncodeProfile): string {
  const c = profile.audioCodec;
  return `audio.${c === 'aac' || c === 'opus' ? audioIntermediateExt(c) : 'none'}`;
}

/**
 * An ffconcat list. Locations are ours (segment files), but quote them properly anyway. The concat demuxer opens
 * each entry with that entry's own options (`-reconnect` before the list's `-i` reaches only the list), so an
 * http(s) entry (a presigned S3 URL) carries the reconnect options as `option` lines: without them a connection
 * reset or an S3 503 mid-read ended that segment early and the merge came out short.
 */
export function buildConcatList(entries: Array<{ location: string; duration: number }>): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = ['ffconcat version 1.0'];
  for (const e of entries) {
    lines.push(`file ${q(e.location)}`);
    const o = inputOptions(e.location);
    for (let i = 0; i < o.length; i += 2) lines.push(`option ${o[i]!.slice(1)} ${o[i + 1]!}`);
    lines.push(`duration ${e.duration.toFixed(6)}`);
  }
  return lines.join('\n') + '\n';
}
