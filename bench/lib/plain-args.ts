/**
 * The plain single-process ffmpeg command shardcast is compared with: the same encoder, preset, CRF, pixel
 * format, audio settings and timestamp handling as shardcast's defaults, with ffmpeg's default threading.
 * Preset and CRF are taken from shardcast's own profile code so the two cannot drift apart.
 */
import { codecTuningArgs, DEFAULT_CRF, presetArgs, VIDEO_ENCODERS } from '../../src/core/profile.js';
import type { VideoCodec } from '../../src/core/types.js';

export function plainVideoArgs(codec: VideoCodec, preset = 'medium'): string[] {
  const a = ['-c:v', VIDEO_ENCODERS[codec], ...presetArgs(codec, preset), '-crf', String(DEFAULT_CRF[codec]), ...codecTuningArgs(codec)];
  if (codec === 'hevc') a.push('-x265-params', 'log-level=error', '-tag:v', 'hvc1');
  return a;
}

/** One ffmpeg process: video + every audio track to AAC 128k, MP4 with faststart. */
export function plainTranscodeArgs(source: string, output: string, codec: VideoCodec): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-v',
    'error',
    '-y',
    '-i',
    `file:${source}`,
    '-map',
    '0:v:0',
    '-map',
    '0:a?',
    '-vsync',
    'passthrough',
    '-enc_time_base',
    '-1',
    ...plainVideoArgs(codec),
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    `file:${output}`,
  ];
}

/**
 * The one-pass reference of the shared judge (../shared/tools/verify_output.py): x264 medium CRF 23, AAC 128k,
 * the source's own frames at the source's own times (`-fps_mode passthrough -enc_time_base -1`: without the
 * second, ffmpeg 5.1 rounds a VFR source's times onto a grid of its average rate), as its header gives it.
 */
export function judgeReferenceArgs(source: string, output: string): string[] {
  return [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-i',
    source,
    '-fps_mode',
    'passthrough',
    '-enc_time_base',
    '-1',
    '-c:v',
    'libx264',
    '-preset',
    'medium',
    '-crf',
    '23',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    output,
  ];
}
