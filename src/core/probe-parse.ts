/**
 * Turns ffprobe's output (stream/format JSON plus the video packet list as CSV) into a MediaAnalysis.
 * Pure: the caller runs ffprobe with `buildProbeArgs` / `buildPacketScanArgs` and passes the text in.
 */
import { InputError } from './errors.js';
import type { ColorInfo, HdrMetadata, MediaAnalysis, StreamInfo, VideoInfo } from './types.js';

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

export interface PacketRow {
  pts: number;
  duration: number;
  key: boolean;
  /** Packet bytes, where the scan gives them. */
  size?: number;
}

const num = (s: string | undefined): number | undefined => {
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

/** Parses ffprobe `-of compact=p=0` lines (`key=value|key=value`) into records. */
export function parseCompact(text: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const rec: Record<string, string> = {};
    for (const part of line.split('|')) {
      const eq = part.indexOf('=');
      if (eq > 0) rec[part.slice(0, eq)] = part.slice(eq + 1);
    }
    out.push(rec);
  }
  return out;
}

function sortAndNudge(rows: PacketRow[]): PacketRow[] {
  rows.sort((a, b) => a.pts - b.pts);
  // Two frames with one timestamp cannot be sought apart: nudge duplicates by a microsecond.
  for (let i = 1; i < rows.length; i++) {
    const prev = rows[i - 1]!;
    const cur = rows[i]!;
    if (cur.pts <= prev.pts) cur.pts = prev.pts + 1e-6;
  }
  return rows;
}

export interface PacketScan {
  /** Video packets of `videoStream`, sorted by presentation time, discarded packets dropped. */
  video: PacketRow[];
  /** End time (last pts + duration) of every other stream that has packets, by stream index. */
  streamEnds: Map<number, number>;
}

/** Parses the packet scan of all streams (`buildPacketScanArgs`). */
export function parsePacketScan(text: string, videoStream: number): PacketScan {
  const video: PacketRow[] = [];
  const streamEnds = new Map<number, number>();
  for (const r of parseCompact(text)) {
    const idx = Number(r.stream_index);
    const flags = r.flags ?? '';
    if (flags.includes('D')) continue;
    const pts = num(r.pts_time) ?? num(r.dts_time);
    if (pts === undefined) continue;
    const duration = num(r.duration_time) ?? 0;
    const size = num(r.size);
    if (idx === videoStream) video.push({ pts, duration, key: flags.includes('K'), ...(size !== undefined ? { size } : {}) });
    else streamEnds.set(idx, Math.max(streamEnds.get(idx) ?? -Infinity, pts + duration));
  }
  return { video: sortAndNudge(video), streamEnds };
}

/** Containers whose index lets a read start at a time (a seek lands on the keyframe at or before it). */
export function seekableForScan(formatName: string): boolean {
  const f = formatName.split(',');
  return f.includes('matroska') || f.includes('webm') || f.includes('mov') || f.includes('mp4');
}

/**
 * On the AWS path (over S3, where one read is bound by one connection's rate) a source this large in an
 * indexed container is scanned in this many interval reads at once (app/analyze-job.ts; the cost model too).
 */
export const PARALLEL_SCAN = { minBytes: 256 * 1024 * 1024, ranges: 4 };

/** Where the interval scans of a source split it: `ranges` equal spans of [start, start + duration). */
export function scanBoundaries(start: number, duration: number, ranges: number): number[] {
  return Array.from({ length: Math.max(0, ranges - 1) }, (_, i) => start + (duration * (i + 1)) / ranges);
}

/**
 * Joins the packet scans of consecutive intervals of one source (buildPacketScanArgs with an interval each,
 * read at once) into the scan a single read would give, or undefined when their coverage cannot be proven,
 * and the caller must scan the whole source in one read. Each interval after the first starts with a seek to
 * the keyframe at or before its boundary and reads on; the one before it reads past that boundary. The join
 * holds when, at every boundary, the later scan's first video packet is a keyframe at or before the boundary
 * and the earlier scan read that very packet: then every packet lies in one read or the other (a frame before
 * that keyframe in decode order is presented before it). Packets read twice are counted once.
 */
export function joinIntervalScans(texts: string[], videoStream: number, boundaries: number[]): PacketScan | undefined {
  const seen = new Set<string>();
  const video: PacketRow[] = [];
  const streamEnds = new Map<number, number>();
  const firstVideo: Array<string | undefined> = [];
  const firstKey: boolean[] = [];
  const firstPts: number[] = [];
  const keysRead: Array<Set<string>> = [];
  for (const text of texts) {
    let first: string | undefined;
    const keys = new Set<string>();
    for (const r of parseCompact(text)) {
      const idx = Number(r.stream_index);
      const flags = r.flags ?? '';
      const pts = num(r.pts_time) ?? num(r.dts_time);
      if (idx === videoStream) {
        const id = `${r.pts_time}|${r.dts_time}|${r.size}`;
        if (first === undefined) {
          first = id;
          firstKey.push(flags.includes('K'));
          firstPts.push(pts ?? Infinity);
        }
        keys.add(id);
        if (flags.includes('D') || pts === undefined || seen.has(id)) continue;
        seen.add(id);
        const size = num(r.size);
        video.push({ pts, duration: num(r.duration_time) ?? 0, key: flags.includes('K'), ...(size !== undefined ? { size } : {}) });
      } else if (pts !== undefined && !flags.includes('D')) {
        streamEnds.set(idx, Math.max(streamEnds.get(idx) ?? -Infinity, pts + (num(r.duration_time) ?? 0)));
      }
    }
    if (first === undefined) {
      firstKey.push(false);
      firstPts.push(Infinity);
    }
    firstVideo.push(first);
    keysRead.push(keys);
  }
  for (let i = 1; i < texts.length; i++) {
    const first = firstVideo[i];
    if (first === undefined || !firstKey[i] || firstPts[i]! > boundaries[i - 1]! + 1e-6 || !keysRead[i - 1]!.has(first)) return undefined;
  }
  return { video: sortAndNudge(video), streamEnds };
}

