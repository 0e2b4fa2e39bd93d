/** Fixed, deterministic names for a job's tasks and files (job id + kind + zero-padded index). */
import { segmentReadOf } from './cut-policy.js';
import { audioIntermediateExt } from './profile.js';
import type { EncodeProfile, MediaAnalysis, SegmentPlan, TaskKind, TaskMediaSegments, TaskRecord } from './types.js';

export function taskKey(jobId: string, kind: TaskKind, index: number): string {
  return `${jobId}/${kind === 'video' ? 'v' : 'a'}${String(index).padStart(5, '0')}`;
}

export function videoSegmentBlobKey(jobId: string, index: number): string {
  return `${taskKey(jobId, 'video', index)}.mp4`;
}

export function audioBlobKey(jobId: string, ext: string): string {
  return `${taskKey(jobId, 'audio', 0)}.${ext}`;
}

/** Job ids: 12 lowercase base-36 characters, safe in paths, URLs and DynamoDB keys. */
export const JOB_ID_PATTERN = /^[a-z0-9]{6,32}$/;

/**
 * The tasks of a plan, as the ledger stores them: one per video segment, with its range and read window (so
 * that its encode needs no frame list), and one for the audio track when the profile encodes audio. A ladder's
 * tasks also carry their media segments (`media`, one per task of the plan), and their output is the manifest
 * of what they made (`.json`); the media segments themselves go to the output folder.
 */
export function tasksOfPlan(
  jobId: string,
  analysis: MediaAnalysis,
  plan: SegmentPlan,
  profile: EncodeProfile,
  media?: TaskMediaSegments[],
): Array<Omit<TaskRecord, 'status' | 'attempts'>> {
  const manifest = (kind: TaskKind, index: number) => `${taskKey(jobId, kind, index)}.json`;
  const tasks: Array<Omit<TaskRecord, 'status' | 'attempts'>> = plan.segments.map((s) => ({
    jobId,
    kind: 'video',
    index: s.index,
    key: taskKey(jobId, 'video', s.index),
    startFrame: s.startFrame,
    frameCount: s.frameCount,
    startTime: s.startTime,
    endTime: s.endTime,
    outputKey: media ? manifest('video', s.index) : videoSegmentBlobKey(jobId, s.index),
    read: segmentReadOf(analysis, s),
    ...(media ? { media: media[s.index]! } : {}),
  }));
  const ac = profile.audioCodec;
  if (analysis.audio.length > 0 && (ac === 'aac' || ac === 'opus')) {
    tasks.push({
      jobId,
      kind: 'audio',
      index: 0,
      key: taskKey(jobId, 'audio', 0),
      startFrame: 0,
      frameCount: 0,
      startTime: analysis.startTime,
      endTime: analysis.startTime + analysis.duration,
      outputKey: media ? manifest('audio', 0) : audioBlobKey(jobId, audioIntermediateExt(ac)),
    });
  }
  return tasks;
}
