/**
 * What a job still writes, estimated before it writes it (pure). The video of the output is taken as the
 * source's bytes scaled by the output's share of its pixels: a CRF encode of a camera or broadcast source comes
 * out smaller, so this errs high; a screen recording can come out larger. Audio at its bitrate, per track.
 */
import type { AnalysisHead, EncodeProfile } from './types.js';

/** Kept free beyond the estimate: the ledger, the concat list, muxer overhead. */
export const SPACE_MARGIN_BYTES = 16 * 1024 * 1024;

export interface SpaceNeed {
  /** Segment files and the audio file still to be written into the job's scratch folder. */
  scratchBytes: number;
  /** The merged output, written beside the output before it is renamed into place. */
  outputBytes: number;
}

function pixelShare(analysis: AnalysisHead, profile: EncodeProfile): number {
  const { width: sw, height: sh } = analysis.video;
  if (!sw || !sh) return 1;
  let w = sw;
  let h = sh;
  if (profile.width && profile.height) {
    const k = Math.min(profile.width / sw, profile.height / sh);
    w = sw * k;
    h = sh * k;
  } else if (profile.height) {
    w = (sw * profile.height) / sh;
    h = profile.height;
  } else if (profile.width) {
    h = (sh * profile.width) / sw;
    w = profile.width;
  } else if (profile.maxHeight && profile.maxHeight < sh) {
    w = (sw * profile.maxHeight) / sh;
    h = profile.maxHeight;
  }
  return (w * h) / (sw * sh);
}

/**
 * @param videoLeft share of the video (by frames) not encoded yet, 0..1
 * @param audioLeft whether the audio file is still to be written
 */
export function estimateSpaceNeed(analysis: AnalysisHead, profile: EncodeProfile, videoLeft: number, audioLeft: boolean): SpaceNeed {
  const video = analysis.sizeBytes * pixelShare(analysis, profile);
  const encodesAudio = profile.audioCodec === 'aac' || profile.audioCodec === 'opus';
  const audio = encodesAudio ? (analysis.audio.length * profile.audioBitrateKbps * 1000 * analysis.duration) / 8 : 0;
  return {
    scratchBytes: Math.ceil(video * videoLeft + (audioLeft ? audio : 0)) + SPACE_MARGIN_BYTES,
    outputBytes: Math.ceil(video + audio) + SPACE_MARGIN_BYTES,
  };
}

/** 1.5 GB, 230 MB, 12 KB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