/** Parses a decoded-frame scan (`buildFrameScanArgs`): for codecs whose packets are not one frame each. */
export function parseFrameScan(text: string): PacketRow[] {
  const rows: PacketRow[] = [];
  for (const r of parseCompact(text)) {
    const pts = num(r.best_effort_timestamp_time);
    if (pts === undefined) continue;
    const size = num(r.pkt_size);
    rows.push({
      pts,
      duration: num(r.duration_time) ?? num(r.pkt_duration_time) ?? 0,
      key: r.key_frame === '1',
      ...(size !== undefined ? { size } : {}),
    });
  }
  return sortAndNudge(rows);
}

/**
 * Whether the video's packets may not be one presented frame each (VP8/VP9 hidden alt-ref frames,
 * H.264 field pictures), so frames must be counted by decoding.
 */
export function needsFrameScan(codec: string, fieldOrder: string | undefined): boolean {
  if (codec === 'vp8' || codec === 'vp9') return true;
  return codec === 'h264' && !!fieldOrder && fieldOrder !== 'progressive' && fieldOrder !== 'unknown';
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

type SideData = Record<string, unknown>;

/** Side data of the first frames (`buildFirstFramesArgs`): where HEVC/AV1 carry HDR10 SEI / metadata OBUs. */
export function parseFirstFrames(text: string): SideData[] {
  try {
    const j = JSON.parse(text) as { frames?: Array<{ side_data_list?: SideData[] }> };
    return (j.frames ?? []).flatMap((f) => f.side_data_list ?? []);
  } catch {
    return [];
  }
}

const ratio = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const n = parseRate(v);
  return Number.isFinite(n) ? n : undefined;
};

/** HDR10 static metadata and Dolby Vision presence from side data (stream-level first, then frames). */
export function hdrFromSideData(lists: SideData[]): { hdr?: HdrMetadata; dolbyVision: boolean } {
  const hdr: HdrMetadata = {};
  let dolbyVision = false;
  for (const sd of lists) {
    const type = typeof sd.side_data_type === 'string' ? sd.side_data_type : '';
    if (/dolby vision|dovi/i.test(type)) dolbyVision = true;
    if (type === 'Mastering display metadata' && !hdr.masteringDisplay) {
      const xy = (k: string): [number, number] | undefined => {
        const x = ratio(sd[`${k}_x`]);
        const y = ratio(sd[`${k}_y`]);
        return x !== undefined && y !== undefined ? [x, y] : undefined;
      };
      const red = xy('red'),
        green = xy('green'),
        blue = xy('blue'),
        whitePoint = xy('white_point');
      const minLuminance = ratio(sd.min_luminance),
        maxLuminance = ratio(sd.max_luminance);
      if (red && green && blue && whitePoint && minLuminance !== undefined && maxLuminance) {
        hdr.masteringDisplay = { red, green, blue, whitePoint, minLuminance, maxLuminance };
      }
    }
    if (type === 'Content light level metadata' && !hdr.contentLight) {
      const maxCll = Number(sd.max_content),
        maxFall = Number(sd.max_average);
      if (Number.isFinite(maxCll) && Number.isFinite(maxFall) && (maxCll > 0 || maxFall > 0)) hdr.contentLight = { maxCll, maxFall };
    }
  }
  return { ...(hdr.masteringDisplay || hdr.contentLight ? { hdr } : {}), dolbyVision };
}

/**
 * What one keyframe costs over the frame it replaces, in seconds of the source's own bitrate: (mean keyframe
 * bytes − mean other frame bytes) / bytes per second. Low-motion video, whose P frames are tiny, pays most
 * (real_640x360: 0.39 s; bbb 10 s: 0.20 s). Undefined without sizes or without both kinds of frame.
 */
export function keyframeCostSeconds(packets: PacketRow[]): number | undefined {
  if (packets.length < 2 || packets.some((p) => p.size === undefined)) return undefined;
  let keyBytes = 0,
    keys = 0,
    otherBytes = 0,
    others = 0;
  for (const p of packets) {
    if (p.key) {
      keyBytes += p.size!;
      keys++;
    } else {
      otherBytes += p.size!;
      others++;
    }
  }
  const span = packets[packets.length - 1]!.pts - packets[0]!.pts;
  if (!keys || !others || span <= 0) return undefined;
  const perSecond = (keyBytes + otherBytes) / span;
  return Math.max(0, (keyBytes / keys - otherBytes / others) / perSecond);
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
  const scannedVideo = frameTimes[frameTimes.length - 1]! + lastFrameDuration - frameTimes[0]!;
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
