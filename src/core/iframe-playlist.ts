/**
 * HLS I-frame playlists (RFC 8216 4.3.3.6, EXT-X-I-FRAMES-ONLY) of a ladder's video renditions, for trick play
 * and scrubbing thumbnails: one entry per keyframe, a byte range of the fMP4 media segment holding it. The range
 * runs from the keyframe's fragment's moof through the end of the keyframe's own sample in the mdat (what Apple's
 * segmenter writes for fMP4: a moof and the I-frame's bytes parse as a fragment whose first sample is whole),
 * and its EXTINF is the time to the next keyframe's (the last one's: to the end of the rendition). Pure: the
 * segment's bytes in, the ranges out; the ranges are measured in the task that writes the segment and kept in
 * its manifest, so the publish step reads no segment again.
 */
import { readBoxes, splitFragments, type InitInfo } from './fmp4.js';
import { targetDuration, type KeyframeRange, type RenditionIndex } from './playlists.js';

const NON_SYNC = 0x10000;

/** Where the sample data of a fragment starts: the trun's data offset from its moof (default-base-is-moof), else the mdat's body. */
function dataStart(segment: Buffer, start: number, end: number): number {
  const boxes = readBoxes(segment, start, end);
  const moof = boxes.find((b) => b.type === 'moof');
  const mdat = boxes.find((b) => b.type === 'mdat');
  if (!moof || !mdat) return start;
  const traf = readBoxes(segment, moof.body, moof.end).find((b) => b.type === 'traf');
  const trun = traf ? readBoxes(segment, traf.body, traf.end).find((b) => b.type === 'trun') : undefined;
  if (trun && segment.readUInt32BE(trun.body) & 0x1) return moof.start + segment.readInt32BE(trun.body + 8);
  return mdat.body;
}

/** Every keyframe (sync sample) of a media segment (moof + mdat fragments, no init part), in decode order. */
export function keyframeRanges(segment: Buffer, init: InitInfo): KeyframeRange[] {
  const out: KeyframeRange[] = [];
  for (const f of splitFragments(segment, init).fragments) {
    let at = dataStart(segment, f.start, f.end);
    let dts = f.baseDecodeTime;
    for (const s of f.samples) {
      at += s.size;
      if ((s.flags & NON_SYNC) === 0) out.push({ offset: f.start, length: at - f.start, time: dts + s.cts });
      dts += s.duration;
    }
  }
  return out;
}

export interface IframeEntry extends KeyframeRange {
  file: string;
  /** Seconds to the next keyframe (the last: to the rendition's end). */
  seconds: number;
}

/** The rendition's keyframes in presentation order, each with its duration; none when its manifests had none. */
export function iframeEntries(r: RenditionIndex): IframeEntry[] {
  const all = r.segments.flatMap((s) => (s.keyframes ?? []).map((k) => ({ ...k, file: s.file })));
  if (all.length === 0 || r.segments.some((s) => !s.keyframes)) return [];
  all.sort((a, b) => a.time - b.time);
  const last = r.segments[r.segments.length - 1]!;
  const end = last.start + last.duration + (r.presentationOffset ?? 0);
  return all.map((k, i) => ({ ...k, seconds: ((all[i + 1]?.time ?? end) - k.time) / r.timescale }));
}

/** The I-frame playlist of a video rendition (VOD), over its own init and media segment files. */
export function iframePlaylist(r: RenditionIndex, entries: IframeEntry[]): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${targetDuration(entries.map((e) => e.seconds))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-I-FRAMES-ONLY',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${r.init}"`,
  ];
  for (const e of entries) lines.push(`#EXTINF:${e.seconds.toFixed(6)},`, `#EXT-X-BYTERANGE:${e.length}@${e.offset}`, e.file);
  lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** The I-frame playlist's name in the rendition's folder. */
export const IFRAME_PLAYLIST = 'iframes.m3u8';

/**
 * The master playlist's EXT-X-I-FRAME-STREAM-INF line for a rendition (RFC 8216 4.3.4.3): BANDWIDTH the peak
 * rate of one I-frame over its duration, AVERAGE-BANDWIDTH all of them over the whole, the video's CODECS and
 * RESOLUTION, URI the I-frame playlist.
 */
export function iframeStreamInf(r: RenditionIndex, entries: IframeEntry[]): string {
  const rates = entries.map((e) => (e.length * 8) / Math.max(e.seconds, 1e-3));
  const seconds = entries.reduce((a, e) => a + e.seconds, 0);
  const bytes = entries.reduce((a, e) => a + e.length, 0);
  const attrs = [
    `BANDWIDTH=${Math.ceil(Math.max(0, ...rates))}`,
    `AVERAGE-BANDWIDTH=${Math.ceil(seconds > 0 ? (bytes * 8) / seconds : 0)}`,
    `CODECS="${r.codecs}"`,
    ...(r.width !== undefined ? [`RESOLUTION=${r.width}x${r.height}`] : []),
    `URI="${r.name}/${IFRAME_PLAYLIST}"`,
  ];
  return `#EXT-X-I-FRAME-STREAM-INF:${attrs.join(',')}`;
}
