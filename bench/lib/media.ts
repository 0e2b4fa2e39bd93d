/**
 * Bench media: generated clips (ffmpeg lavfi), PSNR against the source, frame counts.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runChecked } from './exec.js';

export interface NoiseClipSpec {
  name: string;
  seconds: number;
  width: number;
  height: number;
  fps: number;
  /** Strength of the temporal noise filter (ffmpeg `noise=alls=N:allf=t`). */
  noise: number;
}

/**
 * A test pattern with temporal noise (grain that changes every frame, like camera footage) and a sine tone,
 * stored as high-quality H.264 (CRF 12, 2 s GOP) + AAC in MP4, so that decoding the source is cheap and
 * the same for both contenders.
 */
export async function makeNoiseClip(dir: string, spec: NoiseClipSpec): Promise<string> {
  const out = join(dir, `${spec.name}.mp4`);
  await runChecked('ffmpeg', [
    '-nostdin',
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps},noise=alls=${spec.noise}:allf=t`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(spec.seconds),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '12',
    '-g',
    String(spec.fps * 2),
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '192k',
    '-movflags',
    '+faststart',
    out,
  ]);
  return out;
}

/** Average PSNR (all planes, ffmpeg's `average`) of `output` against `source`, both rebased to t=0. */
export async function psnrAverage(output: string, source: string): Promise<number> {
  const { stderr } = await runChecked('ffmpeg', [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-i',
    `file:${output}`,
    '-i',
    `file:${source}`,
    '-lavfi',
    '[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS[b];[a][b]psnr',
    '-f',
    'null',
    '-',
  ]);
  const m = /PSNR .*average:([0-9.]+|inf)/.exec(stderr);
  if (!m) throw new Error(`no PSNR in ffmpeg output for ${output}: ${stderr.slice(-500)}`);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}

/** Number of video packets (= frames) in the first video stream, without decoding. */
export async function videoFrameCount(path: string): Promise<number> {
  const { stdout } = await runChecked('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_packets',
    '-show_entries',
    'stream=nb_read_packets',
    '-of',
    'csv=p=0',
    `file:${path}`,
  ]);
  return Number(stdout.trim());
}

export function sizeOf(path: string): number {
  return statSync(path).size;
}
