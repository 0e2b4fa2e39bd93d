/**
 * Records and helpers shared by the ledger contract suites. Port types only: nothing adapter-specific.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { ConditionFailedError } from '../../src/core/errors.js';
import type { JobRecord, TaskKind } from '../../src/core/types.js';
import type { Ledger, NewTask } from '../../src/ports/ledger.js';

/** The ledger under test; the contract swaps it before each test. */
export interface LedgerContext {
  ledger: Ledger;
}

export const uniqueJobId = (): string => `job-${randomUUID()}`;

export function minimalJob(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    status: 'created',
    backend: 'local',
    source: '/videos/in.mov',
    output: '/videos/out.mp4',
    options: {
      profile: {
        videoCodec: 'h264',
        crf: 23,
        preset: 'medium',
        audioCodec: 'aac',
        audioBitrateKbps: 128,
        container: 'mp4',
        pixelFormat: 'yuv420p',
      },
      workers: 4,
      threadsPerWorker: 2,
      maxAttempts: 3,
      verify: true,
    },
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    timings: {},
    ...overrides,
  };
}

export function fullJob(id: string): JobRecord {
  return minimalJob(id, {
    status: 'done',
    backend: 'aws',
    source: 's3://bucket/in.mkv',
    output: 's3://bucket/out.webm',
    options: {
      profile: {
        videoCodec: 'vp9',
        crf: 31,
        preset: 'good',
        width: 1280,
        audioCodec: 'opus',
        audioBitrateKbps: 96,
        container: 'webm',
        pixelFormat: 'yuv420p10le',
      },
      segmentSeconds: 4.5,
      workers: 8,
      threadsPerWorker: 1,
      maxAttempts: 2,
      verify: false,
    },
    analysis: {
      formatName: 'matroska,webm',
      startTime: 0.021,
      duration: 3.5,
      durationFromContainer: true,
      sizeBytes: 123_456,
      video: {
        streamIndex: 0,
        codec: 'h264',
        width: 1920,
        height: 1080,
        pixelFormat: 'yuv420p',
        rotation: 90,
        color: { range: 'tv', primaries: 'bt709' },
        fieldOrder: 'progressive',
        frameRate: '30000/1001',
        avgFrameRate: '30000/1001',
        frameRateMode: 'cfr',
        timeBase: '1/1000',
        frameTimes: [0.021, 0.054, 0.088, 0.121],
        keyframeIndices: [0, 2],
        lastFrameDuration: 0.0333667,
      },
      audio: [{ index: 1, type: 'audio', codec: 'aac', channels: 2, sampleRate: 48_000, language: 'eng' }],
      subtitles: [{ index: 2, type: 'subtitle', codec: 'subrip' }],
      others: [{ index: 3, type: 'attachment', codec: 'ttf' }],
    },
    plan: {
      segments: [
        { index: 0, startFrame: 0, frameCount: 2, startTime: 0.021, endTime: 0.088, startsOnKeyframe: true },
        { index: 1, startFrame: 2, frameCount: 2, startTime: 0.088, endTime: 0.1547, startsOnKeyframe: true },
      ],
      targetSeconds: 2,
      totalFrames: 4,
      encodeOrder: [1, 0],
    },
    createdAt: 1_700_000_000_123,
    updatedAt: 1_700_000_009_999,
    startedAt: 1_700_000_000_200,
    finishedAt: 1_700_000_009_000,
    error: 'segment 3 failed once (retried)',
    timings: { analyzeMs: 120, encodeMs: 5000, mergeMs: 300, verifyMs: 80, totalMs: 5500 },
    result: {
      frames: 4,
      videoDuration: 0.1547,
      audioDuration: 0.16,
      sizeBytes: 9_876,
      verify: { ok: true, expectedFrames: 4, frames: 4, expectedDuration: 0.1547, videoDuration: 0.1547, failures: [] },
    },
  });
}

export function newTask(jobId: string, kind: TaskKind, index: number): NewTask {
  const letter = kind === 'video' ? 'v' : 'a';
  const key = `${jobId}/${letter}${String(index).padStart(5, '0')}`;
  return {
    jobId,
    kind,
    index,
    key,
    startFrame: index * 48,
    frameCount: 48,
    startTime: index * 2,
    endTime: index * 2 + 2,
    outputKey: `${key}.mkv`,
  };
}

/** Asserts that `promise` rejects with ConditionFailedError and returns the error. */
export async function conditionFailed(promise: Promise<unknown>): Promise<ConditionFailedError> {
  const err = await promise.then(
    () => assert.fail('expected ConditionFailedError, the call succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConditionFailedError, `expected ConditionFailedError, got ${String(err)}`);
  return err;
}

/** A new job in `status` with the given tasks (all pending); returns its id. */
export async function jobWithTasks(ledger: Ledger, status: JobRecord['status'], tasks: Array<[TaskKind, number]>): Promise<string> {
  const id = uniqueJobId();
  await ledger.createJob(minimalJob(id, { status }));
  if (tasks.length) await ledger.putTasks(tasks.map(([kind, index]) => newTask(id, kind, index)));
  return id;
}
