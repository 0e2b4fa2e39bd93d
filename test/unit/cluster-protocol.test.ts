/**
 * The cluster's pure parts: job ids and attempt keys, queue names per store, Redis URLs, store locations, and
 * the worker-side ledger that turns an encode's ledger writes into reports for the coordinator.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReportLedger } from '../../src/adapters/bullmq/report-ledger.js';
import { attemptKeyOf, childJobId, clusterQueues, jobIdOfChild, type WorkerReport } from '../../src/adapters/bullmq/protocol.js';
import { redisOptions, redisProblems, shownRedisUrl } from '../../src/adapters/bullmq/redis.js';
import { ConditionFailedError, UsageError } from '../../src/core/errors.js';
import type { JobHead, TaskRecord } from '../../src/core/types.js';
import { parseStore, storeLocation } from '../../src/runtime/cluster/cluster-store.js';

describe('cluster protocol', () => {
  it('child ids come from task keys and lead back to the job; attempt keys are per attempt, beside the job', () => {
    assert.equal(childJobId('abc123def456', 'abc123def456/v00012'), 'abc123def456-v00012');
    assert.equal(jobIdOfChild('abc123def456-v00012'), 'abc123def456');
    assert.equal(attemptKeyOf('abc123def456/v00012.mp4', '2f0a1b2'), 'abc123def456/attempts/v00012.2f0a1b2.mp4');
    assert.equal(attemptKeyOf('abc123def456/a00000.mka', '1x'), 'abc123def456/attempts/a00000.1x.mka');
    assert.notEqual(attemptKeyOf('j/v00001.mp4', 'a'), attemptKeyOf('j/v00001.mp4', 'b'));
  });

  it('queues are named by the store, so two stores on one Redis never share tasks', () => {
    const a = clusterQueues('/mnt/a');
    const b = clusterQueues('s3://bucket/prefix/');
    assert.match(a.encode, /^shardcast-encode-[0-9a-f]{10}$/);
    assert.match(a.merge, /^shardcast-merge-[0-9a-f]{10}$/);
    assert.notEqual(a.encode, b.encode);
    assert.deepEqual(clusterQueues('/mnt/a'), a);
    assert.ok(!a.encode.includes(':'), 'BullMQ names hold no colon');
  });

  it('Redis URLs: host, port, db, credentials, TLS; bad ones refused in one line; the password never shown', () => {
    assert.deepEqual(redisOptions('redis://10.0.0.5:6380/2'), { host: '10.0.0.5', port: 6380, db: 2, maxRetriesPerRequest: null });
    const o = redisOptions('rediss://user:p%40ss@redis.lan');
    assert.equal(o.password, 'p@ss');
    assert.equal(o.username, 'user');
    assert.equal(o.port, 6379);
    assert.deepEqual(o.tls, {});
    assert.throws(() => redisOptions('10.0.0.5:6379'), UsageError);
    assert.throws(() => redisOptions('http://x'), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => redisOptions('redis://x/abc'), /database/);
    assert.equal(shownRedisUrl('redis://:secret@h:1'), 'redis://:***@h:1');
  });

  it('Redis problems: older than 6.2, or an eviction policy that can drop queued tasks', () => {
    assert.deepEqual(redisProblems({ version: '7.0.15', maxmemoryPolicy: 'noeviction' }), []);
    assert.match(redisProblems({ version: '6.0.9', maxmemoryPolicy: 'noeviction' })[0]!, /older than 6\.2/);
    assert.deepEqual(redisProblems({ version: '6.2.0', maxmemoryPolicy: 'noeviction' }), []);
    assert.match(redisProblems({ version: '7.2.4', maxmemoryPolicy: 'allkeys-lru' })[0]!, /noeviction/);
  });

  it('store locations: an absolute folder, or s3://bucket/prefix with an optional endpoint', () => {
    assert.deepEqual(parseStore('/mnt/shardcast/', undefined), { kind: 'folder', root: '/mnt/shardcast' });
    assert.deepEqual(parseStore('s3://media/cluster', 'http://127.0.0.1:9000'), {
      kind: 's3',
      bucket: 'media',
      prefix: 'cluster/',
      endpoint: 'http://127.0.0.1:9000',
    });
    assert.equal(storeLocation(parseStore('s3://media/cluster', undefined)), 's3://media/cluster/');
    assert.throws(() => parseStore(undefined, undefined), /needs --store/);
    assert.throws(() => parseStore('relative', undefined), /absolute path/);
    assert.throws(() => parseStore('/mnt/x', 'http://e'), /goes with an s3:\/\/ --store/);
    assert.throws(() => parseStore('s3://media/p', 'ftp://e'), /http\(s\) URL/);
  });
});

describe("ReportLedger (a worker's view of the ledger)", () => {
  const head = { id: 'job1', status: 'encoding', source: '/s.mp4', output: '/o.mp4' } as unknown as JobHead;
  const task = {
    jobId: 'job1',
    kind: 'video',
    index: 3,
    key: 'job1/v00003',
    outputKey: 'job1/attempts/v00003.1a.mp4',
    status: 'pending',
    attempts: 0,
  } as unknown as TaskRecord;
  const id = { jobId: 'job1', kind: 'video' as const, index: 3 };
  const ak = 'job1/attempts/v00003.1a.mp4';

  it('sends the claim, heartbeats with frames, other events and a failure as reports; keeps the done fields', async () => {
    const sent: WorkerReport[] = [];
    let frames: number | undefined = 42;
    const l = new ReportLedger(
      head,
      task,
      'host:1/9',
      async (r) => {
        sent.push(r);
      },
      () => frames,
    );
    assert.equal((await l.getTask(id))!.outputKey, 'job1/attempts/v00003.1a.mp4');
    const running = await l.transitionTask(id, ['pending', 'failed'], 'running', { attempts: 1, worker: 'host:1/9', startedAt: 5 }, 0);
    assert.equal(running.status, 'running');
    await l.heartbeat(id, 10);
    frames = undefined;
    await l.heartbeat(id, 11);
    await l.appendEvent({ jobId: 'job1', at: 1, type: 'task.started', message: 'the coordinator writes this one' });
    await l.appendEvent({ jobId: 'job1', at: 1, type: 'job.cutting', message: 'pre-roll', data: { key: 'job1/v00003' } });
    await l.transitionTask(id, ['running'], 'done', { sizeBytes: 7, checksum: 'ab' }, 1);
    assert.deepEqual(l.donePatch, { sizeBytes: 7, checksum: 'ab' });
    assert.deepEqual(sent, [
      { t: 'started', worker: 'host:1/9', at: 5, attemptKey: ak },
      { t: 'beat', worker: 'host:1/9', at: 10, frames: 42, attemptKey: ak },
      { t: 'beat', worker: 'host:1/9', at: 11, attemptKey: ak },
      { t: 'event', worker: 'host:1/9', type: 'job.cutting', message: 'pre-roll', data: { key: 'job1/v00003' }, attemptKey: ak },
    ]);
  });

  it("guards the attempt's own sequence, touches only its own task, and leaves the record to the coordinator", async () => {
    const sent: WorkerReport[] = [];
    const learned: string[] = [];
    const l = new ReportLedger(
      head,
      task,
      'w',
      async (r) => {
        sent.push(r);
      },
      () => undefined,
      (reason) => learned.push(reason),
    );
    await assert.rejects(l.transitionTask(id, ['running'], 'done', {}, 0), ConditionFailedError);
    await assert.rejects(l.getTask({ ...id, index: 4 }), /only its own task/);
    await assert.rejects(l.listTasks(), /only the coordinator/);
    await l.transitionTask(id, ['pending'], 'running', { attempts: 1 }, 0);
    await l.transitionTask(id, ['running'], 'failed', { error: 'boom' }, 1);
    await assert.rejects(l.updateJob('job1', ['encoding'], 'encoding', { cutFallback: 'intra refresh' }), /kept by the coordinator/);
    assert.equal((await l.getJobHead('job1'))!.cutFallback, 'intra refresh');
    assert.deepEqual(learned, ['intra refresh'], "the worker is told, for the job's next tasks");
    assert.deepEqual(
      sent.map((r) => r.t),
      ['started', 'failed', 'cut-fallback'],
    );
    assert.ok(
      sent.every((r) => r.attemptKey === 'job1/attempts/v00003.1a.mp4' && r.worker === 'w'),
      'every report names its attempt',
    );
    // An attempt that lost its lock says nothing more.
    l.detach();
    await l.transitionTask(id, ['failed'], 'running', { attempts: 2 }, 1);
    await l.heartbeat(id, 20);
    assert.equal(sent.length, 3);
  });
});
