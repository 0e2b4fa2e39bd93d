/**
 * What `doctor` says about the ffmpeg/ffprobe pair: whether they are one build. shardcast plans from ffprobe's
 * reading of the source (streams, frame times, key frames) and cuts, encodes and verifies with ffmpeg; two
 * builds of different ages (the npm-shipped @ffmpeg-installer ffmpeg is a 2018 build, @ffprobe-installer's
 * ffprobe a 2023 one) can disagree on what the source holds.
 */
import { dirname, join } from 'node:path';
import { toolOrigin } from '../app/tool-words.js';
import type { ToolInfo } from '../ports/media-tool.js';

export interface ToolPairCheck {
  /** Whether ffmpeg and ffprobe report one version (and one libavcodec). */
  sameBuild: boolean;
  /** For a person: `WARNING: ...` lines, empty when they are one build. */
  lines: string[];
}

/** Whether ffmpeg and ffprobe are one build; `exists` finds the other tool beside each for the fix. */
export function checkToolPair(tools: readonly ToolInfo[], exists: (path: string) => boolean): ToolPairCheck {
  const ffmpeg = tools.find((t) => t.tool === 'ffmpeg');
  const ffprobe = tools.find((t) => t.tool === 'ffprobe');
  if (!ffmpeg || !ffprobe) return { sameBuild: true, lines: [] };
  const sameBuild =
    ffmpeg.version === ffprobe.version && (ffmpeg.avcodecMajor === ffprobe.avcodecMajor || !ffmpeg.avcodecMajor || !ffprobe.avcodecMajor);
  if (sameBuild) return { sameBuild, lines: [] };
  const from = (t: ToolInfo) => `${t.version}, ${t.path}, from ${toolOrigin(t)}`;
  const probeBesideFfmpeg = join(dirname(ffmpeg.path), 'ffprobe');
  const ffmpegBesideProbe = join(dirname(ffprobe.path), 'ffmpeg');
  const fix = exists(probeBesideFfmpeg)
    ? `set FFPROBE_PATH=${probeBesideFfmpeg} (the ffprobe beside this ffmpeg)`
    : exists(ffmpegBesideProbe)
      ? `set FFMPEG_PATH=${ffmpegBesideProbe} (the ffmpeg beside this ffprobe)`
      : 'set FFMPEG_PATH and FFPROBE_PATH to the ffmpeg and ffprobe of one build (e.g. apt-get install ffmpeg: /usr/bin/ffmpeg and /usr/bin/ffprobe)';
  return {
    sameBuild,
    lines: [
      `WARNING: ffmpeg and ffprobe are different builds: ffmpeg ${from(ffmpeg)}; ffprobe ${from(ffprobe)}`,
      `WARNING: jobs are planned from ffprobe's reading of the source and encoded and verified by ffmpeg, so the two may disagree (streams, frame times, key frames): ${fix}`,
    ],
  };
}
