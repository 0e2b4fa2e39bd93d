/**
 * The merge: concatenate the video segments by stream copy, mux the audio encoded once, and carry over the
 * source's subtitles, attachments, chapters and global metadata where the output container allows.
 */
import { inputArgs, isCurrentFfmpeg, literalInput } from './ffmpeg-args.js';
import { isMp4Family } from './profile.js';
import type { Container, EncodeProfile, MediaAnalysis, StreamInfo } from './types.js';

/** Subtitle codecs that are text (convertible to mov_text and WebVTT); the rest are bitmaps. */
export const TEXT_SUBTITLES: ReadonlySet<string> = new Set(['subrip', 'srt', 'ass', 'ssa', 'webvtt', 'mov_text', 'text']);

/** Audio codecs each container accepts as a stream copy (audio `copy`). */
const COPY_AUDIO: Record<Container, Set<string> | 'any'> = {
  mp4: new Set(['aac', 'mp3', 'ac3', 'eac3', 'opus', 'alac', 'flac']),
  mov: new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac', 'pcm_s16le', 'pcm_s24le']),
  mkv: 'any',
  webm: new Set(['opus', 'vorbis']),
};

export interface SubtitlePlan {
  stream: StreamInfo;
  codec: string;
}

/** Which subtitle streams the output keeps, and with which codec; the rest are listed as dropped. */
export function planSubtitles(analysis: MediaAnalysis, container: Container): { keep: SubtitlePlan[]; dropped: StreamInfo[] } {
  const keep: SubtitlePlan[] = [];
  const dropped: StreamInfo[] = [];
  for (const s of analysis.subtitles) {
    const text = TEXT_SUBTITLES.has(s.codec);
    if (container === 'mkv') keep.push({ stream: s, codec: 'copy' });
    else if (isMp4Family(container) && text) keep.push({ stream: s, codec: 'mov_text' });
    else if (container === 'webm' && text) keep.push({ stream: s, codec: 'webvtt' });
    else dropped.push(s);
  }
  return { keep, dropped };
}

/** Returns the source audio codecs that cannot be stream-copied into the container (empty: all fit). */
export function audioCopyConflicts(analysis: MediaAnalysis, container: Container): string[] {
  const ok = COPY_AUDIO[container];
  if (ok === 'any') return [];
  return analysis.audio.map((a) => a.codec).filter((c) => !ok.has(c));
}

export interface MergeInput {
  analysis: MediaAnalysis;
  profile: EncodeProfile;
  concatListPath: string;
  /** The encoded audio track file, when audio was encoded (aac/opus). */
  audioPath?: string;
  sourceLocation: string;
  outputPath: string;
  /** libavcodec major version of the ffmpeg that runs it (0 = unknown, treated as current). */
  avcodecMajor?: number;
}

const MUXER: Record<Container, string> = { mp4: 'mp4', mov: 'mov', mkv: 'matroska', webm: 'webm' };

/**
 * Ends the video where the source's last frame ends. Encoders hand their last packets no duration, so a muxer
 * guesses one frame interval: a screen recording whose last frame is shown for 1.57 s lost that much. Two
 * packets get a duration:
 * - the last frame shown (the one at the last frame's time): up to the end. Matroska's duration is the latest
 *   presentation end of any packet.
 * - the last packet in decode order, which with B-frames is not that frame: in MP4 it closes the track's
 *   decode-time length (`stts`), which is also where the last frame shown stops. Its duration makes that length
 *   equal the presentation span. Given "up to the end" instead, the track came out 1-2 frames long, so every
 *   reader that divides frames by that length got a wrong average rate (23.90 for a 24 fps source), and a decode
 *   to a muxer on that grid saw two frames in one slot (40 "non monotonically increasing dts" errors where the
 *   source gave none).
 * When one packet is both (no B-frame after the last P), it lasts up to the end, in every container. In
 * constant-rate video both rules then give the same duration. In VFR they do not: the encoder's decode delay at
 * the start (the span of the frames it held back) need not equal the last packet's PTS - DTS, and the decode
 * rule ended the presentation early by the difference (a screen recording cut every second: 7.57 s of 8.73, its
 * first segment's delay 1.157 s, the last packet's 0). The presentation wins; the track's decode length is then
 * that difference longer. `pts`/`dts` are restated because 5.1's setts otherwise sets both to the same value.
 *
 * Times are in the packets' own ticks. For MP4/MOV that is the filter's TB. Not for Matroska: ffmpeg sets the
 * filter's TB from the stream before the muxer's header turns it into milliseconds, so its packets arrive in
 * 1/1000 while TB still says the segments' 1/24000, and `10/TB-PTS` gave the last packet 240 s (a 10 s file
 * whose Matroska duration read 4 minutes).
 */
