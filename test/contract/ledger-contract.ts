/**
 * The Ledger contract: port behaviour every adapter must show (SqliteLedger, DynamoDbLedger, ...).
 * Usage: `runLedgerContract('SqliteLedger', async () => makeSqliteLedger(path), async (l) => l.close())`.
 * `makeLedger` is called before each test and `cleanup` (default: `close()`) after it. Tests use unique job
 * ids, so the store may be shared between tests and runs; they never assume it starts empty.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConditionFailedError, NotFoundError } from '../../src/core/errors.js';
import type { JobRecord, TaskKind, TaskRecord } from '../../src/core/types.js';
import type { Ledger, NewTask, TaskId } from '../../src/ports/ledger.js';

const uniqueJobId = (): string => `job-${randomUUID()}`;

export function minimalJob(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    status: 'created',
    backend: 'local',
    source: '/videos/in.mov',
    output: '/videos/out.mp4',
    options: {
      profile: {
        videoCodec: 'h264', crf: 23, preset: 'medium', audioCodec: 'aac', audioBitrateKbps: 128,
        container: 'mp4', pixelFormat: 'yuv420p',
      },
      workers: 4, threadsPerWorker: 2, maxAttempts: 3, verify: true,
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
        videoCodec: 'vp9', crf: 31, preset: 'good', width: 1280, audioCodec: 'opus', audioBitrateKbps: 96,
        container: 'webm', pixelFormat: 'yuv420p10le',
      },
      segmentSeconds: 4.5, workers: 8, threadsPerWorker: 1, maxAttempts: 2, verify: false,
    },
    analysis: {
      formatName: 'matroska,webm', startTime: 0.021, duration: 3.5, durationFromContainer: true, sizeBytes: 123_456,
      video: {
        streamIndex: 0, codec: 'h264', width: 1920, height: 1080, pixelFormat: 'yuv420p', rotation: 90,
        color: { range: 'tv', primaries: 'bt709' }, fieldOrder: 'progressive', frameRate: '30000/1001',
        avgFrameRate: '30000/1001', frameRateMode: 'cfr', timeBase: '1/1000',
        frameTimes: [0.021, 0.054, 0.088, 0.121], keyframeIndices: [0, 2], lastFrameDuration: 0.0333667,
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
      targetSeconds: 2, totalFrames: 4, encodeOrder: [1, 0],
    },
    createdAt: 1_700_000_000_123,
    updatedAt: 1_700_000_009_999,
    startedAt: 1_700_000_000_200,
    finishedAt: 1_700_000_009_000,
    error: 'segment 3 failed once (retried)',
    timings: { analyzeMs: 120, encodeMs: 5000, mergeMs: 300, verifyMs: 80, totalMs: 5500 },
    result: {
      frames: 4, videoDuration: 0.1547, audioDuration: 0.16, sizeBytes: 9_876,
      verify: { ok: true, expectedFrames: 4, frames: 4, expectedDuration: 0.1547, videoDuration: 0.1547, failures: [] },
    },
  });
}

export function newTask(jobId: string, kind: TaskKind, index: number): NewTask {
  const letter = kind === 'video' ? 'v' : 'a';
  const key = `${jobId}/${letter}${String(index).padStart(5, '0')}`;
  return { jobId, kind, index, key, startFrame: index * 48, frameCount: 48, startTime: index * 2, endTime: index * 2 + 2, outputKey: `${key}.mkv` };
}

/** Asserts that `promise` rejects with ConditionFailedError and returns the error. */
async function conditionFailed(promise: Promise<unknown>): Promise<ConditionFailedError> {
  const err = await promise.then(
    () => assert.fail('expected ConditionFailedError, the call succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConditionFailedError, `expected ConditionFailedError, got ${String(err)}`);
  return err;
}

export function runLedgerContract(
  name: string,
  makeLedger: () => Promise<Ledger>,
  cleanup?: (l: Ledger) => Promise<void>,
): void {
  describe(name, () => {
    let ledger: Ledger;
    beforeEach(async () => {
      ledger = await makeLedger();
    });
    afterEach(async () => {
      await (cleanup ? cleanup(ledger) : ledger.close());
    });

    /** A job in `status` with the given tasks (all pending). */
    async function jobWithTasks(status: JobRecord['status'], tasks: Array<[TaskKind, number]>): Promise<string> {
      const id = uniqueJobId();
      await ledger.createJob(minimalJob(id, { status }));
      if (tasks.length) await ledger.putTasks(tasks.map(([kind, index]) => newTask(id, kind, index)));
      return id;
    }

    describe('jobs', () => {
      it('returns undefined for an unknown job and empty lists for its tasks and events', async () => {
        const id = uniqueJobId();
        assert.equal(await ledger.getJob(id), undefined);
        assert.deepEqual(await ledger.listTasks(id), []);
        assert.deepEqual(await ledger.listEvents(id), []);
      });

      it('round-trips a full job record, nested objects included', async () => {
        const job = fullJob(uniqueJobId());
        await ledger.createJob(job);
        assert.deepEqual(await ledger.getJob(job.id), job);
      });

      it('round-trips a minimal job record with optional fields absent', async () => {
        const job = minimalJob(uniqueJobId());
        await ledger.createJob(job);
        const got = await ledger.getJob(job.id);
        assert.deepEqual(got, job);
        for (const key of ['analysis', 'plan', 'startedAt', 'finishedAt', 'error', 'result'] as const) {
          assert.ok(got && !(key in got), `${key} should be absent`);
        }
      });

      it('refuses a duplicate createJob and keeps the first record', async () => {
        const job = minimalJob(uniqueJobId());
        await ledger.createJob(job);
        const err = await conditionFailed(ledger.createJob({ ...job, status: 'failed', source: '/other.mov' }));
        assert.deepEqual(err.current, job);
        assert.deepEqual(await ledger.getJob(job.id), job);
      });

      it('updateJob from a wrong status throws ConditionFailedError carrying the real status', async () => {
        const job = minimalJob(uniqueJobId(), { status: 'encoding' });
        await ledger.createJob(job);
        const err = await conditionFailed(ledger.updateJob(job.id, ['created', 'analyzing'], 'merging'));
        assert.equal((err.current as JobRecord | undefined)?.status, 'encoding');
        assert.deepEqual(err.current, job);
        assert.deepEqual(await ledger.getJob(job.id), job);
      });

      it('updateJob of an unknown job throws NotFoundError', async () => {
        await assert.rejects(ledger.updateJob(uniqueJobId(), ['created'], 'analyzing'), NotFoundError);
      });

      it('updateJob applies a patch: set fields change, undefined fields stay, updatedAt = now', async () => {
        const full = fullJob('unused');
        const job = minimalJob(uniqueJobId(), { timings: { analyzeMs: 5 } });
        await ledger.createJob(job);
        const analyzing = await ledger.updateJob(job.id, ['created'], 'analyzing', { startedAt: 1_700_000_000_500 }, 1_700_000_000_600);
        const encoding = await ledger.updateJob(
          job.id,
          ['created', 'analyzing'],
          'encoding',
          { analysis: full.analysis, plan: full.plan, startedAt: undefined, timings: { analyzeMs: 99 } },
          1_700_000_001_000,
        );
        const expected: JobRecord = {
          ...job, status: 'encoding', startedAt: 1_700_000_000_500, analysis: full.analysis, plan: full.plan,
          timings: { analyzeMs: 99 }, updatedAt: 1_700_000_001_000,
        };
        assert.equal(analyzing.updatedAt, 1_700_000_000_600);
        assert.deepEqual(encoding, expected);
        assert.deepEqual(await ledger.getJob(job.id), expected);
      });

      it('updateJob without `now` stamps updatedAt with the current time', async () => {
        const job = minimalJob(uniqueJobId());
        await ledger.createJob(job);
        const before = Date.now();
        const updated = await ledger.updateJob(job.id, ['created'], 'analyzing');
        assert.ok(updated.updatedAt >= before && updated.updatedAt <= Date.now() + 1000, `updatedAt ${updated.updatedAt}`);
      });

      it('updateJob sets an error and clearError removes it', async () => {
        const job = minimalJob(uniqueJobId());
        await ledger.createJob(job);
        const failed = await ledger.updateJob(job.id, ['created'], 'failed', { error: 'ffmpeg exited with 1', finishedAt: 1_700_000_002_000 }, 1_700_000_002_000);
        assert.equal(failed.error, 'ffmpeg exited with 1');
        assert.equal((await ledger.getJob(job.id))?.error, 'ffmpeg exited with 1');
        const resumed = await ledger.updateJob(job.id, ['failed'], 'encoding', { clearError: true }, 1_700_000_003_000);
        assert.ok(!('error' in resumed), 'error should be removed from the returned record');
        const stored = await ledger.getJob(job.id);
        assert.ok(stored && !('error' in stored), 'error should be removed from the stored record');
        assert.equal(stored.finishedAt, 1_700_000_002_000);
        assert.equal(stored.status, 'encoding');
      });

      it('listJobs returns summaries newest first, counting video segments only', async () => {
        // Far-future creation times make these the newest jobs in a shared store.
        const base = 4_000_000_000_000 + Date.now();
        const [a, b, c] = [uniqueJobId(), uniqueJobId(), uniqueJobId()];
        await ledger.createJob(minimalJob(a, { createdAt: base, updatedAt: base }));
        await ledger.createJob(minimalJob(b, { createdAt: base + 1, updatedAt: base + 1, status: 'failed', error: 'boom' }));
        await ledger.createJob(minimalJob(c, { createdAt: base + 2, updatedAt: base + 2, status: 'encoding' }));
        await ledger.putTasks([newTask(c, 'video', 0), newTask(c, 'video', 1), newTask(c, 'video', 2), newTask(c, 'audio', 0)]);
        for (const [kind, index] of [['video', 0], ['video', 2], ['audio', 0]] as const) {
          await ledger.transitionTask({ jobId: c, kind, index }, ['pending'], 'running');
          await ledger.transitionTask({ jobId: c, kind, index }, ['running'], 'done');
        }
        await ledger.transitionTask({ jobId: c, kind: 'video', index: 1 }, ['pending'], 'running');

        const ours = (await ledger.listJobs()).filter((s) => [a, b, c].includes(s.id));
        assert.deepEqual(ours, [
          {
            id: c, status: 'encoding', backend: 'local', source: '/videos/in.mov', output: '/videos/out.mp4',
            createdAt: base + 2, updatedAt: base + 2, segmentsDone: 2, segmentsTotal: 3,
          },
          {
            id: b, status: 'failed', backend: 'local', source: '/videos/in.mov', output: '/videos/out.mp4',
            createdAt: base + 1, updatedAt: base + 1, segmentsDone: 0, segmentsTotal: 0, error: 'boom',
          },
          {
            id: a, status: 'created', backend: 'local', source: '/videos/in.mov', output: '/videos/out.mp4',
            createdAt: base, updatedAt: base, segmentsDone: 0, segmentsTotal: 0,
          },
        ]);
        assert.ok(!('error' in ours[0]!), 'a job without an error has no error in its summary');
        assert.deepEqual((await ledger.listJobs({ limit: 2 })).map((s) => s.id), [c, b]);
      });

      it('listJobIdsUpdatedBefore returns jobs last updated before a time', async () => {
        const [old, recent] = [uniqueJobId(), uniqueJobId()];
        await ledger.createJob(minimalJob(old, { createdAt: 1_000, updatedAt: 1_000 }));
        await ledger.createJob(minimalJob(recent, { createdAt: 1_000, updatedAt: 3_000 }));
        let ids = await ledger.listJobIdsUpdatedBefore(2_000);
        assert.ok(ids.includes(old), 'old job listed');
        assert.ok(!ids.includes(recent), 'recent job not listed');
        await ledger.updateJob(old, ['created'], 'cancelled', undefined, 2_500);
        ids = await ledger.listJobIdsUpdatedBefore(2_000);
        assert.ok(!ids.includes(old), 'an update refreshes updatedAt');
        ids = await ledger.listJobIdsUpdatedBefore(3_000);
        assert.ok(ids.includes(old) && !ids.includes(recent), 'the bound is exclusive');
      });

      it('deleteJob removes the job, its tasks and its events', async () => {
        const id = await jobWithTasks('encoding', [['video', 0], ['video', 1], ['audio', 0]]);
        await ledger.appendEvent({ jobId: id, at: 1, type: 'job.created', message: 'created' });
        await ledger.appendEvent({ jobId: id, at: 2, type: 'job.encoding', message: 'encoding' });
        await ledger.deleteJob(id);
        assert.equal(await ledger.getJob(id), undefined);
        assert.deepEqual(await ledger.listTasks(id), []);
        assert.equal(await ledger.getTask({ jobId: id, kind: 'video', index: 0 }), undefined);
        assert.deepEqual(await ledger.listEvents(id), []);
        assert.ok(!(await ledger.listJobs()).some((s) => s.id === id), 'not in listJobs');
        // The id is free again, with a fresh task list and event sequence.
        await ledger.createJob(minimalJob(id));
        await ledger.putTasks([newTask(id, 'video', 0)]);
        const event = await ledger.appendEvent({ jobId: id, at: 3, type: 'job.created', message: 'again' });
        assert.equal(event.seq, 1);
      });
    });

    describe('tasks', () => {
      it('putTasks writes pending tasks; listTasks gives video by index, then audio', async () => {
        const id = uniqueJobId();
        await ledger.createJob(minimalJob(id, { status: 'encoding' }));
        const input = [newTask(id, 'audio', 0), newTask(id, 'video', 10), newTask(id, 'video', 2), newTask(id, 'video', 0), newTask(id, 'video', 1)];
        input[1] = { ...input[1]!, args: ['-ss', '20'], worker: 'w1' };
        await ledger.putTasks(input);
        const tasks = await ledger.listTasks(id);
        assert.deepEqual(tasks.map((t) => `${t.kind}${t.index}`), ['video0', 'video1', 'video2', 'video10', 'audio0']);
        for (const t of tasks) {
          const expected = input.find((n) => n.kind === t.kind && n.index === t.index)!;
          assert.deepEqual(t, { ...expected, status: 'pending', attempts: 0 });
        }
        assert.deepEqual(await ledger.getTask({ jobId: id, kind: 'video', index: 10 }), tasks[3]);
      });

      it('a second putTasks for the same job throws and inserts nothing', async () => {
        const id = await jobWithTasks('encoding', [['video', 0], ['video', 1]]);
        await conditionFailed(ledger.putTasks([newTask(id, 'video', 2), newTask(id, 'audio', 0)]));
        assert.deepEqual((await ledger.listTasks(id)).map((t) => `${t.kind}${t.index}`), ['video0', 'video1']);
        assert.equal(await ledger.getTask({ jobId: id, kind: 'video', index: 2 }), undefined);
        assert.equal(await ledger.getTask({ jobId: id, kind: 'audio', index: 0 }), undefined);
      });

      it('getTask of an unknown task returns undefined', async () => {
        const id = await jobWithTasks('encoding', [['video', 0]]);
        assert.equal(await ledger.getTask({ jobId: id, kind: 'video', index: 1 }), undefined);
        assert.equal(await ledger.getTask({ jobId: id, kind: 'audio', index: 0 }), undefined);
        assert.equal(await ledger.getTask({ jobId: uniqueJobId(), kind: 'video', index: 0 }), undefined);
      });

      it('transitionTask moves pending → running → done, applying patches', async () => {
        const id = await jobWithTasks('encoding', [['video', 0], ['audio', 0]]);
        const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
        const base = { ...newTask(id, 'video', 0) };
        const running = await ledger.transitionTask(tid, ['pending', 'failed'], 'running', {
          attempts: 1, worker: 'worker-3', startedAt: 1_000, heartbeatAt: 1_000,
        }, 0);
        const expectedRunning: TaskRecord = { ...base, status: 'running', attempts: 1, worker: 'worker-3', startedAt: 1_000, heartbeatAt: 1_000 };
        assert.deepEqual(running, expectedRunning);
        assert.deepEqual(await ledger.getTask(tid), expectedRunning);

        const done = await ledger.transitionTask(tid, ['running'], 'done', {
          finishedAt: 5_000, cpuSeconds: 7.25, wallMs: 4_000, args: ['-i', 'in.mov', '-c:v', 'libx264'], exitCode: 0,
          stderrTail: 'frame=48', sizeBytes: 123_456, checksum: 'sha256:abc', worker: undefined,
        });
        const expectedDone: TaskRecord = {
          ...expectedRunning, status: 'done', finishedAt: 5_000, cpuSeconds: 7.25, wallMs: 4_000,
          args: ['-i', 'in.mov', '-c:v', 'libx264'], exitCode: 0, stderrTail: 'frame=48', sizeBytes: 123_456, checksum: 'sha256:abc',
        };
        assert.deepEqual(done, expectedDone);
        assert.deepEqual(await ledger.getTask(tid), expectedDone);
        // The other task is untouched.
        assert.deepEqual(await ledger.getTask({ jobId: id, kind: 'audio', index: 0 }), { ...newTask(id, 'audio', 0), status: 'pending', attempts: 0 });
      });

      it('transitionTask sets an error and clearError removes it', async () => {
        const id = await jobWithTasks('encoding', [['video', 0]]);
        const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
        await ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1 });
        const failed = await ledger.transitionTask(tid, ['running'], 'failed', { error: 'exit 1', exitCode: 1 });
        assert.equal(failed.error, 'exit 1');
        assert.equal((await ledger.getTask(tid))?.error, 'exit 1');
        const retried = await ledger.transitionTask(tid, ['failed'], 'running', { attempts: 2, clearError: true }, 1);
        assert.ok(!('error' in retried), 'error removed from the returned record');
        const stored = await ledger.getTask(tid);
        assert.ok(stored && !('error' in stored), 'error removed from the stored record');
        assert.equal(stored.exitCode, 1);
        assert.equal(stored.attempts, 2);
      });

      it('transitionTask from a wrong status throws ConditionFailedError carrying the current task', async () => {
        const id = await jobWithTasks('encoding', [['video', 0]]);
        const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
        await ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1 });
        const done = await ledger.transitionTask(tid, ['running'], 'done', { sizeBytes: 10 });
        const err = await conditionFailed(ledger.transitionTask(tid, ['pending', 'failed'], 'running', { attempts: 2 }));
        assert.deepEqual(err.current, done);
        assert.equal((err.current as TaskRecord | undefined)?.status, 'done');
        assert.deepEqual(await ledger.getTask(tid), done);
      });

      it('ifAttempts guards a claim: of two racing claimers only one wins', async () => {
        const id = await jobWithTasks('encoding', [['video', 0]]);
        const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
        const claim = (worker: string) => ledger.transitionTask(tid, ['pending', 'failed'], 'running', { attempts: 1, worker }, 0);
        const results = await Promise.allSettled([claim('a'), claim('b')]);
        const won = results.filter((r): r is PromiseFulfilledResult<TaskRecord> => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1, 'exactly one claimer wins');
        assert.equal(lost.length, 1);
        assert.ok(lost[0]!.reason instanceof ConditionFailedError, `loser gets ConditionFailedError, got ${String(lost[0]!.reason)}`);
        const current = (lost[0]!.reason as ConditionFailedError).current as TaskRecord | undefined;
        assert.equal(current?.status, 'running');
        assert.equal(current?.attempts, 1);
        assert.equal(current?.worker, won[0]!.value.worker);
        assert.deepEqual(await ledger.getTask(tid), won[0]!.value);
      });

      it('ifAttempts rejects a matching status with a different attempt count', async () => {
        const id = await jobWithTasks('encoding', [['video', 0]]);
        const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
        await ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1 }, 0);
        const failed = await ledger.transitionTask(tid, ['running'], 'failed', { error: 'x' }, 1);
        const err = await conditionFailed(ledger.transitionTask(tid, ['failed'], 'running', { attempts: 2 }, 0));
        assert.deepEqual(err.current, failed);
        assert.equal((await ledger.transitionTask(tid, ['failed'], 'running', { attempts: 2 }, 1)).attempts, 2);
      });

      it('transitionTask of an unknown task throws NotFoundError', async () => {
        const id = await jobWithTasks('encoding', [['video', 0]]);
        await assert.rejects(ledger.transitionTask({ jobId: id, kind: 'video', index: 7 }, ['pending'], 'running'), NotFoundError);
        await assert.rejects(ledger.transitionTask({ jobId: id, kind: 'audio', index: 0 }, ['pending'], 'running'), NotFoundError);
        await assert.rejects(ledger.transitionTask({ jobId: uniqueJobId(), kind: 'video', index: 0 }, ['pending'], 'running'), NotFoundError);
        assert.equal(await ledger.getTask({ jobId: id, kind: 'video', index: 7 }), undefined, 'nothing was created');
      });

      it('heartbeat refreshes a running task only', async () => {
        const id = await jobWithTasks('encoding', [['video', 0], ['video', 1]]);
        const tid: TaskId = { jobId: id, kind: 'video', index: 0 };
        await ledger.heartbeat(tid, 500);
        assert.equal((await ledger.getTask(tid))?.heartbeatAt, undefined, 'no heartbeat while pending');
        await ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1, heartbeatAt: 1_000 });
        await ledger.heartbeat(tid, 2_000);
        const running = await ledger.getTask(tid);
        assert.equal(running?.heartbeatAt, 2_000);
        assert.equal(running?.status, 'running');
        await ledger.transitionTask(tid, ['running'], 'done');
        await ledger.heartbeat(tid, 3_000);
        const done = await ledger.getTask(tid);
        assert.equal(done?.heartbeatAt, 2_000, 'no heartbeat once done');
        assert.equal(done?.status, 'done');
        assert.equal((await ledger.getTask({ jobId: id, kind: 'video', index: 1 }))?.heartbeatAt, undefined, 'other task untouched');
      });

      it('heartbeat of an unknown task is a no-op and creates nothing', async () => {
        const id = await jobWithTasks('encoding', [['video', 0]]);
        await ledger.heartbeat({ jobId: id, kind: 'video', index: 9 }, 1_000);
        assert.equal(await ledger.getTask({ jobId: id, kind: 'video', index: 9 }), undefined);
        assert.equal((await ledger.listTasks(id)).length, 1);
      });
    });

    describe('events', () => {
      it('appendEvent numbers events from 1 per job; listEvents returns them oldest first', async () => {
        const id = await jobWithTasks('created', []);
        const other = await jobWithTasks('created', []);
        const e1 = await ledger.appendEvent({ jobId: id, at: 100, type: 'job.created', message: 'created' });
        const e2 = await ledger.appendEvent({ jobId: id, at: 200, type: 'task.done', message: 'segment 0 done', data: { index: 0, sizes: [1, 2], nested: { ok: true } } });
        const o1 = await ledger.appendEvent({ jobId: other, at: 150, type: 'job.created', message: 'other' });
        const e3 = await ledger.appendEvent({ jobId: id, at: 300, type: 'job.done', message: 'done' });
        assert.deepEqual(e1, { jobId: id, seq: 1, at: 100, type: 'job.created', message: 'created' });
        assert.deepEqual(e2, { jobId: id, seq: 2, at: 200, type: 'task.done', message: 'segment 0 done', data: { index: 0, sizes: [1, 2], nested: { ok: true } } });
        assert.equal(o1.seq, 1, 'sequences are per job');
        assert.equal(e3.seq, 3);
        const all = await ledger.listEvents(id);
        assert.deepEqual(all, [e1, e2, e3]);
        assert.ok(!('data' in all[0]!), 'absent data stays absent');
        assert.deepEqual(await ledger.listEvents(id, 0), [e1, e2, e3]);
        assert.deepEqual(await ledger.listEvents(id, 1), [e2, e3]);
        assert.deepEqual(await ledger.listEvents(id, 3), []);
        assert.deepEqual(await ledger.listEvents(other), [o1]);
      });

      it('concurrent appends get distinct, consecutive seqs', async () => {
        const id = await jobWithTasks('created', []);
        const events = await Promise.all(
          Array.from({ length: 10 }, (_, i) => ledger.appendEvent({ jobId: id, at: i, type: 'tick', message: `tick ${i}` })),
        );
        assert.deepEqual(events.map((e) => e.seq).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert.deepEqual((await ledger.listEvents(id)).map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      });
    });
  });
}
