/**
 * Encode profiles: defaults, the encoder behind each codec, and which codecs each container can hold.
 */
import { UsageError } from './errors.js';
import { checkPixelOptions } from './output-format.js';
import type { AudioCodec, Container, EncodeProfile, VideoCodec } from './types.js';

export const VIDEO_ENCODERS: Record<VideoCodec, string> = {
  h264: 'libx264',
  hevc: 'libx265',
  vp9: 'libvpx-vp9',
  av1: 'libsvtav1',
};

export const AUDIO_ENCODERS: Record<'aac' | 'opus', string> = { aac: 'aac', opus: 'libopus' };

/**
 * The names `--video-codec` takes for each codec: its own, the standard's other name and its encoder's
 * (h265 and x265 for hevc, avc and x264 for h264, libvpx-vp9, libsvtav1), in any case.
 */
export const VIDEO_CODEC_ALIASES: Record<string, VideoCodec> = {
  h264: 'h264',
  avc: 'h264',
  x264: 'h264',
  libx264: 'h264',
  hevc: 'hevc',
  h265: 'hevc',
  x265: 'hevc',
  libx265: 'hevc',
  vp9: 'vp9',
  'libvpx-vp9': 'vp9',
  av1: 'av1',
  svtav1: 'av1',
  libsvtav1: 'av1',
};

/** The codec a `--video-codec` name stands for; undefined for a name that is none of them. */
export function parseVideoCodec(name: string): VideoCodec | undefined {
  const key = name.trim().toLowerCase();
  return Object.hasOwn(VIDEO_CODEC_ALIASES, key) ? VIDEO_CODEC_ALIASES[key] : undefined;
}

/** Default CRF per codec, chosen for similar visual quality to x264 CRF 23. */
export const DEFAULT_CRF: Record<VideoCodec, number> = { h264: 23, hevc: 28, vp9: 33, av1: 35 };

const CONTAINER_VIDEO: Record<Container, VideoCodec[]> = {
  mp4: ['h264', 'hevc', 'vp9', 'av1'],
  mov: ['h264', 'hevc'],
  mkv: ['h264', 'hevc', 'vp9', 'av1'],
  webm: ['vp9', 'av1'],
};
const CONTAINER_AUDIO: Record<Container, Array<'aac' | 'opus'>> = {
  mp4: ['aac', 'opus'],
  mov: ['aac'],
  mkv: ['aac', 'opus'],
  webm: ['opus'],
};

export function containerFromPath(path: string): Container {
  const m = /\.([A-Za-z0-9]+)$/.exec(path);
  const ext = m?.[1]?.toLowerCase();
  if (ext === 'mp4' || ext === 'm4v') return 'mp4';
  if (ext === 'mkv') return 'mkv';
  if (ext === 'webm') return 'webm';
  if (ext === 'mov') return 'mov';
  throw new UsageError(`cannot tell the output container from "${path}": use a name ending in .mp4, .mkv, .webm or .mov`);
}

export interface ProfileInput {
  container: Container;
  videoCodec?: VideoCodec;
  crf?: number;
  preset?: string;
  width?: number;
  height?: number;
  maxHeight?: number;
  audioCodec?: AudioCodec;
  audioBitrateKbps?: number;
  pixelFormat?: string;
  bitDepth?: number;
  deinterlace?: boolean;
}

