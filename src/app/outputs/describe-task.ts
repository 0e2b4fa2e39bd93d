/** How a task is named in messages: `the audio track`, `segment 3 (frames 120-179, 5.005-7.508 s)`. */
import type { TaskRecord } from '../../core/types.js';

/** The short name: `the audio track`, `segment 3`. */
export function taskName(task: Pick<TaskRecord, 'kind' | 'index'>): string {
  return task.kind === 'audio' ? 'the audio track' : `segment ${task.index}`;
}

export function describeTask(task: Pick<TaskRecord, 'kind' | 'index' | 'startFrame' | 'frameCount' | 'startTime' | 'endTime'>): string {
  if (task.kind === 'audio') return 'the audio track';
  return `segment ${task.index} (frames ${task.startFrame}-${task.startFrame + task.frameCount - 1}, ${task.startTime.toFixed(3)}-${task.endTime.toFixed(3)} s)`;
}
