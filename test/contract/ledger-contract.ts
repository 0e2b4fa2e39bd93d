/**
 * The Ledger contract: port behaviour every adapter must show (SqliteLedger, DynamoDbLedger, ...).
 * Usage: `runLedgerContract('SqliteLedger', async () => makeSqliteLedger(path), async (l) => l.close())`.
 * `makeLedger` is called before each test and `cleanup` (default: `close()`) after it. Tests use unique job
 * ids, so the store may be shared between tests and runs; they never assume it starts empty.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NotFoundError } from '../../src/core/errors.js';
import type { JobRecord } from '../../src/core/types.js';
import type { Ledger } from '../../src/ports/ledger.js';
import { conditionFailed, fullJob, jobWithTasks, minimalJob, newTask, uniqueJobId, type LedgerContext } from './ledger-fixtures.js';
import { defineTaskContract } from './ledger-task-contract.js';

export { fullJob, minimalJob, newTask } from './ledger-fixtures.js';

export function runLedgerContract(name: string, makeLedger: () => Promise<Ledger>, cleanup?: (l: Ledger) => Promise<void>): void {
  describe(name, () => {
    const ctx = {} as LedgerContext;
    beforeEach(async () => {
      ctx.ledger = await makeLedger();
    });
    afterEach(async () => {
      await (cleanup ? cleanup(ctx.ledger) : ctx.ledger.close());
    });

    defineJobContract(ctx);
    defineTaskContract(ctx);
    defineEventContract(ctx);
  });
}

function defineJobContract(ctx: LedgerContext): void {
  describe('jobs', () => {
    it('returns undefined for an unknown job and empty lists for its tasks and events', async () => {
      const id = uniqueJobId();
      assert.equal(await ctx.ledger.getJob(id), undefined);
      assert.deepEqual(await ctx.ledger.listTasks(id), []);
      assert.deepEqual(await ctx.ledger.listEvents(id), []);
    });

    it('round-trips a full job record, nested objects included', async () => {
      const job = fullJob(uniqueJobId());
      await ctx.ledger.createJob(job);
      assert.deepEqual(await ctx.ledger.getJob(job.id), job);
    });

    it('getJobHead returns the job without its frame list and segment list, and nothing else missing', async () => {
      const job = fullJob(uniqueJobId());
      await ctx.ledger.createJob(job);
      const head = await ctx.ledger.getJobHead(job.id);
      const { frameTimes: _t, keyframeIndices: _k, ...video } = job.analysis!.video;
      const { segments: _s, encodeOrder: _o, ...plan } = job.plan!;
      assert.deepEqual(head, { ...job, analysis: { ...job.analysis!, video }, plan });
      assert.equal(await ctx.ledger.getJobHead(uniqueJobId()), undefined);
      const minimal = minimalJob(uniqueJobId());
      await ctx.ledger.createJob(minimal);
      assert.deepEqual(await ctx.ledger.getJobHead(minimal.id), minimal);
    });

    it('taskProgress counts video tasks and frames done, following moves to and from done', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [
        ['video', 0],
        ['video', 1],
        ['video', 2],
        ['audio', 0],
      ]);
      assert.deepEqual(await ctx.ledger.taskProgress(id), { videoTotal: 3, videoDone: 0, framesTotal: 144, framesDone: 0 });
      for (const index of [0, 2]) {
        await ctx.ledger.transitionTask({ jobId: id, kind: 'video', index }, ['pending'], 'running');
        await ctx.ledger.transitionTask({ jobId: id, kind: 'video', index }, ['running'], 'done');
      }
      await ctx.ledger.transitionTask({ jobId: id, kind: 'audio', index: 0 }, ['pending'], 'done');
      await ctx.ledger.transitionTask({ jobId: id, kind: 'video', index: 1 }, ['pending'], 'failed');
      assert.deepEqual(await ctx.ledger.taskProgress(id), { videoTotal: 3, videoDone: 2, framesTotal: 144, framesDone: 96 });
      // A done segment whose output was lost goes back to pending (run-job's repair).
      await ctx.ledger.transitionTask({ jobId: id, kind: 'video', index: 2 }, ['done'], 'pending');
      assert.deepEqual(await ctx.ledger.taskProgress(id), { videoTotal: 3, videoDone: 1, framesTotal: 144, framesDone: 48 });
      assert.deepEqual(await ctx.ledger.taskProgress(uniqueJobId()), { videoTotal: 0, videoDone: 0, framesTotal: 0, framesDone: 0 });
    });

    it('round-trips a minimal job record with optional fields absent', async () => {
      const job = minimalJob(uniqueJobId());
      await ctx.ledger.createJob(job);
      const got = await ctx.ledger.getJob(job.id);
      assert.deepEqual(got, job);
      for (const key of ['analysis', 'plan', 'startedAt', 'finishedAt', 'error', 'result'] as const) {
        assert.ok(got && !(key in got), `${key} should be absent`);
      }
    });

    it('refuses a duplicate createJob and keeps the first record', async () => {
      const job = minimalJob(uniqueJobId());
      await ctx.ledger.createJob(job);
      const err = await conditionFailed(ctx.ledger.createJob({ ...job, status: 'failed', source: '/other.mov' }));
      assert.deepEqual(err.current, job);
      assert.deepEqual(await ctx.ledger.getJob(job.id), job);
    });

    it('updateJob from a wrong status throws ConditionFailedError carrying the real status', async () => {
      const job = minimalJob(uniqueJobId(), { status: 'encoding' });
      await ctx.ledger.createJob(job);
      const err = await conditionFailed(ctx.ledger.updateJob(job.id, ['created', 'analyzing'], 'merging'));
      assert.equal((err.current as JobRecord | undefined)?.status, 'encoding');
      assert.deepEqual(err.current, job);
      assert.deepEqual(await ctx.ledger.getJob(job.id), job);
    });

    it('updateJob of an unknown job throws NotFoundError', async () => {
      await assert.rejects(ctx.ledger.updateJob(uniqueJobId(), ['created'], 'analyzing'), NotFoundError);
    });

    it('updateJob applies a patch: set fields change, undefined fields stay, updatedAt = now', async () => {
      const full = fullJob('unused');
      const job = minimalJob(uniqueJobId(), { timings: { analyzeMs: 5 } });
      await ctx.ledger.createJob(job);
      const analyzing = await ctx.ledger.updateJob(job.id, ['created'], 'analyzing', { startedAt: 1_700_000_000_500 }, 1_700_000_000_600);
      const encoding = await ctx.ledger.updateJob(
        job.id,
        ['created', 'analyzing'],
        'encoding',
        { analysis: full.analysis, plan: full.plan, startedAt: undefined, timings: { analyzeMs: 99 } },
        1_700_000_001_000,
      );
      const expected: JobRecord = {
        ...job,
        status: 'encoding',
        startedAt: 1_700_000_000_500,
        analysis: full.analysis,
        plan: full.plan,
        timings: { analyzeMs: 99 },
        updatedAt: 1_700_000_001_000,
      };
      assert.equal(analyzing.updatedAt, 1_700_000_000_600);
      assert.deepEqual(encoding, expected);
      assert.deepEqual(await ctx.ledger.getJob(job.id), expected);
    });

    it('updateJob without `now` stamps updatedAt with the current time', async () => {
      const job = minimalJob(uniqueJobId());
      await ctx.ledger.createJob(job);
      const before = Date.now();
      const updated = await ctx.ledger.updateJob(job.id, ['created'], 'analyzing');
      assert.ok(updated.updatedAt >= before && updated.updatedAt <= Date.now() + 1000, `updatedAt ${updated.updatedAt}`);
    });

    it('updateJob sets an error and clearError removes it', async () => {
      const job = minimalJob(uniqueJobId());
      await ctx.ledger.createJob(job);
      const failed = await ctx.ledger.updateJob(
        job.id,
        ['created'],
        'failed',
        { error: 'ffmpeg exited with 1', finishedAt: 1_700_000_002_000 },
        1_700_000_002_000,
      );
      assert.equal(failed.error, 'ffmpeg exited with 1');
      assert.equal((await ctx.ledger.getJob(job.id))?.error, 'ffmpeg exited with 1');
      const resumed = await ctx.ledger.updateJob(job.id, ['failed'], 'encoding', { clearError: true }, 1_700_000_003_000);
      assert.ok(!('error' in resumed), 'error should be removed from the returned record');
      const stored = await ctx.ledger.getJob(job.id);
      assert.ok(stored && !('error' in stored), 'error should be removed from the stored record');
      assert.equal(stored.finishedAt, 1_700_000_002_000);
      assert.equal(stored.status, 'encoding');
    });

    it('listJobs returns summaries newest first, counting video segments only', async () => {
      // Far-future creation times make these the newest jobs in a shared store.
      const base = 4_000_000_000_000 + Date.now();
      const [a, b, c] = [uniqueJobId(), uniqueJobId(), uniqueJobId()];
      await ctx.ledger.createJob(minimalJob(a, { createdAt: base, updatedAt: base }));
      await ctx.ledger.createJob(minimalJob(b, { createdAt: base + 1, updatedAt: base + 1, status: 'failed', error: 'boom' }));
      await ctx.ledger.createJob(minimalJob(c, { createdAt: base + 2, updatedAt: base + 2, status: 'encoding' }));
      await ctx.ledger.putTasks([newTask(c, 'video', 0), newTask(c, 'video', 1), newTask(c, 'video', 2), newTask(c, 'audio', 0)]);
      for (const [kind, index] of [
        ['video', 0],
        ['video', 2],
        ['audio', 0],
      ] as const) {
        await ctx.ledger.transitionTask({ jobId: c, kind, index }, ['pending'], 'running');
        await ctx.ledger.transitionTask({ jobId: c, kind, index }, ['running'], 'done');
      }
      await ctx.ledger.transitionTask({ jobId: c, kind: 'video', index: 1 }, ['pending'], 'running');

      const ours = (await ctx.ledger.listJobs()).filter((s) => [a, b, c].includes(s.id));
      assert.deepEqual(ours, [
        {
          id: c,
          status: 'encoding',
          backend: 'local',
          source: '/videos/in.mov',
          output: '/videos/out.mp4',
          createdAt: base + 2,
          updatedAt: base + 2,
          segmentsDone: 2,
          segmentsTotal: 3,
        },
        {
          id: b,
          status: 'failed',
          backend: 'local',
          source: '/videos/in.mov',
          output: '/videos/out.mp4',
          createdAt: base + 1,
          updatedAt: base + 1,
          segmentsDone: 0,
          segmentsTotal: 0,
          error: 'boom',
        },
        {
          id: a,
          status: 'created',
          backend: 'local',
          source: '/videos/in.mov',
          output: '/videos/out.mp4',
          createdAt: base,
          updatedAt: base,
          segmentsDone: 0,
          segmentsTotal: 0,
        },
      ]);
      assert.ok(!('error' in ours[0]!), 'a job without an error has no error in its summary');
      assert.deepEqual(
        (await ctx.ledger.listJobs({ limit: 2 })).map((s) => s.id),
        [c, b],
      );
    });

    it('listJobIdsUpdatedBefore returns jobs last updated before a time', async () => {
      const [old, recent] = [uniqueJobId(), uniqueJobId()];
      await ctx.ledger.createJob(minimalJob(old, { createdAt: 1_000, updatedAt: 1_000 }));
      await ctx.ledger.createJob(minimalJob(recent, { createdAt: 1_000, updatedAt: 3_000 }));
      let ids = await ctx.ledger.listJobIdsUpdatedBefore(2_000);
      assert.ok(ids.includes(old), 'old job listed');
      assert.ok(!ids.includes(recent), 'recent job not listed');
      await ctx.ledger.updateJob(old, ['created'], 'cancelled', undefined, 2_500);
      ids = await ctx.ledger.listJobIdsUpdatedBefore(2_000);
      assert.ok(!ids.includes(old), 'an update refreshes updatedAt');
      ids = await ctx.ledger.listJobIdsUpdatedBefore(3_000);
      assert.ok(ids.includes(old) && !ids.includes(recent), 'the bound is exclusive');
    });

    it('deleteJob removes the job, its tasks and its events', async () => {
      const id = await jobWithTasks(ctx.ledger, 'encoding', [
        ['video', 0],
        ['video', 1],
        ['audio', 0],
      ]);
      await ctx.ledger.appendEvent({ jobId: id, at: 1, type: 'job.created', message: 'created' });
      await ctx.ledger.appendEvent({ jobId: id, at: 2, type: 'job.encoding', message: 'encoding' });
      await ctx.ledger.deleteJob(id);
      assert.equal(await ctx.ledger.getJob(id), undefined);
      assert.deepEqual(await ctx.ledger.listTasks(id), []);
      assert.equal(await ctx.ledger.getTask({ jobId: id, kind: 'video', index: 0 }), undefined);
      assert.deepEqual(await ctx.ledger.listEvents(id), []);
      assert.ok(!(await ctx.ledger.listJobs()).some((s) => s.id === id), 'not in listJobs');
      // The id is free again, with a fresh task list and event sequence.
      await ctx.ledger.createJob(minimalJob(id));
      await ctx.ledger.putTasks([newTask(id, 'video', 0)]);
      const event = await ctx.ledger.appendEvent({ jobId: id, at: 3, type: 'job.created', message: 'again' });
      assert.equal(event.seq, 1);
    });
  });
}

function defineEventContract(ctx: LedgerContext): void {
  describe('events', () => {
    it('appendEvent numbers events from 1 per job; listEvents returns them oldest first', async () => {
      const id = await jobWithTasks(ctx.ledger, 'created', []);
      const other = await jobWithTasks(ctx.ledger, 'created', []);
      const e1 = await ctx.ledger.appendEvent({ jobId: id, at: 100, type: 'job.created', message: 'created' });
      const e2 = await ctx.ledger.appendEvent({
        jobId: id,
        at: 200,
        type: 'task.done',
        message: 'segment 0 done',
        data: { index: 0, sizes: [1, 2], nested: { ok: true } },
      });
      const o1 = await ctx.ledger.appendEvent({ jobId: other, at: 150, type: 'job.created', message: 'other' });
      const e3 = await ctx.ledger.appendEvent({ jobId: id, at: 300, type: 'job.done', message: 'done' });
      assert.deepEqual(e1, { jobId: id, seq: 1, at: 100, type: 'job.created', message: 'created' });
      assert.deepEqual(e2, {
        jobId: id,
        seq: 2,
        at: 200,
        type: 'task.done',
        message: 'segment 0 done',
        data: { index: 0, sizes: [1, 2], nested: { ok: true } },
      });
      assert.equal(o1.seq, 1, 'sequences are per job');
      assert.equal(e3.seq, 3);
      const all = await ctx.ledger.listEvents(id);
      assert.deepEqual(all, [e1, e2, e3]);
      assert.ok(!('data' in all[0]!), 'absent data stays absent');
      assert.deepEqual(await ctx.ledger.listEvents(id, 0), [e1, e2, e3]);
      assert.deepEqual(await ctx.ledger.listEvents(id, 1), [e2, e3]);
      assert.deepEqual(await ctx.ledger.listEvents(id, 3), []);
      assert.deepEqual(await ctx.ledger.listEvents(other), [o1]);
    });

    it('concurrent appends get distinct, consecutive seqs', async () => {
      const id = await jobWithTasks(ctx.ledger, 'created', []);
      const events = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ctx.ledger.appendEvent({ jobId: id, at: i, type: 'tick', message: `tick ${i}` })),
      );
      assert.deepEqual(
        events.map((e) => e.seq).sort((x, y) => x - y),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.deepEqual(
        (await ctx.ledger.listEvents(id)).map((e) => e.seq),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
    });
  });
}
