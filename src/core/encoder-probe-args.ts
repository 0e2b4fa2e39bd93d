/**
 * The encodes tried before a job exists (app/encoder-check.ts): generated frames or silence through the job's
 * encoders with their options. Pure.
 */
import { BASE, videoEncoderArgs } from './ffmpeg-args.js';
import type { OutputFormat } from './output-format.js';
import { AUDIO_ENCODERS } from './profile.js';
import type { EncodeProfile } from './types.js';

/**
 * A tiny encode of generated frames, or of silence, with the job's video or audio encoder and its options, to a
 * null output: what an encode of this profile needs from the ffmpeg at hand, tried before a job exists
 * (app/encoder-check.ts). Pixels at the depth asked for, if any (10-bit through an 8-bit-only build fails here,
 * not in every segment). Undefined: the profile encodes no audio.
 */
export function encoderProbeArgs(profile: EncodeProfile, part: 'video' | 'audio'): string[] | undefined {
  if (part === 'audio') {
    const audio = profile.audioCodec;
    if (audio !== 'aac' && audio !== 'opus') return undefined;
    const input = ['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo', '-t', '0.2'];
    return [...BASE, ...input, '-c:a', AUDIO_ENCODERS[audio], '-b:a', `${profile.audioBitrateKbps}k`, '-f', 'null', '-'];
  }
  const depth = profile.bitDepth;
  const pixelFormat = profile.pixelFormat ?? (depth && depth > 8 ? `yuv420p${depth}le` : 'yuv420p');
  const format: OutputFormat = { pixelFormat, fullRange: false, notices: [] };
  const input = ['-f', 'lavfi', '-i', 'testsrc2=size=128x128:rate=25:duration=0.2'];
  return [...BASE, ...input, ...videoEncoderArgs(profile, format, 1), '-f', 'null', '-'];
}
