/**
 * The merge: concatenate the video segments by stream copy, mux the audio encoded once, and carry over the
 * source's subtitles, attachments, chapters and global metadata where the output container allows.
 */
import { isCurrentFfmpeg, literalInput } from './ffmpeg-args.js';
import type { Container, EncodeProfile, MediaAnalysis, StreamInfo } from './types.js';

const TEXT_SUBTITLES = new Set(['subrip', 'srt', 'ass', 'ssa', 'webvtt', 'mov_text', 'text']);

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
    else if ((container === 'mp4' || container === 'mov') && text) keep.push({ stream: s, codec: 'mov_text' });
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
 * Gives the last packet (in decode order) the duration that ends the video where the source's last frame ends.
 * Encoders hand their last packet no duration, so a muxer guesses one frame interval: a screen recording whose
 * last frame is shown for 1.57 s lost that much. The expression is in the stream's own time base (TB), so it
 * holds for any muxer; `pts`/`dts` are restated because 5.1's setts otherwise sets both to the same value.
 */
export function lastFrameDurationFilter(analysis: MediaAnalysis, videoOffset: number): string {
  const t = analysis.video.frameTimes;
  const end = videoOffset + (t[t.length - 1]! - t[0]!) + analysis.video.lastFrameDuration;
  return `setts=pts=PTS:dts=DTS:duration=if(eq(N\\,${t.length - 1})\\,${end.toFixed(6)}/TB-PTS\\,DURATION)`;
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
    inputs.push('-i', literalInput(m.audioPath));
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
    inputs.push('-i', literalInput(m.sourceLocation));
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
  const out: string[] = isCurrentFfmpeg(m.avcodecMajor) ? ['-bsf:v', lastFrameDurationFilter(analysis, videoOffset)] : [];
  if (profile.videoCodec === 'hevc' && (container === 'mp4' || container === 'mov')) out.push('-tag:v', 'hvc1');
  if (container === 'mp4' || container === 'mov') out.push('-movflags', '+faststart');
  // -copyts: keep every input's own timeline. The segments start at 0 (+ the video offset), the audio file
  // already starts where the source audio started (ffmpeg rebased it to the container start when encoding).
  // Without it ffmpeg would rebase each input to its first timestamp and drop the audio's start offset.
  return [
    '-nostdin', '-hide_banner', '-nostats', '-v', 'error', '-y', '-copyts',
    ...inputs, ...maps, ...codecs, ...out,
    '-fflags', '+bitexact',
    '-f', MUXER[container], m.outputPath,
  ];
}
