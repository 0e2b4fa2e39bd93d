/**
 * jobView's figures (issue 27): live progress per job and per running segment (frames, fps, time left), a
 * speed-up only for a done job, and whether the job was planned (a job failed in analysis has no segments).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobProgress, jobView, taskView } from '../../src/app/job-view.js';
import type { JobRecord, TaskRecord } from '../../src/core/types.js';

const T0 = 1_000_000;

function job(over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'job1',
    status: 'encoding',
    backend: 'local',
    source: '/in.mp4',
    output: '/out.mp4',
    options: {
      profile: { container: 'mp4', videoCodec: 'h264', crf: 23, preset: 'medium', audioCodec: 'aac' },
      workers: 2,
      threadsPerWorker: 1,
      maxAttempts: 3,
      verify: true,
    },
    createdAt: T0,
    updatedAt: T0,
    startedAt: T0,
    timings: {},
    plan: { totalFrames: 300 } as JobRecord['plan'],
    ...over,
  } as JobRecord;
}

function task(index: number, over: Partial<TaskRecord> & { progress?: { frames: number; fps?: number; at: number } } = {}): TaskRecord {
  return {
    jobId: 'job1',
    kind: 'video',
    index,
    key: `job1/v${String(index).padStart(5, '0')}`,
    startFrame: index * 100,
    frameCount: 100,
    startTime: index * 4,
    endTime: index * 4 + 4,
    status: 'pending',
    attempts: 0,
    outputKey: `job1/v${index}.mp4`,
    ...over,
  };
}

describe('jobView live progress', () => {
  it('counts done segments whole and running ones by their frames, with the rate measured since encoding began', () => {
    const tasks = [
      task(0, { status: 'done', attempts: 1, startedAt: T0 + 1000, finishedAt: T0 + 6000 }),
      task(1, { status: 'running', attempts: 1, startedAt: T0 + 1000, progress: { frames: 50, fps: 12, at: T0 + 11_000 } }),
      task(2),
    ];
    const p = jobProgress(job(), tasks, T0 + 11_000)!;
    assert.equal(p.frames, 150);
    assert.equal(p.totalFrames, 300);
    assert.equal(p.fps, 15, '150 frames in the 10 s since the first segment started');
    assert.equal(p.etaSeconds, 10);
  });

  it('a one-segment job moves with its frames before its only segment is done', () => {
    const tasks = [task(0, { status: 'running', attempts: 1, startedAt: T0, progress: { frames: 40, at: T0 + 4000 } })];
    const v = jobView(job({ plan: { totalFrames: 100 } as JobRecord['plan'] }), tasks, T0 + 4000);
    assert.equal(v.segmentsDone, 0);
    assert.deepEqual(
      { frames: v.progress?.frames, total: v.progress?.totalFrames, fps: v.progress?.fps, eta: v.progress?.etaSeconds },
      { frames: 40, total: 100, fps: 10, eta: 6 },
    );
    const seg = v.segments[0]!;
    assert.deepEqual(seg.progress, { frames: 40, fps: 10, etaSeconds: 6, at: T0 + 4000 }, 'fps from frames over the time since it started');
  });

  it("a running segment's own fps is kept and its time left is the frames left at that rate", () => {
    const t = taskView(task(3, { status: 'running', attempts: 1, startedAt: T0, progress: { frames: 20, fps: 8, at: T0 + 1000 } }));
    assert.deepEqual(t.progress, { frames: 20, fps: 8, etaSeconds: 10, at: T0 + 1000 });
    assert.equal('heartbeatAt' in t, false);
  });

  it('no live figures for tasks that are not running, and no rate once the job stopped encoding', () => {
    const stale = task(0, { status: 'failed', attempts: 1, startedAt: T0, progress: { frames: 10, at: T0 + 500 } });
    assert.equal(taskView(stale).progress, undefined);
    const p = jobProgress(job({ status: 'failed' }), [stale, task(1)], T0 + 9000)!;
    assert.deepEqual(p, { frames: 0, totalFrames: 200, at: T0 + 9000 });
  });
});

describe('jobView speed and plan', () => {
  const analysis = {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    startTime: 0,
    duration: 10,
    durationFromContainer: true,
    sizeBytes: 1000,
    video: {
      streamIndex: 0,
      codec: 'h264',
      width: 320,
      height: 240,
      pixelFormat: 'yuv420p',
      rotation: 0,
      color: {},
      frameRate: '25/1',
      avgFrameRate: '25/1',
      frameRateMode: 'cfr',
      timeBase: '1/12800',
      frameTimes: Array.from({ length: 250 }, (_, i) => i / 25),
      keyframeIndices: [0, 25, 50],
      lastFrameDuration: 0.04,
    },
    audio: [],
    subtitles: [],
    others: [],
  } as JobRecord['analysis'];

  it('gives a speed-up for a done job only', () => {
    const timings = { totalMs: 5000 };
    assert.equal(jobView(job({ status: 'done', analysis, timings }), []).speed, 2);
    for (const status of ['failed', 'cancelled', 'encoding'] as const)
      assert.equal(jobView(job({ status, analysis, timings }), []).speed, undefined, status);
  });

  it('says whether the job was planned', () => {
    assert.equal(jobView(job(), []).planned, true);
    assert.equal(jobView(job({ status: 'failed', plan: undefined, error: 'not a video' }), []).planned, false);
  });
});
