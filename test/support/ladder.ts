/**
 * The HLS/DASH ladder that test/e2e/cli-ladder.test.ts and test/corpus/ladder-judge.test.ts both check: its CLI
 * arguments, the clip's frame counts, and one function that makes the clip and the ladder in a folder.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'm3u8-parser';
import { cli } from './cli.js';
import { makeClip } from './media.js';

export const LADDER = [
  '--ladder',
  '360,240:300k',
  '--dash',
  '--segment-duration',
  '2',
  '--preset',
  'veryfast',
  '--workers',
  '2',
  '--no-progress',
  '--json',
];
/** The clip's frames: 8 s at 24 fps; media segments start every 2 s (48 frames). */
export const FRAMES = 192;
export const SEGMENT_FRAMES = 48;

export function parseM3u8(path: string): any {
  const p = new Parser();
  p.push(readFileSync(path, 'utf8'));
  p.end();
  return p.manifest;
}

/**
 * Makes the clip (`dir`/clip.mp4: 8 s, 640x360, 24 fps) and its ladder (`dir`/hls/master.m3u8 and manifest.mpd)
 * with the CLI in `stateDir`; returns the paths and the job's `--json` view.
 */
export function makeLadder(dir: string, stateDir: string): { clip: string; out: string; view: any } {
  const clip = makeClip(join(dir, 'clip.mp4'), { seconds: 8, size: '640x360', rate: 24, gop: 100, noise: 4 });
  const out = join(dir, 'hls');
  const r = cli(['transcode', clip, join(out, 'master.m3u8'), ...LADDER], { stateDir, timeoutMs: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  return { clip, out, view: JSON.parse(r.stdout) };
}
