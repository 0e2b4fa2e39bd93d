/**
 * Every ffmpeg/ffprobe command line shardcast runs, built by pure functions that return argument arrays.
 * Nothing here runs a process; `MediaTool` does. User text (paths) only ever appears as a whole argument.
 */
import { audioIntermediateExt, AUDIO_ENCODERS, codecTuningArgs, presetArgs, VIDEO_ENCODERS } from './profile.js';
import { chooseOutputFormat, hdrEncoderParams, type OutputFormat } from './output-format.js';
import { parseRate } from './probe-parse.js';
import type { AnalysisHead, EncodeProfile, MediaAnalysis, PlannedSegment, SegmentRead, StreamInfo } from './types.js';

const BASE = ['-nostdin', '-hide_banner', '-nostats', '-v', 'error', '-y'];

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

export function buildProbeArgs(location: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...probeInput(location)];
}

/**
 * Lists every stream's packets (no decode): times, durations and keyframe flags; all of them, or those of one
 * interval (`from` seeks to the keyframe at or before it; `to` ends the read a second after the boundary).
 */
export function buildPacketScanArgs(location: string, interval?: { from?: number; to?: number }): string[] {
  const range = interval
    ? [
        '-read_intervals',
        `${interval.from !== undefined ? interval.from.toFixed(6) : ''}%${interval.to !== undefined ? (interval.to + 1).toFixed(6) : ''}`,
      ]
    : [];
  return [
    '-v',
    'error',
    ...range,
    '-show_entries',
    'packet=stream_index,pts_time,dts_time,duration_time,size,flags',
    '-of',
    'compact=p=0',
    ...probeInput(location),
  ];
}

/**
 * Lists the decoded frames of one stream (decodes it): for codecs whose packets are not one frame each. Only
 * timestamps and flags are read, so the deblocking filter is skipped (VP8, H.264; a third faster on a VP8
 * 720p clip, same frame list).
 */
export function buildFrameScanArgs(location: string, streamIndex: number): string[] {
  return [
    '-v',
    'error',
    '-threads',
    '0',
    '-skip_loop_filter',
    'all',
    '-select_streams',
    String(streamIndex),
    '-show_entries',
    'frame=best_effort_timestamp_time,pkt_duration_time,duration_time,pkt_size,key_frame',
    '-of',
    'compact=p=0',
    ...probeInput(location),
  ];
}

/** The side data of the first frames of one stream (a few packets decoded): HDR10 SEI, Dolby Vision RPU. */
export function buildFirstFramesArgs(location: string, streamIndex: number): string[] {
  return [
    '-v',
    'error',
    '-select_streams',
    String(streamIndex),
    '-read_intervals',
    '%+#4',
    '-show_entries',
    'frame=side_data_list:frame_side_data',
    '-of',
    'json',
    ...probeInput(location),
  ];
}

/** Smallest time-base tick (seconds) for which the keyframe seek below is used: its margin must beat µs rounding. */
const MIN_KEYFRAME_SEEK_TICK = 8e-6;

/**
 * How segments read their frames. `seek`: input seeking lands on the keyframe at or before the cut (index-based
 * containers: MP4, Matroska, WebM). `preroll`: MPEG-TS and MPEG-PS seek by timestamp, landing on whatever packet
 * has the DTS (not on a keyframe), and their flagged packets may be recovery points without an IDR (intra
 * refresh) or open-GOP I-frames the decoder will not start on: measured on an intra-refresh TS, segments started
 * 38-104 frames late or held no frames at all, and on a plain IDR TS a cut inside a GOP started at the next one,
 * with the right frame count. There each segment decodes from the third flagged packet before its start (two
 * refresh periods of pre-roll: with B-frames one recovery spans more than one), one second early.
 *
 * Either way the segment keeps its frames by their source times (`-copyts`, `trim`), so a decode that starts
 * late (a flagged keyframe in an MP4 that is an intra-refresh recovery point, not an IDR) comes out short and the
 * segment check sees it, never a right count of the wrong frames. Such a segment is read again by pre-roll, and
 * the job remembers it (`fallback`: the first segment's finding) so later segments start with pre-roll.
 */
export type CutMethod = 'seek' | 'preroll';

