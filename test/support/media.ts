/**
 * Test helpers: clips generated with ffmpeg's lavfi sources, frame hashes, probes, and the shared corpus.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_MEDIA = resolve(REPO, '..', 'shared', 'media');

export function sharedMedia(name: string): string {
  const p = join(SHARED_MEDIA, name);
  if (!existsSync(p)) throw new Error(`missing shared media file ${p}: the tests read ../shared/media beside the checkout`);
  return p;
}

export function tempDir(prefix = 'shardcast-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr}`);
}

export function ffprobeJson(path: string, entries: string, extra: string[] = []): any {
  const r = spawnSync('ffprobe', ['-v', 'error', ...extra, '-show_entries', entries, '-of', 'json', `file:${path}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ffprobe failed on ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export interface ClipOptions {
  seconds: number;
  size?: string;
  rate?: number;
  /** GOP length in frames (keyframe interval). */
  gop?: number;
  audio?: boolean;
  noise?: number;
  codec?: string;
}

/** A test clip: testsrc2 (+ noise) and a sine tone, H.264/AAC by default. */
export function makeClip(path: string, o: ClipOptions): string {
  const size = o.size ?? '320x240';
  const rate = o.rate ?? 30;
  const noise = o.noise ?? 10;
  const args = ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate},noise=alls=${noise}:allf=t`];
  if (o.audio !== false) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(o.seconds), '-c:v', o.codec ?? 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (o.gop) args.push('-g', String(o.gop));
  if (o.audio !== false) args.push('-c:a', 'aac', '-shortest');
  args.push(path);
  ffmpeg(args);
  return path;
}

/** MD5 of every decoded video frame, in presentation order (pixels only, not timestamps). */
export function frameHashes(path: string): string[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', `file:${path}`, '-map', '0:v:0', '-vsync', 'passthrough', '-f', 'framemd5', '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`framemd5 failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
}

/** Presentation times of the video packets, sorted. */
export function videoTimes(path: string): number[] {
  const j = ffprobeJson(path, 'packet=pts_time', ['-select_streams', 'v:0']);
  return (j.packets as Array<{ pts_time: string }>).map((p) => Number(p.pts_time)).sort((a, b) => a - b);
}
