/**
 * ffprobe's packet and frame lists (compact CSV) as rows, and the scans of a large source in intervals read at
 * once (joined back into one list). Pure: the caller runs ffprobe with probe-args.ts and passes the text in.
 */
import { num } from './probe-parse.js';

export interface PacketRow {
  pts: number;
  duration: number;
  key: boolean;
  /** Packet bytes, where the scan gives them. */
  size?: number;
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
  /**
   * Video packets with a decode time and no presentation time (AVI, a raw elementary stream): their times are
   * decode times, which B-frames put off the frames' own, so the frames must be listed by decoding.
   */
  videoWithoutPts?: number;
  /** End time (last pts + duration) of every other stream that has packets, by stream index. */
  streamEnds: Map<number, number>;
}

/** Parses the packet scan of all streams (`buildPacketScanArgs`). */
export function parsePacketScan(text: string, videoStream: number): PacketScan {
  const video: PacketRow[] = [];
  const streamEnds = new Map<number, number>();
  let videoWithoutPts = 0;
  for (const r of parseCompact(text)) {
    const idx = Number(r.stream_index);
    const flags = r.flags ?? '';
    if (flags.includes('D')) continue;
    const pts = num(r.pts_time) ?? num(r.dts_time);
    if (pts === undefined) continue;
    if (idx === videoStream && num(r.pts_time) === undefined) videoWithoutPts++;
    const duration = num(r.duration_time) ?? 0;
    const size = num(r.size);
    if (idx === videoStream) video.push({ pts, duration, key: flags.includes('K'), ...(size !== undefined ? { size } : {}) });
    else streamEnds.set(idx, Math.max(streamEnds.get(idx) ?? -Infinity, pts + duration));
  }
  return { video: sortAndNudge(video), streamEnds, ...(videoWithoutPts ? { videoWithoutPts } : {}) };
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
  /** Frames with no time after the last one with a time: the decoder's flush (see below). */
  let untimed: PacketRow[] = [];
  for (const r of parseCompact(text)) {
    const pts = num(r.best_effort_timestamp_time);
    const size = num(r.pkt_size);
    const row = {
      pts: pts ?? NaN,
      duration: num(r.duration_time) ?? num(r.pkt_duration_time) ?? 0,
      key: r.key_frame === '1',
      ...(size !== undefined ? { size } : {}),
    };
    if (pts === undefined) {
      if (rows.length) untimed.push(row);
      continue;
    }
    untimed = [];
    rows.push(row);
  }
  // The frames a decoder gives at the end, once its input is over (B-frames from a container of decode times),
  // have no time here; ffmpeg, whose output is what is judged, times each one a frame after the one before.
  for (const row of untimed) {
    const prev = rows[rows.length - 1]!;
    if (!(prev.duration > 0)) break;
    rows.push({ ...row, pts: prev.pts + prev.duration });
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

/**
 * The packets from the first frame a decoder gives (`first`, buildFirstDecodedArgs) on: a source begun mid-GOP
 * (a capture, an HLS segment cut from a stream) starts with packets that reference pictures or parameter sets
 * from before the file, and they decode to nothing. Planned as frames, segment 0 expected them and could never
 * have them (78 expected, 15 decoded, on a real capture).
 */
export function fromFirstDecoded(packets: PacketRow[], first: number): PacketRow[] {
  return packets.filter((p) => p.pts >= first - 1e-4);
}