export function cutMethodFor(analysis: AnalysisHead, fallback?: string): { method: CutMethod; reason?: string } {
  if (fallback) return { method: 'preroll', reason: fallback };
  const f = analysis.formatName.split(',');
  if (f.includes('mpegts') || f.includes('mpeg') || f.includes('mpegtsraw')) {
    return {
      method: 'preroll',
      reason: `${f[0]} seeks by timestamp and its keyframe flags may mark recovery points, not IDR frames: each segment decodes from the third keyframe before it and keeps its own frames by time`,
    };
  }
  return { method: 'seek' };
}

/** Pre-roll seconds before the third flagged keyframe: covers the seek landing on a DTS before a B-frame delay. */
const PREROLL_MARGIN_SECONDS = 1;

/**
 * How many flagged keyframes back a pre-roll read starts (counting the one at or before the segment start). An
 * intra-refresh recovery point completes `recovery_frame_cnt` reference frames later, and with B-frames between
 * them that is more than one flag interval: x264 keyint 60 with B-frames, recovery_frame_cnt 41, a decode from
 * the flag two back first output a frame 2 frames after the segment start (the check failed, 121 of 123).
 */
const PREROLL_KEYFRAMES = 3;

/** The -ss value of a pre-roll read: one second before the third flagged keyframe before the segment start. */
export function prerollSeekSeconds(analysis: MediaAnalysis, startFrame: number): number | undefined {
  const keys = analysis.video.keyframeIndices.filter((k) => k <= startFrame);
  if (keys.length < PREROLL_KEYFRAMES) return undefined;
  const at = analysis.video.frameTimes[keys[keys.length - PREROLL_KEYFRAMES]!]! - PREROLL_MARGIN_SECONDS - analysis.startTime;
  return at > 0 ? at : undefined;
}

/** The trim window of a segment's read, in source times: halfway to the neighbouring frames on either side. */
export function segmentTrim(analysis: MediaAnalysis, segment: PlannedSegment): string {
  const t = analysis.video.frameTimes;
  const s = segment.startFrame;
  const e = s + segment.frameCount;
  const parts = [];
  if (s > 0) parts.push(`start=${((t[s - 1]! + t[s]!) / 2).toFixed(6)}`);
  if (e < t.length) parts.push(`end=${((t[e - 1]! + t[e]!) / 2).toFixed(6)}`);
  return parts.length ? `trim=${parts.join(':')}` : 'null';
}

/**
 * The -ss value that starts the segment exactly on frame `startFrame`. ffmpeg's input `-ss` does two things:
 * the demuxer seeks to the last keyframe at or before it, then frames before it are dropped after decoding.
 *
 * - A segment that does not start on a keyframe: halfway between the frame and the one before (half a frame of
 *   margin against every rounding on the way), decoding from the keyframe before.
 * - A segment that starts on a keyframe: a quarter of a time-base tick before the keyframe. The seek target
 *   rounds to the keyframe's own tick, so the demuxer lands on it, and the frame before is at least a tick
 *   earlier, so it is still dropped. The halfway point would land on the keyframe *before* and decode a whole
 *   GOP for nothing (measured: 1.8 CPU s per segment on a noisy 720p source with a 2 s GOP, 5% of a 60 s
 *   job). With a time base finer than 8 µs the margin would not cover ffprobe's µs rounding, so such
 *   sources keep the halfway point.
 */
export function seekSecondsFor(analysis: MediaAnalysis, startFrame: number, startsOnKeyframe = false): number | undefined {
  if (startFrame <= 0) return undefined;
  const t = analysis.video.frameTimes;
  const tick = parseRate(analysis.video.timeBase);
  const at = startsOnKeyframe && tick >= MIN_KEYFRAME_SEEK_TICK ? t[startFrame]! - tick / 4 : (t[startFrame - 1]! + t[startFrame]!) / 2;
  return Math.max(0, at - analysis.startTime);
}

/**
 * The picture filters after the timestamp rebase: the resize, and the conversion to the output's pixel format.
 * A full-range source is converted full to full (`in_range`/`out_range`): without them swscale squeezes the
 * values into limited range while the tags still say full (a washed-out picture).
 */
