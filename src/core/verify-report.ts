/**
 * Verification of a merged output against the plan, from a packet scan of the output (no decode; every
 * segment was decoded as it finished). Pure: data in, report out.
 */
import type { MediaAnalysis, SegmentPlan, VerifyReport } from './types.js';

interface ScanJson {
  streams?: Array<{ index: number; codec_type?: string; nb_frames?: string; start_time?: string; duration?: string }>;
  packets?: Array<{ stream_index: number; pts_time?: string; duration_time?: string }>;
}

interface StreamSpan {
  count: number;
  start: number;
  /** End of the last packet; its duration is missing when `endKnown` is false (then end = its pts). */
  end: number;
  endKnown: boolean;
  /** Presentation time of the last packet. */
  lastPts: number;
  /** Where the container records the stream's end (start_time + duration), when it does. */
  recordedEnd?: number;
}

/**
 * Per stream: packets counted, earliest start, latest end. `countsFromIndex`: the scan read only the head and
 * the tail (buildVerifyIndexArgs), so the counts are the index's sample counts (nb_frames).
 */
export function spansFromScan(text: string, opts: { countsFromIndex?: boolean } = {}): Map<number, StreamSpan & { type: string }> {
  const json = JSON.parse(text) as ScanJson;
  const types = new Map((json.streams ?? []).map((s) => [s.index, s.codec_type ?? 'unknown']));
  const spans = new Map<number, StreamSpan & { type: string }>();
  for (const p of json.packets ?? []) {
    const pts = Number(p.pts_time);
    if (!Number.isFinite(pts)) continue;
    const dur = Number(p.duration_time);
    const endKnown = Number.isFinite(dur);
    const end = pts + (endKnown ? dur : 0);
    const s = spans.get(p.stream_index);
    if (!s) spans.set(p.stream_index, { type: types.get(p.stream_index) ?? 'unknown', count: 1, start: pts, end, endKnown, lastPts: pts });
    else {
      s.count++;
      s.lastPts = Math.max(s.lastPts, pts);
      s.start = Math.min(s.start, pts);
      if (end >= s.end) {
        s.end = end;
        s.endKnown = endKnown;
      }
    }
  }
  for (const st of json.streams ?? []) {
    const s = spans.get(st.index);
    const end = Number(st.start_time) + Number(st.duration);
    if (s && Number.isFinite(end)) s.recordedEnd = end;
  }
  if (opts.countsFromIndex) {
    for (const st of json.streams ?? []) {
      const s = spans.get(st.index);
      const n = Number(st.nb_frames);
      if (s) s.count = Number.isInteger(n) ? n : -1;
    }
  }
  return spans;
}

export interface VerifyExpectations {
  analysis: MediaAnalysis;
  plan: SegmentPlan;
  /** Samples per audio frame of the output audio codec at its rate, in seconds (AAC 1024/rate, Opus 0.02). */
  audioFrameSeconds?: number;
  expectAudio: boolean;
  /**
   * Whether the merge set the last frame's duration (an ffmpeg with the setts filter): then the video must end
   * within one frame interval of the source's end. An older ffmpeg keeps the muxer's guess, and the last frame's
   * own duration is the tolerance.
   */
  lastFrameKept?: boolean;
  /**
   * Whether the output's container keeps no duration of its own for the last video frame: ffmpeg 5.1's Matroska
   * muxer writes video as SimpleBlocks (no BlockDuration), so a reader gives every frame the track's default
   * duration and the last frame's length lives only in the Segment's duration (the latest end of any stream).
   * There the last frame lasts as planned.
   */
  lastDurationUnrecorded?: boolean;
}

/**
 * `method`: `scan` (every packet of the output read) or `index` (an MP4/MOV output: counts from its index, the
 * start and end from its first and last packets; each segment was decoded and counted when it was encoded).
 */
export function buildVerifyReport(scanText: string, e: VerifyExpectations, method: 'scan' | 'index' = 'scan'): VerifyReport {
  const spans = [...spansFromScan(scanText, { countsFromIndex: method === 'index' }).values()];
  const v = e.analysis.video;
  // Where the reader gives the last packet no duration (ffmpeg 5.1's MP4 reader, on tracks with B-frames), the
  // stream ends where the container records it, as every player reads it; only where it records nothing does the
  // last frame last as planned. Assuming the plan there hid an MP4 whose track ended 1.2 s early.
  const video = spans.find((s) => s.type === 'video');
  if (video && e.lastDurationUnrecorded) {
    video.end = video.lastPts;
    video.endKnown = false;
    delete video.recordedEnd;
  }
  if (video && !video.endKnown)
    video.end = video.recordedEnd !== undefined ? Math.max(video.end, video.recordedEnd) : video.end + v.lastFrameDuration;
  const audio = spans.find((s) => s.type === 'audio');
  if (audio && !audio.endKnown)
    audio.end = audio.recordedEnd !== undefined ? Math.max(audio.end, audio.recordedEnd) : audio.end + (e.audioFrameSeconds ?? 0);
  const first = v.frameTimes[0]!;
  const last = v.frameTimes[v.frameTimes.length - 1]!;
  const expectedDuration = last + v.lastFrameDuration - first;
  const avgInterval = v.frameTimes.length > 1 ? (last - first) / (v.frameTimes.length - 1) : v.lastFrameDuration;
  const oneFrame = (e.lastFrameKept ? Math.max(avgInterval, 0.05) : Math.max(avgInterval, v.lastFrameDuration)) + 1e-3;
  const failures: string[] = [];
  const frames = video?.count ?? 0;
  const videoDuration = video ? video.end - video.start : 0;
  if (!video) failures.push('the output has no video stream');
  if (frames !== e.plan.totalFrames) failures.push(`frame count ${frames}, expected ${e.plan.totalFrames}`);
  if (video && Math.abs(videoDuration - expectedDuration) > oneFrame) {
    failures.push(
      `video duration ${videoDuration.toFixed(3)} s, expected ${expectedDuration.toFixed(3)} s (tolerance one frame, ${oneFrame.toFixed(3)} s)`,
    );
  }
  const report: VerifyReport = { ok: false, method, expectedFrames: e.plan.totalFrames, frames, expectedDuration, videoDuration, failures };
  if (e.expectAudio) {
    if (!audio) failures.push('the output has no audio stream');
    else {
      report.audioDuration = audio.end - Math.max(0, audio.start);
      const src = e.analysis.audio[0];
      const srcAudioEnd = src?.endTime;
      if (video && srcAudioEnd !== undefined) {
        // Measured from the last frame's start: the last frame's duration is not kept the same by every muxer.
        const srcGap = srcAudioEnd - last;
        const outGap = audio.end - video.lastPts;
        const tol = (e.audioFrameSeconds ?? 0.025) + 2e-3;
        if (Math.abs(outGap - srcGap) > tol) {
          failures.push(
            `audio ends ${outGap.toFixed(3)} s after the last video frame starts, in the source ${srcGap.toFixed(3)} s (tolerance one audio frame, ${tol.toFixed(3)} s)`,
          );
        }
      }
    }
  }
  report.ok = failures.length === 0;
  return report;
}
