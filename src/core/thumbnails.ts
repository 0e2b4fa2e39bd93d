/**
 * Thumbnails and a poster (pure): which source frame each thumbnail is, which segment's encode makes it, and
 * the extra outputs a segment's ffmpeg writes them with (from the same decode: no second read of the source).
 * Their sprite sheets and WebVTT map: thumbnail-sheets.ts.
 *
 * Thumbnail k shows the output at t = k * everySeconds (output timeline: 0 is the source's first frame): it is
 * the frame on screen then, the last frame whose time is at or before t. So the thumbnails of a source of
 * duration D are ceil(D / everySeconds), each is exactly one frame, and each belongs to exactly one segment
 * (the one holding that frame). They are picked here from the frame list at planning and carried by the tasks
 * as frame numbers counted from the segment's first, so that a segment's encode selects them by number after
 * its trim, whatever its read (seek or pre-roll).
 */
import { DEINTERLACE, type OutputFormat } from './output-format.js';
import type { PlannedSegment, TaskThumbnails, ThumbnailSpec } from './types.js';

/** ffprobe prints times to the microsecond: a frame within half of one of t is at t. */
const TIME_TOLERANCE = 5e-7;

/** The poster shows the frame on screen at this share of the duration (past a black or titled first frame). */
export const POSTER_AT = 0.1;
/** The poster's width at most (narrower sources keep theirs). */
export const POSTER_MAX_WIDTH = 640;

export interface FrameList {
  frameTimes: number[];
  lastFrameDuration: number;
}

/** Seconds from the first frame's start to the last frame's end: the output's duration. */
export function outputDuration(v: FrameList): number {
  const t = v.frameTimes;
  return t.length ? t[t.length - 1]! + v.lastFrameDuration - t[0]! : 0;
}

