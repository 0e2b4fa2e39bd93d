/**
 * What a run of a source would ask of AWS's limits, worked out before it runs (`shardcast estimate --json`):
 * the plan's segment count and the Map it gets, the inline Map's history, the largest state payload, and the
 * ledger's items (each under DynamoDB's 400 KB) with the read units one segment's encode spends. The plan is
 * the real planner's over the probed frame list, repeated to the projected duration.
 */
import { defaultSegmentSeconds, minExactCutSeconds, planSegments } from '../../core/plan-segments.js';
import {
  HISTORY_EVENT_LIMIT,
  historyEventsOfInvocation,
  INLINE_EVENTS_PER_SEGMENT,
  mapModeFor,
  maxInlineSegments,
  STATE_PAYLOAD_LIMIT_BYTES,
  WORKFLOW_STATE_EVENTS,
  type MapMode,
} from '../../core/state-limits.js';
import { tasksOfPlan } from '../../core/task-keys.js';
import type { TranscodeOptions, JobRecord, MediaAnalysis } from '../../core/types.js';
import { dynamoItemBytes, ITEM_LIMIT_BYTES, ledgerItemsOf } from './dynamodb-items.js';

export interface PlanLimits {
  segments: number;
  mapMode: 'inline' | 'distributed';
  /** The deployment's mode the choice was made under, and the most segments it runs inline. */
  deploymentMapMode: MapMode;
  maxInlineSegments: number;
  /** History events of the parent execution (the inline Map's iterations in it, or not), at no retries. */
  historyEvents: number;
  historyEventLimit: number;
  largestPayloadBytes: number;
  payloadLimitBytes: number;
  jobItemBytes: number;
  largestItemBytes: number;
  itemLimitBytes: number;
  /** Strongly consistent read units of one segment's encode: the job item (its head) and the task item. */
  readUnitsPerSegment: number;
}

/** The probed frame list repeated (or cut) to `durationSeconds`, keyframes with it. */
export function framesForDuration(analysis: MediaAnalysis, durationSeconds: number): MediaAnalysis {
  const v = analysis.video;
  const n = v.frameTimes.length;
  const span = v.frameTimes[n - 1]! + v.lastFrameDuration - v.frameTimes[0]!;
  const total = Math.max(1, Math.round((n * durationSeconds) / Math.max(span, 1e-6)));
  const keys = new Set(v.keyframeIndices);
  const frameTimes: number[] = [];
  const keyframeIndices: number[] = [];
  for (let i = 0; i < total; i++) {
    const r = i % n;
    frameTimes.push(v.frameTimes[r]! + Math.floor(i / n) * span);
    if (keys.has(r)) keyframeIndices.push(i);
  }
  return { ...analysis, duration: durationSeconds, video: { ...v, frameTimes, keyframeIndices } };
}

export function planLimits(input: {
  analysis: MediaAnalysis;
  durationSeconds: number;
  options: TranscodeOptions;
  segmentSeconds?: number;
  concurrency: number;
  mapMode: MapMode;
}): PlanLimits {
  const analysis = framesForDuration(input.analysis, input.durationSeconds);
  const v = analysis.video;
  const plan = planSegments({
    frameTimes: v.frameTimes,
    keyframeIndices: v.keyframeIndices,
    lastFrameDuration: v.lastFrameDuration,
    targetSeconds: input.segmentSeconds ?? defaultSegmentSeconds(analysis.duration, input.concurrency),
    workers: input.concurrency,
    minExactSeconds: minExactCutSeconds(v.keyframeCostSeconds),
  });
  const segments = plan.segments.length;
  const mapMode = mapModeFor(segments, input.mapMode);
  const id = 'estimate0000';
  const tasks = tasksOfPlan(id, analysis, plan, input.options.profile);
  const job: JobRecord = {
    id,
    status: 'encoding',
    backend: 'aws',
    source: 's3://bucket/inputs/source',
    output: 's3://bucket/outputs/output.mp4',
    options: input.options,
    createdAt: 0,
    updatedAt: 0,
    startedAt: 0,
    timings: { analyzeMs: 0 },
    analysis,
    plan,
  };
  const items = ledgerItemsOf(job, tasks);
  const jobItemBytes = dynamoItemBytes(items.job);
  const taskBytes = items.tasks.map(dynamoItemBytes);
  const largestItemBytes = Math.max(jobItemBytes, ...items.chunks.map(dynamoItemBytes), ...taskBytes);
  const analyze = { segments: plan.encodeOrder, segmentCount: segments, audio: tasks.some((t) => t.kind === 'audio') };
  const largestPayloadBytes = Buffer.byteLength(JSON.stringify({ jobId: id, analyze }));
  const inlineEvents = mapMode === 'inline' ? segments * INLINE_EVENTS_PER_SEGMENT : 0;
  return {
    segments,
    mapMode,
    deploymentMapMode: input.mapMode,
    maxInlineSegments: maxInlineSegments(),
    // Analyze, Merge, Finalize (and the audio task) at one attempt each, beside the states and the segments.
    historyEvents:
      WORKFLOW_STATE_EVENTS + (analyze.audio ? 4 : 3) * historyEventsOfInvocation({ firstAttempt: true, mapItem: false }) + inlineEvents,
    historyEventLimit: HISTORY_EVENT_LIMIT,
    largestPayloadBytes,
    payloadLimitBytes: STATE_PAYLOAD_LIMIT_BYTES,
    jobItemBytes,
    largestItemBytes,
    itemLimitBytes: ITEM_LIMIT_BYTES,
    readUnitsPerSegment: Math.ceil(jobItemBytes / 4096) + Math.ceil(Math.max(...taskBytes) / 4096),
  };
}
