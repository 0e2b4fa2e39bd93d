/**
 * The finish of a job's thumbnails (pure): where its files land beside the output, the sprite sheets' layout and
 * their `tile` command lines (from the JPEGs the segments' encodes wrote, never the source), and the WebVTT map
 * whose cues name each thumbnail's rectangle in its sheet. Which frames they are: thumbnails.ts.
 */
import { BASE } from './ffmpeg-args.js';
import { thumbnailTimes } from './thumbnails.js';
import { vttTime } from './webvtt.js';

/** Sprite sheets: thumbnails per row, and per sheet. */
export const SPRITE_COLUMNS = 10;
export const SPRITE_PER_SHEET = 100;

/**
 * Where a job's thumbnail files land: beside a single file, in a folder named after it without its extension
 * (`out/movie.mp4` -> `out/movie.thumbs/poster.jpg`); in a ladder's folder, under `thumbs/`. Local paths and
 * s3:// URIs alike.
 */
export function thumbnailsLocation(output: string, ladder: boolean, file: string): string {
  const cut = output.lastIndexOf('/') + 1;
  if (ladder) return `${output.slice(0, cut)}thumbs/${file}`;
  const name = output.slice(cut);
  const dot = name.lastIndexOf('.');
  return `${output.slice(0, cut)}${dot > 0 ? name.slice(0, dot) : name}.thumbs/${file}`;
}

/** One sprite sheet: which thumbnails it holds and its grid. */
export interface SpriteSheet {
  file: string;
  first: number;
  count: number;
  columns: number;
  rows: number;
}

export function spriteSheets(count: number, columns = SPRITE_COLUMNS, perSheet = SPRITE_PER_SHEET): SpriteSheet[] {
  const sheets: SpriteSheet[] = [];
  for (let first = 0, s = 0; first < count; first += perSheet, s++) {
    const n = Math.min(perSheet, count - first);
    const cols = Math.min(columns, n);
    sheets.push({ file: `sprite-${s}.jpg`, first, count: n, columns: cols, rows: Math.ceil(n / cols) });
  }
  return sheets;
}

/** One sheet from the JPEGs numbered from `sheet.first` (`pattern`: an image2 pattern): decodes only them. */
export function buildSpriteArgs(sheet: SpriteSheet, pattern: string, outputPath: string): string[] {
  return [
    ...BASE,
    '-start_number',
    String(sheet.first),
    '-i',
    pattern,
    '-vf',
    `tile=${sheet.columns}x${sheet.rows}`,
    '-frames:v',
    '1',
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    '-update',
    '1',
    '-f',
    'image2',
    outputPath,
  ];
}

/** ffprobe of an image's size (`W,H`). */
export function buildImageSizeArgs(path: string): string[] {
  return ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path];
}

/** A WebVTT time: `HH:MM:SS.mmm` (core/webvtt.ts, which also shifts subtitle cues, writes them). */
export { vttTime };

export interface ThumbnailCue {
  start: number;
  end: number;
  sheet: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Thumbnail k's cue: from its time to the next's (the last one's to the end), and its place in its sheet. */
export function thumbnailCues(duration: number, everySeconds: number, width: number, height: number): ThumbnailCue[] {
  const times = thumbnailTimes(duration, everySeconds);
  const sheets = spriteSheets(times.length);
  return times.map((start, k) => {
    const sheet = sheets[Math.floor(k / SPRITE_PER_SHEET)]!;
    const j = k - sheet.first;
    return {
      start,
      end: Math.min(start + everySeconds, duration),
      sheet: sheet.file,
      x: (j % sheet.columns) * width,
      y: Math.floor(j / sheet.columns) * height,
      w: width,
      h: height,
    };
  });
}

/** The WebVTT map: one cue per thumbnail, its text the sheet (relative to the map) and the rectangle in it. */
export function thumbnailsVtt(cues: ThumbnailCue[]): string {
  const blocks = cues.map((c) => `${vttTime(c.start)} --> ${vttTime(c.end)}\n${c.sheet}#xywh=${c.x},${c.y},${c.w},${c.h}`);
  return ['WEBVTT', ...blocks].join('\n\n') + '\n';
}