export function pictureFilters(profile: EncodeProfile, format: OutputFormat): string[] {
  const { width, height } = profile;
  const size =
    width && height
      ? [`w=${width}`, `h=${height}`, 'force_original_aspect_ratio=decrease', 'force_divisible_by=2']
      : height
        ? ['w=-2', `h=${height}`]
        : width
          ? [`w=${width}`, 'h=-2']
          : [];
  const range = format.fullRange ? ['in_range=pc', 'out_range=pc'] : [];
  const f: string[] = [];
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
 * @param continuation the segment does not start the stream: its first keyframe is coded as a mid-stream one,
 *   and (H.264) the encoder's info SEI, already in the first segment, is not repeated (706 bytes each).
 */
export function videoEncoderArgs(profile: EncodeProfile, format: OutputFormat, threads: number, continuation = false): string[] {
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
  switch (profile.videoCodec) {
    case 'h264':
      a.push('-threads', String(threads));
      if (continuation) a.push('-x264-params', X264_WARM_START, '-bsf:v', 'filter_units=remove_types=6');
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
  return a;
}

/** A segment's read window from the frame list (stored with its task at planning). */
export function segmentReadOf(analysis: MediaAnalysis, segment: PlannedSegment): SegmentRead {
  const seek = seekSecondsFor(analysis, segment.startFrame, segment.startsOnKeyframe);
  const preroll = prerollSeekSeconds(analysis, segment.startFrame);
  return {
    ...(seek !== undefined ? { seekSeconds: seek } : {}),
    ...(preroll !== undefined ? { prerollSeekSeconds: preroll } : {}),
    trim: segmentTrim(analysis, segment),
  };
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
  const filters = [i.read.trim, 'setpts=PTS-STARTPTS', ...pictureFilters(i.profile, format)].filter((f) => f !== 'null');
  return [
    ...segmentInputArgs(i),
    '-map',
    `0:${i.analysis.video.streamIndex}`,
    '-frames:v',
    String(i.segment.frameCount),
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
    ...videoEncoderArgs(i.profile, format, i.threads, i.segment.startFrame > 0),
    ...colorArgs(i.analysis, format),
    '-fflags',
    '+bitexact',
    '-progress',
    'pipe:1',
    '-f',
    'mp4',
    i.outputPath,
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
 * Decodes a finished segment and counts its frames (errors go to stderr). The deblocking filter is skipped
 * (H.264/HEVC; other decoders ignore the option): it cannot fail, and skipping it makes the check about 20%
 * cheaper, while every macroblock is still parsed and reconstructed.
 */
export function buildSegmentCheckArgs(path: string): string[] {
  return [
    '-v',
    'error',
    '-threads',
    '1',
    '-skip_loop_filter',
    'all',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    literalInput(path),
  ];
}

/** Packet list of every stream of the output (no decode), for verification. */
export function buildVerifyScanArgs(path: string): string[] {
  return [
    '-v',
    'error',
    '-show_entries',
    'packet=stream_index,pts_time,duration_time:stream=index,codec_type',
    '-of',
    'json',
    literalInput(path),
  ];
}

/** The head an index verification reads, and the tail before the expected end. */
export const VERIFY_HEAD_SECONDS = 2;
export const VERIFY_TAIL_SECONDS = 3;

/**
 * For an MP4/MOV output, whose index (the moov box) holds every sample: the streams with their sample counts,
 * and the packets of the first 2 s and of the last ones from `tailFrom` (a seek by that index), a bounded read
 * whatever the length. A file cut short ends its packets early (the tail shows it), and its partial last
 * samples are reported on stderr.
 */
export function buildVerifyIndexArgs(path: string, tailFrom: number): string[] {
  return [
    '-v',
    'error',
    '-read_intervals',
    `%+${VERIFY_HEAD_SECONDS},${Math.max(0, tailFrom).toFixed(3)}%`,
    '-show_entries',
    'packet=stream_index,pts_time,duration_time:stream=index,codec_type,nb_frames',
    '-of',
    'json',
    literalInput(path),
  ];
}

/** An ffconcat list. Locations are ours (segment files), but quote them properly anyway. */
export function buildConcatList(entries: Array<{ location: string; duration: number }>): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = ['ffconcat version 1.0'];
  for (const e of entries) lines.push(`file ${q(e.location)}`, `duration ${e.duration.toFixed(6)}`);
  return lines.join('\n') + '\n';
}
