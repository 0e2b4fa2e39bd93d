/**
 * What an output kind is: how its tasks are planned, how one task is encoded, and how the job is finished once
 * every task is done. Each kind is one folder beside this file (single-file/, ladder/); the stages of a run
 * (analyze-job.ts, encode-task.ts, complete-job.ts) ask `outputKindOf` and branch on nothing else. A new kind
 * is a folder that implements OutputKind and a case in `outputKindOf`.
 */
import type { CutMethod } from '../../core/cut-policy.js';
import type {
  AnalyzedJobHead,
  EncodeProfile,
  JobRecord,
  MediaAnalysis,
  SegmentPlan,
  SegmentQuality,
  SegmentRead,
  TaskMediaSegments,
  TaskRecord,
  TranscodeOptions,
} from '../../core/types.js';
import type { ToolRunResult } from '../../ports/media-tool.js';
import type { AppDeps } from '../deps.js';
import { ladderOutput } from './ladder/ladder-output.js';
import { singleFileOutput } from './single-file/single-file-output.js';

/** What the analysis plans for a kind: the options it fixed, the segments, and the tasks' media segments. */
export interface PlannedTasks {
  options: TranscodeOptions;
  plan: SegmentPlan;
  /** A ladder's media segments, one entry per task of the plan. */
  media?: TaskMediaSegments[];
  /** Words after `N segments of about T s` in the `job.planned` event. */
  note: string;
}

/** One attempt at one task, as encode-task.ts prepared it. */
export interface TaskEncodeContext {
  deps: AppDeps;
  job: AnalyzedJobHead;
  task: TaskRecord;
  /** The segment's read window (video tasks). */
  read: SegmentRead | undefined;
  /** Where ffmpeg reads the source. */
  source: string;
  /** The job's scratch folder on this machine. */
  scratch: string;
  /** The attempt's scratch file, for a kind whose task makes one file. */
  partial: string;
  threads: number;
  decodeThreads?: number;
  avcodecMajor: number;
  signal?: AbortSignal;
  onStdoutLine?: (line: string) => void;
  /** Told the arguments of each ffmpeg the attempt runs (the task records the last). */
  setArgs: (args: string[]) => void;
}

export interface TaskEncodeOutput {
  run: ToolRunResult;
  /** The file stored at the task's output key. */
  file: string;
  /** CPU seconds of every process of this read (encode and check). */
  cpuSeconds: number;
  /** A targeted segment's search and the kept encode's score. */
  quality?: SegmentQuality;
}

/** Rounds of segments encoded at once: their width, and the longest target a time limit allows (if any). */
export interface WaveFill {
  waveWidth: number;
  maxTargetSeconds?: number;
}

export interface OutputKind {
  /** How much a task's encode costs against a plain encode of its stretch of the source (a ladder: every rung). */
  workFactor(analysis: MediaAnalysis, profile: EncodeProfile): number;
  /**
   * Plans the tasks of an analyzed source with the segment target `targetSeconds`; with `waves`, a target the
   * planner chose (not one asked for), at a count that fills rounds of that many (core/plan-segments.ts).
   */
  plan(deps: AppDeps, job: JobRecord, analysis: MediaAnalysis, targetSeconds: number, waves?: WaveFill): Promise<PlannedTasks>;
  /** One read and encode of one task (`method`: how a video segment reads the source). */
  encode(c: TaskEncodeContext, method?: CutMethod): Promise<TaskEncodeOutput>;
  /** From `merging` to `verifying`, the output committed and the job's result recorded. */
  finish(deps: AppDeps, job: JobRecord): Promise<JobRecord>;
}

export function outputKindOf(profile: Pick<EncodeProfile, 'ladder'>): OutputKind {
  return profile.ladder ? ladderOutput : singleFileOutput;
}