/** The index of the frame on screen at `t` seconds of the output (the last whose time is at or before it). */
export function frameShownAt(frameTimes: number[], t: number): number {
  const at = frameTimes[0]! + t + TIME_TOLERANCE;
  let lo = 0;
  let hi = frameTimes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frameTimes[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The times (output timeline) of the thumbnails: every `everySeconds` from 0 while before the end. */
export function thumbnailTimes(duration: number, everySeconds: number): number[] {
  const times: number[] = [];
  for (let k = 0; k * everySeconds < duration - TIME_TOLERANCE; k++) times.push(k * everySeconds);
  return times;
}

/** The poster's time on the output timeline. */
export function posterTime(duration: number): number {
  return duration * POSTER_AT;
}

/**
 * Each video segment's share of the thumbnails: the first thumbnail's number, the frames (counted from the
 * segment's first) of its thumbnails in order, and the poster's frame where the segment holds it. Segments
 * with neither have no entry.
 */
export function thumbnailsOfSegments(
  video: FrameList,
  spec: Pick<ThumbnailSpec, 'everySeconds'>,
  segments: Array<Pick<PlannedSegment, 'index' | 'startFrame' | 'frameCount'>>,
): Map<number, TaskThumbnails> {
  const duration = outputDuration(video);
  const frames = thumbnailTimes(duration, spec.everySeconds).map((t) => frameShownAt(video.frameTimes, t));
  const poster = frameShownAt(video.frameTimes, posterTime(duration));
  const out = new Map<number, TaskThumbnails>();
  for (const s of segments) {
    const end = s.startFrame + s.frameCount;
    const first = frames.findIndex((f) => f >= s.startFrame && f < end);
    const mine = first < 0 ? [] : frames.slice(first).filter((f) => f < end);
    const holdsPoster = poster >= s.startFrame && poster < end;
    if (!mine.length && !holdsPoster) continue;
    out.set(s.index, {
      first: Math.max(first, 0),
      frames: mine.map((f) => f - s.startFrame),
      ...(holdsPoster ? { poster: poster - s.startFrame } : {}),
    });
  }
  return out;
}

/** `select` of frames by their number in the segment (after its trim). */
export function frameSelect(frames: number[]): string {
  return `select='${frames.map((f) => `eq(n\\,${f})`).join('+')}'`;
}

/**
 * A JPEG's picture: `width` wide, the height keeping the display aspect ratio (`dar`: pixels times their aspect),
 * even; square pixels; full-range 8-bit 4:2:0, as JPEG is (a 10-bit or limited-range source converted).
 */
export function jpegPicture(width: number, fullRangeSource: boolean): string[] {
  const range = fullRangeSource ? ':in_range=pc:out_range=pc' : ':out_range=pc';
  return [`scale=w=${width}:h='max(2\\,2*trunc(${width}/dar/2+0.5))'${range}`, 'setsar=1', 'format=yuvj420p'];
}

/**
 * The frames a segment's encode writes, each once, in order: where the source holds one frame for longer than
 * the interval (a VFR gap), consecutive thumbnails are the same frame. The encode's file `j` is the j-th.
 */
export function distinctFrames(frames: number[]): number[] {
  return frames.filter((f, k) => k === 0 || f !== frames[k - 1]);
}

/** What a segment's encode needs to also write its thumbnails and poster. */
export interface ThumbnailOutputs {
  thumbnails: TaskThumbnails;
  width: number;
  posterWidth: number;
  /** image2 pattern of the thumbnail files (`.../name-%05d.jpg`): file j is the j-th of `distinctFrames`. */
  pattern: string;
  posterPath: string;
}

/**
 * The extra outputs of a segment's ffmpeg: its decoded frames (the same decode as the encode's) through the
 * segment's trim and rebase, the deinterlace where the encode has it, then a `select` of the thumbnails' frames
 * (and another of the poster's) scaled to JPEG. Placed after the encode's output, each with its own filters.
 */
export function thumbnailOutputArgs(
  o: ThumbnailOutputs,
  streamIndex: number,
  trim: string,
  format: Pick<OutputFormat, 'deinterlace' | 'fullRange'>,
): string[] {
  const head = [trim, 'setpts=PTS-STARTPTS', ...(format.deinterlace ? [DEINTERLACE] : [])].filter((f) => f !== 'null');
  const output = (frames: number[], width: number): string[] => [
    '-map',
    `0:${streamIndex}`,
    '-frames:v',
    String(frames.length),
    '-vf',
    [...head, frameSelect(frames), ...jpegPicture(width, format.fullRange)].join(','),
    '-an',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
  ];
  const a: string[] = [];
  const t = o.thumbnails;
  const frames = distinctFrames(t.frames);
  if (frames.length) a.push(...output(frames, o.width), '-start_number', '0', '-f', 'image2', o.pattern);
  if (t.poster !== undefined) a.push(...output([t.poster], o.posterWidth), '-update', '1', '-f', 'image2', o.posterPath);
  return a;
}

/** The file name of thumbnail `index` (`00003.jpg`), in the store and in an image2 pattern's numbering. */
export function thumbnailName(index: number): string {
  return `${String(index).padStart(5, '0')}.jpg`;
}

/** Store keys of a job's thumbnails and poster, from the segments' encodes to the finish. */
export function thumbnailKey(jobId: string, index: number): string {
  return `${jobId}/thumbs/${thumbnailName(index)}`;
}

export function posterKey(jobId: string): string {
  return `${jobId}/thumbs/poster.jpg`;
}

/** The poster's width: at most POSTER_MAX_WIDTH, and no wider than the output (or the source). */
export function posterWidth(outputWidth: number): number {
  return Math.min(POSTER_MAX_WIDTH, 2 * Math.floor(outputWidth / 2));
}

/** A plan's tasks with their thumbnails (`spec` set): each video task gets its share, if it has one. */
export function withThumbnails<T extends { kind: string; index: number; startFrame: number; frameCount: number }>(
  tasks: T[],
  video: FrameList,
  spec: ThumbnailSpec | undefined,
): Array<T & { thumbnails?: TaskThumbnails }> {
  if (!spec) return tasks;
  const shares = thumbnailsOfSegments(
    video,
    spec,
    tasks.filter((t) => t.kind === 'video'),
  );
  return tasks.map((t) => {
    const share = t.kind === 'video' ? shares.get(t.index) : undefined;
    return share ? { ...t, thumbnails: share } : t;
  });
}
