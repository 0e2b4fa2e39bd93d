/**
 * The cluster coordinator's rules for which attempt's report counts (adapters/bullmq/report-rules.ts), over an
 * in-memory ledger: no Redis, no worker, no ffmpeg.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AttemptRules, startFromLastReport } from '../../src/adapters/bullmq/report-rules.js';
import type { WorkerReport } from '../../src/adapters/bullmq/protocol.js';
import { makeSqliteLedger } from '../../src/adapters/sqlite/sqlite-ledger.js';
import type { TaskRecord } from '../../src/core/types.js';
import type { Ledger } from '../../src/ports/ledger.js';
import { jobWithTasks } from '../contract/ledger-fixtures.js';

let ledger: Ledger;
let rules: AttemptRules;
let events: Array<{ type: string; data?: Record<string, unknown> }>;
let progress: number[];
let task: TaskRecord;
let now = 1_000;

type Body = WorkerReport extends infer R ? (R extends unknown ? Omit<R, 'worker' | 'attemptKey'> : never) : never;
const from = (worker: string, attemptKey: string, body: Body): WorkerReport => ({ ...body, worker, attemptKey });
const A = (body: Body) => from('host-a:1', 'a/seg.mkv', body);
const B = (body: Body) => from('host-b:2', 'b/seg.mkv', body);
const current = async () => (await ledger.getTask(task))!;

beforeEach(async () => {
  ledger = makeSqliteLedger(':memory:');
  events = [];
  progress = [];
  rules = new AttemptRules({
    ledger,
    clock: () => now,
    event: async (type, _message, data) => {
      events.push({ type, ...(data ? { data } : {}) });
    },
    onProgress: (p) => progress.push(p.frames),
  });
  const jobId = await jobWithTasks(ledger, 'encoding', [['video', 0]]);
  task = (await ledger.listTasks(jobId))[0]!;
});

describe('the cluster report rules (fast tier)', () => {
  it('a started attempt holds the task: its beats count, another worker’s do not', async () => {
    await rules.applyReport(task, A({ t: 'started', at: 900 }));
    let cur = await current();
    assert.deepEqual([cur.status, cur.attempts, cur.worker, cur.startedAt], ['running', 1, 'host-a:1', 900]);
    now = 2_000;
    await rules.applyReport(task, A({ t: 'beat', at: 2_000, frames: 12 }));
    await rules.applyReport(task, B({ t: 'beat', at: 2_000, frames: 99 }));
    cur = await current();
    assert.equal(cur.heartbeatAt, 2_000);
    assert.deepEqual(progress, [12]);
    assert.deepEqual(
      events.map((e) => e.type),
      ['task.started'],
    );
  });

  it('a failure counts only from the attempt that holds the task', async () => {
    await rules.applyReport(task, A({ t: 'started', at: 900 }));
    await rules.applyReport(task, B({ t: 'failed', patch: { error: 'not mine' } }));
    assert.equal((await current()).status, 'running');
    await rules.applyReport(task, A({ t: 'failed', patch: { error: 'ffmpeg exited with 1' } }));
    const cur = await current();
    assert.deepEqual([cur.status, cur.error, cur.attempts], ['failed', 'ffmpeg exited with 1', 1]);
    assert.deepEqual(
      events.map((e) => e.type),
      ['task.started', 'task.failed'],
    );
  });

  it('an attempt started while another held the task takes it over (the first lost its lock)', async () => {
    await rules.applyReport(task, A({ t: 'started', at: 900 }));
    await rules.applyReport(task, B({ t: 'started', at: 1_500 }));
    const cur = await current();
    assert.deepEqual([cur.status, cur.attempts, cur.worker], ['running', 2, 'host-b:2']);
    assert.deepEqual(
      events.map((e) => e.type),
      ['task.started', 'task.requeued', 'task.started'],
    );
    // The first attempt's late reports change nothing now.
    await rules.applyReport(task, A({ t: 'handback' }));
    await rules.applyReport(task, A({ t: 'failed', patch: { error: 'late' } }));
    assert.deepEqual([(await current()).status, (await current()).worker], ['running', 'host-b:2']);
  });

  it('a handed-back attempt does not count as one; a done task takes no report', async () => {
    await rules.applyReport(task, A({ t: 'started', at: 900 }));
    await rules.applyReport(task, A({ t: 'handback' }));
    let cur = await current();
    assert.deepEqual([cur.status, cur.attempts], ['pending', 0]);
    await rules.applyReport(task, B({ t: 'started', at: 1_200 }));
    cur = await current();
    await rules.recordResult(
      task,
      cur,
      { worker: 'host-b:2', attemptKey: 'b/seg.mkv', patch: { wallMs: 300, cpuSeconds: 1 } },
      {
        sizeBytes: 42,
        checksum: 'c0ffee',
      },
    );
    cur = await current();
    assert.deepEqual([cur.status, cur.attempts, cur.sizeBytes, cur.checksum], ['done', 1, 42, 'c0ffee']);
    await rules.applyReport(task, B({ t: 'failed', patch: { error: 'after done' } }));
    assert.equal((await current()).status, 'done');
  });

  it('a result from an attempt the ledger did not know is recorded as one more attempt', async () => {
    await rules.applyReport(task, A({ t: 'started', at: 900 }));
    const cur = await current();
    await rules.recordResult(task, cur, { worker: 'host-b:2', attemptKey: 'b/seg.mkv', patch: {} }, { sizeBytes: 7, checksum: 'ab' });
    const done = await current();
    assert.deepEqual([done.status, done.attempts, done.worker], ['done', 2, 'host-b:2']);
  });

  it('the first pre-roll finding is kept on the job', async () => {
    await rules.applyReport(task, A({ t: 'cut-fallback', reason: 'short seek read' }));
    await rules.applyReport(task, A({ t: 'cut-fallback', reason: 'another' }));
    assert.equal((await ledger.getJobHead(task.jobId))!.cutFallback, 'short seek read');
  });

  it('an attempt found running in the flow counts once, even when its child still holds the last attempt’s failure', async () => {
    // Attempt 1 fails; BullMQ starts attempt 2 (same worker, a new file) before it reports; a reconcile reads the
    // child's progress field, which still holds attempt 1's failure.
    const A2 = (body: Body) => from('host-a:1', 'a/seg.2.mkv', body);
    await rules.applyReport(task, A({ t: 'started', at: 900 }));
    await rules.applyReport(task, A({ t: 'failed', patch: { error: 'ffmpeg exited with 1', finishedAt: 950 } }));
    const stale = startFromLastReport(A({ t: 'failed', patch: { error: 'ffmpeg exited with 1', finishedAt: 950 } }), now);
    assert.equal(stale, undefined, 'a report that ended its attempt starts none');
    assert.equal(startFromLastReport(A({ t: 'handback' }), now), undefined);
    await rules.applyReport(task, A2({ t: 'started', at: 1_000 }));
    const live = startFromLastReport(A2({ t: 'beat', at: 1_100, frames: 3 }), 1_100);
    assert.deepEqual(live, { t: 'started', worker: 'host-a:1', attemptKey: 'a/seg.2.mkv', at: 1_100 });
    await rules.applyReport(task, live);
    const cur = await current();
    assert.deepEqual([cur.status, cur.attempts], ['running', 2]);
  });
});
