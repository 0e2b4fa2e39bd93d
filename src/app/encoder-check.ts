/**
 * Before a job exists: can the ffmpeg at hand encode with the job's encoders and their options? A build without
 * libsvtav1, or one whose libsvtav1 predates `-svtav1-params`, used to fail every segment three times and end on
 * ffmpeg's "Error splitting the argument list: Option not found". Now a tiny encode per encoder (core/ffmpeg-args.ts
 * encoderProbeArgs, a fraction of a second, once per process) refuses the request in one line that names the
 * cause and the fix.
 */
import { ffmpegErrorLine, ToolMissingError } from '../core/errors.js';
import { encoderProbeArgs } from '../core/encoder-probe-args.js';
import { AUDIO_ENCODERS, VIDEO_ENCODERS } from '../core/profile.js';
import type { EncodeProfile } from '../core/types.js';
import type { MediaTool } from '../ports/media-tool.js';
import { toolOrigin } from './tool-words.js';
import { checkVmaf } from './vmaf.js';

/** Probes already passed in this process, by ffmpeg and command. */
const passed = new Set<string>();

/** Why the probe of one encoder failed, or undefined when it encodes. */
async function probe(media: MediaTool, ffmpegPath: string, args: string[]): Promise<string | undefined> {
  const key = `${ffmpegPath}\0${args.join('\0')}`;
  if (passed.has(key)) return undefined;
  const r = await media.run('ffmpeg', args, { timeoutMs: 60_000 });
  if (r.exitCode === 0) {
    passed.add(key);
    return undefined;
  }
  return ffmpegErrorLine(r.stderrTail).replace(/\.$/, '') || `exit ${r.exitCode ?? r.signal}`;
}

export async function checkEncoders(media: MediaTool, profile: EncodeProfile): Promise<void> {
  await checkVideoAndAudio(media, profile);
  if (profile.target?.metric === 'vmaf') await checkVmaf(media, profile.target);
}

async function checkVideoAndAudio(media: MediaTool, profile: EncodeProfile): Promise<void> {
  const ffmpeg = (await media.info()).find((t) => t.tool === 'ffmpeg');
  const path = ffmpeg?.path ?? 'ffmpeg';
  const audioArgs = encoderProbeArgs(profile, 'audio');
  const [video, audio] = await Promise.all([
    probe(media, path, encoderProbeArgs(profile, 'video')!),
    audioArgs ? probe(media, path, audioArgs) : undefined,
  ]);
  if (video === undefined && audio === undefined) return;
  const which = ffmpeg ? `ffmpeg ${ffmpeg.version} (${ffmpeg.path}, from ${toolOrigin(ffmpeg)})` : 'ffmpeg';
  const depth = profile.pixelFormat ? ` in ${profile.pixelFormat}` : profile.bitDepth ? ` at ${profile.bitDepth} bits` : '';
  const failed: Array<{ encoder: string; why: string }> = [];
  if (video !== undefined) failed.push({ encoder: `${VIDEO_ENCODERS[profile.videoCodec]}${depth}`, why: video });
  if (audio !== undefined) failed.push({ encoder: AUDIO_ENCODERS[profile.audioCodec as 'aac' | 'opus'], why: audio });
  const names = failed.map((f) => f.encoder.split(' ')[0]).join(' and ');
  throw new ToolMissingError(
    `${which} cannot encode with ${failed.map((f) => `${f.encoder} as this job asks (${f.why})`).join(', nor with ')}; install an ffmpeg that has ${names} (Debian 12 and Ubuntu: apt-get install ffmpeg) or set FFMPEG_PATH to one (\`shardcast doctor\` lists an ffmpeg's encoders)`,
  );
}