/** Fills in defaults and checks that the codecs fit the container. */
export function resolveProfile(p: ProfileInput): EncodeProfile {
  const videoCodec = p.videoCodec ?? (p.container === 'webm' ? 'vp9' : 'h264');
  if (!CONTAINER_VIDEO[p.container].includes(videoCodec)) {
    throw new UsageError(
      `a .${p.container} output cannot hold ${videoCodec} video; choose one of: ${CONTAINER_VIDEO[p.container].join(', ')}`,
    );
  }
  const audioCodec = p.audioCodec ?? (p.container === 'webm' ? 'opus' : 'aac');
  if ((audioCodec === 'aac' || audioCodec === 'opus') && !CONTAINER_AUDIO[p.container].includes(audioCodec)) {
    throw new UsageError(
      `a .${p.container} output cannot hold ${audioCodec} audio; choose one of: ${CONTAINER_AUDIO[p.container].join(', ')}, copy, none`,
    );
  }
  const crf = p.crf ?? DEFAULT_CRF[videoCodec];
  const maxCrf = videoCodec === 'h264' || videoCodec === 'hevc' ? 51 : 63;
  if (!Number.isInteger(crf) || crf < 0 || crf > maxCrf)
    throw new UsageError(`--crf must be a whole number from 0 to ${maxCrf} for ${videoCodec}`);
  for (const [name, v] of [
    ['width', p.width],
    ['height', p.height],
    ['max-height', p.maxHeight],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 16 || v > 8192 || v % 2 !== 0)) {
      throw new UsageError(`--${name} must be an even whole number from 16 to 8192`);
    }
  }
  presetArgs(videoCodec, p.preset ?? 'medium'); // validates the preset for this codec (throws UsageError)
  checkPixelOptions(videoCodec, p.pixelFormat, p.bitDepth);
  const profile: EncodeProfile = {
    videoCodec,
    crf,
    preset: p.preset ?? 'medium',
    audioCodec,
    audioBitrateKbps: p.audioBitrateKbps ?? 128,
    container: p.container,
  };
  if (p.pixelFormat !== undefined) profile.pixelFormat = p.pixelFormat;
  if (p.bitDepth !== undefined) profile.bitDepth = p.bitDepth;
  if (p.deinterlace) profile.deinterlace = true;
  if (p.width !== undefined) profile.width = p.width;
  if (p.height !== undefined) profile.height = p.height;
  if (p.maxHeight !== undefined) {
    if (p.width !== undefined || p.height !== undefined) throw new UsageError('--max-height goes without --width and --height');
    profile.maxHeight = p.maxHeight;
  }
  return profile;
}

/** The intermediate file extension for the encoded audio track. */
export function audioIntermediateExt(codec: 'aac' | 'opus'): string {
  return codec === 'aac' ? 'm4a' : 'mka';
}

const SVT_PRESETS: Record<string, number> = {
  ultrafast: 12,
  superfast: 11,
  veryfast: 10,
  faster: 9,
  fast: 8,
  medium: 7,
  slow: 5,
  slower: 4,
  veryslow: 2,
  placebo: 1,
};
const VPX_CPU_USED: Record<string, number> = {
  ultrafast: 8,
  superfast: 7,
  veryfast: 6,
  faster: 5,
  fast: 4,
  medium: 3,
  slow: 2,
  slower: 1,
  veryslow: 0,
  placebo: 0,
};
const X26X_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'];

/**
 * Encoder settings of the profile that are neither preset nor CRF, shared by every encode of the codec (and
 * by the benchmark's plain ffmpeg command). VP9: constant quality needs `-b:v 0`; the keyframe interval is
 * 240 frames (Google's recommended VOD setting, against libvpx's default of 128) so that a segmented encode,
 * which starts each segment on a keyframe, does not add keyframes to the 128-frame cadence (measured: +4.2%
 * size on a 10 s clip in two segments with the default).
 */
export function codecTuningArgs(codec: VideoCodec): string[] {
  return codec === 'vp9' ? ['-b:v', '0', '-g', '240'] : [];
}

/** The encoder's own speed options for a preset name (x264/x265 names; numeric presets pass through). */
export function presetArgs(codec: VideoCodec, preset: string): string[] {
  const n = /^\d+$/.test(preset) ? Number(preset) : undefined;
  if (codec === 'h264' || codec === 'hevc') {
    if (!X26X_PRESETS.includes(preset)) throw new UsageError(`--preset for ${codec} must be one of: ${X26X_PRESETS.join(', ')}`);
    return ['-preset', preset];
  }
  if (codec === 'vp9') {
    const cpu = n ?? VPX_CPU_USED[preset];
    if (cpu === undefined || cpu > 8) throw new UsageError(`--preset for vp9 must be an x264 preset name or a number 0-8`);
    return ['-deadline', 'good', '-cpu-used', String(cpu)];
  }
  const svt = n ?? SVT_PRESETS[preset];
  if (svt === undefined || svt > 13) throw new UsageError(`--preset for av1 must be an x264 preset name or a number 0-13`);
  return ['-preset', String(svt)];
}

/** MP4 and MOV (ISO base media): an index (the moov box) of every sample, mov_text subtitles, faststart. */
export function isMp4Family(container: Container): boolean {
  return container === 'mp4' || container === 'mov';
}
