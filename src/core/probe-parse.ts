/**
 * Turns ffprobe's output (stream/format JSON plus the video packet list as CSV) into a MediaAnalysis.
 * Pure: the caller runs ffprobe with `buildProbeArgs` / `buildPacketScanArgs` and passes the text in.
 */
import { InputError } from './errors.js';
import { hdrFromSideData, type SideData } from './hdr-side-data.js';
import { keyframeCostSeconds, type PacketRow } from './packet-scan.js';
import type { ColorInfo, MediaAnalysis, StreamInfo, VideoInfo } from './types.js';

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  start_time?: string;
  duration?: string;
  channels?: number;
  sample_rate?: string;
  field_order?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: Array<Record<string, unknown>>;
}

interface FfprobeJson {
  streams?: FfprobeStream[];
  format?: { format_name?: string; start_time?: string; duration?: string; size?: string };
}

/** A number from ffprobe's text, undefined where it gives none (N/A, empty). */
export const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '' || s === 'N/A') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

export function parseRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [a, b] = rate.split('/').map(Number);
  if (!a || !Number.isFinite(a)) return 0;
  return b ? a / b : a;
}

function rotationOf(s: FfprobeStream): number {
  let deg = 0;
  for (const sd of s.side_data_list ?? []) {
    if (typeof sd.rotation === 'number') deg = sd.rotation;
  }
  if (!deg && s.tags?.rotate) deg = -Number(s.tags.rotate) || 0;
  // ffprobe reports the display matrix rotation counter-clockwise (e.g. -90 for a clip shot rotated 90°).
  return (((Math.round(deg / 90) * 90) % 360) + 360) % 360;
}

function colorOf(s: FfprobeStream): ColorInfo {
  const keep = (v: string | undefined) => (v && v !== 'unknown' && v !== 'reserved' ? v : undefined);
  const c: ColorInfo = {};
  const range = keep(s.color_range);
  if (range) c.range = range;
  const primaries = keep(s.color_primaries);
  if (primaries) c.primaries = primaries;
  const transfer = keep(s.color_transfer);
  if (transfer) c.transfer = transfer;
  const space = keep(s.color_space);
  if (space) c.space = space;
  return c;
}

function streamInfo(s: FfprobeStream, type: StreamInfo['type']): StreamInfo {
  const info: StreamInfo = { index: s.index, type, codec: s.codec_name ?? 'unknown' };
  if (s.tags?.language) info.language = s.tags.language;
  if (s.channels) info.channels = s.channels;
  const sr = num(s.sample_rate);
  if (sr) info.sampleRate = sr;
  const st = num(s.start_time);
  if (st !== undefined) info.startTime = st;
  const d = num(s.duration);
  if (d !== undefined) info.duration = d;
  if (s.disposition?.attached_pic) info.isAttachedPic = true;
  return info;
}

/** Picks the video stream ffmpeg would: the first that is not cover art. */
export function pickVideoStream(json: FfprobeJson): FfprobeStream | undefined {
  return (json.streams ?? []).find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
}

export function parseProbeJson(text: string): FfprobeJson {
  try {
    return JSON.parse(text) as FfprobeJson;
  } catch {
    throw new InputError('ffprobe returned output that is not JSON');
  }
}

