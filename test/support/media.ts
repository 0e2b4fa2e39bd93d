/**
 * Test helpers: clips generated with ffmpeg's lavfi sources, frame hashes, probes, and the paths of the real media
 * corpus and the shared tools (read only by test/corpus).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The real media corpus (files made by other people, see PROVENANCE.md there): `SHARDCAST_MEDIA`, by default
 * ../shared/media beside the checkout. Only the tests under test/corpus (`npm run test:corpus`) read it.
 */
export const SHARED_MEDIA = process.env.SHARDCAST_MEDIA ? resolve(process.env.SHARDCAST_MEDIA) : resolve(REPO, '..', 'shared', 'media');
/** The shared judge and player (verify_output.py, play_abr.js): `SHARDCAST_SHARED_TOOLS`, by default ../shared/tools. Only test/corpus uses them. */
export const SHARED_TOOLS = process.env.SHARDCAST_SHARED_TOOLS
  ? resolve(process.env.SHARDCAST_SHARED_TOOLS)
  : resolve(REPO, '..', 'shared', 'tools');

/** A file of the media corpus; throws, naming SHARDCAST_MEDIA, when it is not there. */
export function sharedMedia(name: string): string {
  const p = join(SHARED_MEDIA, name);
  if (!existsSync(p)) {
    throw new Error(
      `missing corpus media file ${p}: set SHARDCAST_MEDIA to the media corpus folder (default ../shared/media beside the checkout); only the corpus tests (test/corpus, \`npm run test:corpus\`) read it`,
    );
  }
  return p;
}

/** A shared tool (verify_output.py, play_abr.js); throws, naming SHARDCAST_SHARED_TOOLS, when it is not there. */
export function sharedTool(name: string): string {
  const p = join(SHARED_TOOLS, name);
  if (!existsSync(p)) {
    throw new Error(
      `missing shared tool ${p}: set SHARDCAST_SHARED_TOOLS to the folder that holds verify_output.py and play_abr.js (default ../shared/tools beside the checkout); only the corpus tests (test/corpus, \`npm run test:corpus\`) use them`,
    );
  }
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
  const r = spawnSync('ffprobe', ['-v', 'error', ...extra, '-show_entries', entries, '-of', 'json', `file:${path}`], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
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
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', `file:${path}`, '-map', '0:v:0', '-vsync', 'passthrough', '-f', 'framemd5', '-'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`framemd5 failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

/** Presentation times of the video packets, sorted. */
export function videoTimes(path: string): number[] {
  const j = ffprobeJson(path, 'packet=pts_time', ['-select_streams', 'v:0']);
  return (j.packets as Array<{ pts_time: string }>).map((p) => Number(p.pts_time)).sort((a, b) => a - b);
}

/**
 * Four scenes of one second each that need very different CRFs for one quality (320x180, 24 fps, a keyframe
 * every second): a clean test pattern, the same under heavy noise, the game of life, a cellular automaton; with
 * a tone. What `--target-quality` tests encode.
 */
export function makeMixedClip(path: string): string {
  const scene = (src: string, i: number) => `[${i}:v]${src.includes('trim') ? 'setpts=PTS-STARTPTS,' : ''}format=yuv420p[s${i}]`;
  const sources = [
    'testsrc2=s=320x180:r=24:d=1',
    'testsrc2=s=320x180:r=24:d=1,noise=alls=30:allf=t',
    'life=s=320x180:r=24:mold=10:ratio=0.3:seed=7,trim=duration=1',
    'cellauto=s=320x180:r=24:rule=110:seed=7,trim=duration=1',
  ];
  ffmpeg([
    ...sources.flatMap((s) => ['-f', 'lavfi', '-i', s]),
    '-f',
    'lavfi',
    '-i',
    'sine=f=440:d=4',
    '-filter_complex',
    `${sources.map(scene).join(';')};${sources.map((_, i) => `[s${i}]`).join('')}concat=n=4:v=1:a=0[v]`,
    '-map',
    '[v]',
    '-map',
    '4:a',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '8',
    '-g',
    '24',
    '-c:a',
    'aac',
    path,
  ]);
  return path;
}
