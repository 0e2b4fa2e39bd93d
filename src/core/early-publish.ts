/**
 * Publishing a ladder while it encodes (`--publish-early`): what part of it a player may have. Pure.
 *
 * The published part is always the contiguous prefix of media segments whose tasks are done (and the audio
 * task, whose one encode makes every audio segment): a player plays from the start, so a segment done after a
 * hole is of no use until the hole is filled. The media playlists are HLS EVENT playlists of that prefix (a
 * player reloads them and plays on; nothing is ever taken out of them), the DASH manifest a dynamic one; the
 * VOD playlists of the finished job replace them (docs/adr/0017-event-playlists-while-encoding.md).
 */
import type { LadderIndex, RenditionIndex } from './playlists.js';
import type { JobTimings, TaskRecord } from './types.js';

export interface DonePrefix {
  /** Video tasks done from the first on, with no gap. */
  tasks: number;
  /** The media segments they hold (0: nothing a player could start on yet). */
  segments: number;
}

/**
 * The contiguous done prefix of a ladder's tasks. Nothing is playable until the audio task (where there is one)
 * is done: every rendition of the master playlist has the audio group.
 */
export function donePrefix(tasks: ReadonlyArray<Pick<TaskRecord, 'kind' | 'index' | 'status' | 'media'>>): DonePrefix {
  if (tasks.some((t) => t.kind === 'audio' && t.status !== 'done')) return { tasks: 0, segments: 0 };
  const video = tasks.filter((t) => t.kind === 'video').sort((a, b) => a.index - b.index);
  let n = 0;
  let segments = 0;
  for (const t of video) {
    if (t.index !== n || t.status !== 'done') break;
    segments += t.media?.starts.length ?? 0;
    n++;
  }
  return { tasks: n, segments };
}

function cut(r: RenditionIndex, segments: number): RenditionIndex {
  return { ...r, segments: r.segments.filter((s) => s.number < segments) };
}

/**
 * The ladder cut to its first `segments` media segments in every rendition. The audio is cut on the same
 * segment numbers: its fragments are made on the same grid of segmentSeconds as the video's segments.
 */
export function prefixIndex(l: LadderIndex, segments: number): LadderIndex {
  return { ...l, video: l.video.map((r) => cut(r, segments)), audio: l.audio.map((r) => cut(r, segments)) };
}

/**
 * EXT-X-TARGETDURATION of an EVENT playlist: it may not change while the playlist grows (RFC 8216 6.2.1), so it
 * is set for the planned segments (the media-segment length, rounded up) or the longest published, if longer.
 */
export function eventTargetDuration(segmentSeconds: number, published: RenditionIndex[]): number {
  const longest = Math.max(0, ...published.flatMap((r) => r.segments.map((s) => Math.round(s.duration / r.timescale))));
  return Math.max(1, Math.ceil(segmentSeconds - 1e-9), longest);
}

/**
 * The tasks of a ladder published early, as bounds in media segments (task i holds [b[i], b[i+1])): sizes 1, 2,
 * 4, ... doubling up to `per` (the plan's usual task size), then `per` each, covering `total` segments. A player
 * waits for the first task alone; the small ones after keep the prefix growing while the full-size ones encode.
 */
export function headFirstBounds(total: number, per: number): number[] {
  const bounds = [0];
  let next = 1;
  while (bounds[bounds.length - 1]! < total) {
    bounds.push(Math.min(total, bounds[bounds.length - 1]! + Math.min(next, Math.max(1, per))));
    next = Math.min(Math.max(1, per), next * 2);
  }
  return bounds;
}

/** `first playable after 4.2 s of 31.0 s`, for a job that published early (none for any other). */
export function firstPlayableText(t: Pick<JobTimings, 'firstPlayableMs' | 'totalMs'> | undefined): string[] {
  if (t?.firstPlayableMs === undefined) return [];
  return [`first playable after ${(t.firstPlayableMs / 1000).toFixed(1)} s of ${((t.totalMs ?? 0) / 1000).toFixed(1)} s`];
}