/** Builds the analysis; throws InputError for sources shardcast cannot transcode (no video, no frames). */
export function buildAnalysis(
  json: FfprobeJson,
  packets: PacketRow[],
  sizeBytes: number,
  streamEnds: Map<number, number> = new Map(),
  frameSideData: SideData[] = [],
): MediaAnalysis {
  const vs = pickVideoStream(json);
  if (!vs) {
    const hasAudio = (json.streams ?? []).some((s) => s.codec_type === 'audio');
    throw new InputError(
      hasAudio ? 'the source has no video stream (audio-only files are not supported)' : 'the source has no video stream',
    );
  }
  if (packets.length === 0) throw new InputError('the source has no readable video frames');
  const frameTimes = packets.map((p) => p.pts);
  const keyframeIndices: number[] = [];
  packets.forEach((p, i) => {
    if (p.key) keyframeIndices.push(i);
  });
  const intervals: number[] = [];
  for (let i = 1; i < frameTimes.length; i++) intervals.push(frameTimes[i]! - frameTimes[i - 1]!);
  const avgInterval = intervals.length ? (frameTimes[frameTimes.length - 1]! - frameTimes[0]!) / intervals.length : 0;
  const rateInterval = parseRate(vs.avg_frame_rate) > 0 ? 1 / parseRate(vs.avg_frame_rate) : 0;
  const fallbackInterval = avgInterval || rateInterval || 1 / 25;
  const lastPacket = packets[packets.length - 1]!;
  const sorted = [...intervals].sort((a, b) => a - b);
  const median = sorted.length ? sorted[sorted.length >> 1]! : fallbackInterval;
  // Containers without frame durations (Matroska without default duration) report 1 ms: not plausible.
  const lastFrameDuration = lastPacket.duration > 0.25 * median ? lastPacket.duration : median || fallbackInterval;
  const minI = intervals.length ? Math.min(...intervals) : 0;
  const maxI = intervals.length ? Math.max(...intervals) : 0;
  // Timestamps are whole ticks of the time base, so a CFR stream's intervals vary by up to one tick (23.976 fps
  // in Matroska's 1 ms time base: 41 and 42 ms).
  const tick = Math.min(parseRate(vs.time_base), 0.25 * (median || fallbackInterval));
  const frameRateMode: 'cfr' | 'vfr' = intervals.length === 0 || maxI - minI <= 0.01 * avgInterval + tick + 1e-4 ? 'cfr' : 'vfr';

  const video: VideoInfo = {
    streamIndex: vs.index,
    codec: vs.codec_name ?? 'unknown',
    width: vs.width ?? 0,
    height: vs.height ?? 0,
    pixelFormat: vs.pix_fmt ?? 'unknown',
    rotation: rotationOf(vs),
    color: colorOf(vs),
    frameRate: vs.r_frame_rate ?? '0/0',
    avgFrameRate: vs.avg_frame_rate ?? '0/0',
    frameRateMode,
    timeBase: vs.time_base ?? '1/1000',
    frameTimes,
    keyframeIndices,
    lastFrameDuration,
  };
  if (vs.field_order && vs.field_order !== 'progressive' && vs.field_order !== 'unknown') video.fieldOrder = vs.field_order;
  const keyCost = keyframeCostSeconds(packets);
  if (keyCost !== undefined) video.keyframeCostSeconds = Number(keyCost.toFixed(4));
  const hdr = hdrFromSideData([...(vs.side_data_list ?? []), ...frameSideData]);
  if (hdr.hdr) video.hdr = hdr.hdr;
  if (hdr.dolbyVision) video.dolbyVision = true;

  const declared = num(vs.duration);
  // Read from the stream's start: packets before the first frame that decodes (a source begun mid-GOP) were read.
  const readFrom = Math.min(frameTimes[0]!, num(vs.start_time) ?? frameTimes[0]!);
  const scannedVideo = frameTimes[frameTimes.length - 1]! + lastFrameDuration - readFrom;
  if (declared !== undefined && declared > 2 && scannedVideo < 0.9 * declared - 1) {
    throw new InputError(
      `the source is truncated or damaged: its video stream should last ${declared.toFixed(2)} s but only ${scannedVideo.toFixed(2)} s can be read`,
    );
  }
  const streams = json.streams ?? [];
  const audio = streams
    .filter((s) => s.codec_type === 'audio')
    .map((s) => {
      const info = streamInfo(s, 'audio');
      const end = streamEnds.get(s.index);
      if (end !== undefined) info.endTime = end;
      return info;
    });
  const subtitles = streams.filter((s) => s.codec_type === 'subtitle').map((s) => streamInfo(s, 'subtitle'));
  // Data streams, attachments (fonts) and cover art (an attached-picture video stream, listed as data).
  const others = streams
    .filter(
      (s) =>
        s.codec_type === 'data' || s.codec_type === 'attachment' || (s.codec_type === 'video' && s !== vs && s.disposition?.attached_pic),
    )
    .map((s) => streamInfo(s, s.codec_type === 'attachment' ? 'attachment' : 'data'));

  const containerDuration = num(json.format?.duration);
  const scanned = frameTimes[frameTimes.length - 1]! + lastFrameDuration - (num(json.format?.start_time) ?? frameTimes[0]!);
  return {
    formatName: json.format?.format_name ?? 'unknown',
    startTime: num(json.format?.start_time) ?? frameTimes[0]!,
    duration: containerDuration && containerDuration > 0 ? containerDuration : scanned,
    durationFromContainer: !!(containerDuration && containerDuration > 0),
    sizeBytes,
    video,
    audio,
    subtitles,
    others,
  };
}