export function lastFrameDurationFilter(analysis: MediaAnalysis, videoOffset: number, container: Container): string {
  const t = analysis.video.frameTimes;
  const n = t.length;
  const lastStart = videoOffset + (t[n - 1]! - t[0]!);
  const e = (lastStart + analysis.video.lastFrameDuration).toFixed(6);
  // Halfway to the frame before: only the last frame shown is at or after it.
  const lastShown = (n > 1 ? lastStart - (t[n - 1]! - t[n - 2]!) / 2 : lastStart - analysis.video.lastFrameDuration / 2).toFixed(6);
  const mp4 = isMp4Family(container);
  const tb = mp4 ? 'TB' : '0.001';
  const shown = [`gte(PTS\\,${lastShown}/${tb})`, `${e}/${tb}-PTS`];
  const decoded = [`eq(N\\,${n - 1})`, `${e}/${tb}-STARTPTS-DTS+STARTDTS`];
  return `setts=pts=PTS:dts=DTS:duration=if(${shown[0]}\\,${shown[1]}\\,if(${decoded[0]}\\,${decoded[1]}\\,DURATION))`;
}

export function buildMergeArgs(m: MergeInput): string[] {
  const { analysis, profile } = m;
  const container = profile.container;
  const inputs: string[] = [];
  const maps: string[] = [];
  const codecs: string[] = ['-c:v', 'copy'];

  // Input 0: the segments. Shift them to where the video started relative to the container start.
  const videoOffset = (analysis.video.frameTimes[0] ?? 0) - analysis.startTime;
  if (Math.abs(videoOffset) > 1e-6) inputs.push('-itsoffset', videoOffset.toFixed(6));
  inputs.push('-f', 'concat', '-safe', '0', '-protocol_whitelist', 'file,http,https,tcp,tls,crypto', '-i', literalInput(m.concatListPath));
  maps.push('-map', '0:v:0');

  let next = 1;
  if (m.audioPath && analysis.audio.length > 0 && (profile.audioCodec === 'aac' || profile.audioCodec === 'opus')) {
    inputs.push(...inputArgs(m.audioPath));
    maps.push('-map', `${next}:a`);
    codecs.push('-c:a', 'copy');
    next++;
  }
  const subs = planSubtitles(analysis, container).keep;
  const copyAudio = profile.audioCodec === 'copy' && analysis.audio.length > 0;
  const attachments = container === 'mkv' ? analysis.others.filter((o) => o.type === 'attachment') : [];
  // The source is always an input: it gives the global metadata and chapters, and any copied streams.
  {
    const src = next;
    // With -copyts (below) nothing is rebased per input: shift the source like ffmpeg's own default would.
    if (Math.abs(analysis.startTime) > 1e-6) inputs.push('-itsoffset', (-analysis.startTime).toFixed(6));
    inputs.push(...inputArgs(m.sourceLocation));
    if (copyAudio) {
      for (const a of analysis.audio) maps.push('-map', `${src}:${a.index}`);
      codecs.push('-c:a', 'copy');
    }
    subs.forEach((s, i) => {
      maps.push('-map', `${src}:${s.stream.index}`);
      codecs.push(`-c:s:${i}`, s.codec);
    });
    for (const t of attachments) maps.push('-map', `${src}:${t.index}`);
    if (attachments.length) codecs.push('-c:t', 'copy');
    maps.push('-map_metadata', String(src), '-map_chapters', String(src));
  }
  // The npm-shipped 4.1 build has no setts filter: there the muxer's guess stays.
  const out: string[] = isCurrentFfmpeg(m.avcodecMajor) ? ['-bsf:v', lastFrameDurationFilter(analysis, videoOffset, container)] : [];
  if (profile.videoCodec === 'hevc' && isMp4Family(container)) out.push('-tag:v', 'hvc1');
  if (isMp4Family(container)) out.push('-movflags', '+faststart');
  // -copyts: keep every input's own timeline. The segments start at 0 (+ the video offset), the audio file
  // already starts where the source audio started (ffmpeg rebased it to the container start when encoding).
  // Without it ffmpeg would rebase each input to its first timestamp and drop the audio's start offset.
  return [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-v',
    'error',
    '-y',
    '-copyts',
    ...inputs,
    ...maps,
    ...codecs,
    ...out,
    '-fflags',
    '+bitexact',
    '-f',
    MUXER[container],
    m.outputPath,
  ];
}
