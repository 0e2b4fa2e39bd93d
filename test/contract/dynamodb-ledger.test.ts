/**
 * The ledger contract against DynamoDbLedger on dynalite (a DynamoDB emulator, in process on 127.0.0.1), with
 * the table created from the same definition as the CDK table; plus what only DynamoDB has: TTLs, and job
 * records too large for one item.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dynalite from 'dynalite';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { gzipSync } from 'node:zlib';
import { jobHeadOf } from '../../src/core/job-head.js';
import { segmentReadOf } from '../../src/core/cut-policy.js';
import { planSegments } from '../../src/core/plan-segments.js';
import { makeDynamoDbDocumentClient } from '../../src/adapters/aws/aws-clients.js';
import { DynamoDbLedger } from '../../src/adapters/aws/dynamodb-ledger.js';
import { dynamoItemBytes } from '../../src/adapters/aws/dynamodb-items.js';
import { ledgerCreateTableInput } from '../../src/adapters/aws/ledger-table.js';
import type { JobRecord } from '../../src/core/types.js';
import { claimRetry } from '../../src/app/run-steps.js';
import type { AppDeps } from '../../src/app/deps.js';
import { InputError } from '../../src/core/errors.js';
import { fullJob, minimalJob, newTask, runLedgerContract } from './ledger-contract.js';

const TABLE = 'shardcast-ledger-test';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let server: ReturnType<typeof dynalite>;
let doc: DynamoDBDocumentClient;
let endpoint: string;

before(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  await raw.send(new CreateTableCommand(ledgerCreateTableInput(TABLE)));
  raw.destroy();
  doc = makeDynamoDbDocumentClient({ endpoint, region: 'us-east-1', credentials });
});
after(async () => {
  doc?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

const makeLedger = (over: Partial<ConstructorParameters<typeof DynamoDbLedger>[0]> = {}) =>
  new DynamoDbLedger({ client: doc, tableName: TABLE, ...over });

runLedgerContract('DynamoDbLedger (dynalite)', async () => makeLedger());

async function itemsOf(jobId: string): Promise<Array<Record<string, unknown>>> {
  const res = await doc.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `JOB#${jobId}` },
    }),
  );
  return (res.Items ?? []) as Array<Record<string, unknown>>;
}

describe('DynamoDbLedger specifics', () => {
  it('puts a ttl (epoch seconds, default 48 h after the write) on every item', async () => {
    const now = 1_800_000_000_000;
    const ledger = makeLedger({ now: () => now });
    const job = minimalJob('job-ttl-default');
    await ledger.createJob(job);
    await ledger.putTasks([newTask(job.id, 'video', 0), newTask(job.id, 'audio', 0)]);
    await ledger.appendEvent({ jobId: job.id, at: 1, type: 't', message: 'm' });
    const items = await itemsOf(job.id);
    assert.equal(items.length, 4);
    for (const item of items) assert.equal(item.ttl, now / 1000 + 48 * 3600, `ttl of ${String(item.sk)}`);

    // A later write, by another ledger (another invocation) with other hours, keeps the job's expiry: a job's
    // items go together (regression: each item's ttl was its own last write + 48 h, so tasks went first).
    const later = makeLedger({ now: () => now + 40 * 3600_000, ttlHours: 6 });
    await later.transitionTask({ jobId: job.id, kind: 'video', index: 0 }, ['pending'], 'running');
    await later.appendEvent({ jobId: job.id, at: 2, type: 't', message: 'later' });
    await later.updateJob(job.id, ['created'], 'analyzing');
    for (const item of await itemsOf(job.id))
      assert.equal(item.ttl, now / 1000 + 48 * 3600, `ttl of ${String(item.sk)} after later writes`);
    assert.ok(!('ttl' in (await ledger.getTask({ jobId: job.id, kind: 'video', index: 0 }))!), 'ttl is not part of the record');
    assert.deepEqual(await later.recordsExpireAt(job.id), { at: now + 48 * 3600_000, createdAt: job.createdAt });
  });

  it('reads leave out items past their ttl (DynamoDB deletes them days later, and reads return them until then)', async () => {
    const now = 1_800_000_000_000;
    const job = minimalJob('job-ttl-expired', { createdAt: now, updatedAt: now });
    const writer = makeLedger({ now: () => now, ttlHours: 1 });
    await writer.createJob(job);
    await writer.putTasks([newTask(job.id, 'video', 0)]);
    await writer.appendEvent({ jobId: job.id, at: 1, type: 't', message: 'm' });
    const before = makeLedger({ now: () => now + 3_599_000, ttlHours: 1 });
    assert.ok(await before.getJob(job.id));
    assert.equal((await before.listTasks(job.id)).length, 1);
    const after = makeLedger({ now: () => now + 3_600_000, ttlHours: 1 });
    assert.equal(await after.getJob(job.id), undefined);
    assert.equal(await after.getJobHead(job.id), undefined);
    assert.equal(await after.getTask({ jobId: job.id, kind: 'video', index: 0 }), undefined);
    assert.deepEqual(await after.listTasks(job.id), []);
    assert.deepEqual(await after.listEvents(job.id), []);
    assert.ok(!(await after.listJobs()).some((j) => j.id === job.id), 'not listed');
    assert.equal((await itemsOf(job.id)).length, 3, 'the items are still in the table');
  });

  it("a retry near the records' expiry is refused in one line; one well before it runs", async () => {
    const now = 1_800_000_000_000;
    const mk = (id: string) => minimalJob(id, { status: 'failed', createdAt: now, updatedAt: now });
    const writer = makeLedger({ now: () => now });
    for (const id of ['job-retry-late', 'job-retry-early']) {
      await writer.createJob(mk(id));
      await writer.putTasks([newTask(id, 'video', 0)]);
    }
    const at = (ms: number) => {
      const ledger = makeLedger({ now: () => ms });
      return { ledger, clock: () => ms } as unknown as AppDeps;
    };
    await assert.rejects(
      claimRetry(at(now + 43 * 3600_000), 'job-retry-late'),
      (e: Error) =>
        e instanceof InputError &&
        /^job job-retry-late's records expire at 2027-01-17T\S+ \(all of a job's records go together, 48 h after it was made\): a retry now could lose them mid-run; transcode the source again$/.test(
          e.message,
        ),
    );
    const claimed = await claimRetry(at(now + 41 * 3600_000), 'job-retry-early');
    assert.notEqual(claimed.status, 'failed');
  });

  it('stores a job whose analysis is larger than one item (chunked), and replaces it', async () => {
    const ledger = makeLedger();
    const base = fullJob('job-huge');
    // 150,000 irregular frame times: about 3 MB of JSON, ~1 MB gzipped, so it cannot stay in the job item.
    const frameTimes = Array.from({ length: 150_000 }, (_, i) => i / 24 + Math.random() / 1000);
    const huge: JobRecord = { ...base, analysis: { ...base.analysis!, video: { ...base.analysis!.video, frameTimes } } };
    await ledger.createJob(huge);
    assert.deepEqual(await ledger.getJob(huge.id), huge);
    const chunks = (await itemsOf(huge.id)).filter((i) => String(i.sk).startsWith('BLOB#frames#'));
    assert.ok(chunks.length >= 2, `${chunks.length} chunks`);

    const smaller = { ...base.analysis!, duration: 99 };
    const updated = await ledger.updateJob(huge.id, ['done'], 'done', { analysis: smaller }, 5);
    assert.deepEqual(updated.analysis, smaller);
    assert.deepEqual(await ledger.getJob(huge.id), { ...huge, analysis: smaller, updatedAt: 5 });
    await ledger.deleteJob(huge.id);
    assert.deepEqual(await itemsOf(huge.id), [], 'chunks are deleted with the job');
  });

  it('a status change writes only the patched fields: a racing heartbeat survives', async () => {
    const ledger = makeLedger();
    const job = minimalJob('job-race-heartbeat', { status: 'encoding' });
    await ledger.createJob(job);
    await ledger.putTasks([newTask(job.id, 'video', 0)]);
    const tid = { jobId: job.id, kind: 'video', index: 0 } as const;
    await ledger.transitionTask(tid, ['pending'], 'running', { attempts: 1, heartbeatAt: 1 });
    await ledger.heartbeat(tid, 2);
    const done = await ledger.transitionTask(tid, ['running'], 'done', { sizeBytes: 3 });
    assert.equal(done.heartbeatAt, 2);
    assert.equal(done.sizeBytes, 3);
  });

  it('reads a job stored before the bulky fields were split (whole analysis and plan, plain result)', async () => {
    const job = fullJob('job-legacy-layout');
    const { analysis, plan, result, ...rest } = job;
    await doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...rest,
          result,
          pk: `JOB#${job.id}`,
          sk: 'JOB',
          gsiPk: 'JOB',
          ttl: 2_000_000_000,
          analysisGz: gzipSync(JSON.stringify(analysis)),
          planGz: gzipSync(JSON.stringify(plan)),
        },
      }),
    );
    const ledger = makeLedger();
    assert.deepEqual(await ledger.getJob(job.id), job);
    assert.deepEqual(await ledger.getJobHead(job.id), jobHeadOf(job));
    const updated = await ledger.updateJob(job.id, ['done'], 'done', { result: { ...result!, frames: 5 } }, 7);
    assert.deepEqual(updated, { ...job, result: { ...result!, frames: 5 }, updatedAt: 7 });
  });
});

/** A document client whose every call asks for and adds up its consumed capacity. */
function meteredLedger(): { ledger: DynamoDbLedger; meter: { units: number } } {
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  const meter = { units: 0 };
  raw.middlewareStack.add(
    (next) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const r = await next(args);
      const cc = (r.output as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> }).ConsumedCapacity;
      meter.units += (Array.isArray(cc) ? cc : cc ? [cc] : []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
      return r;
    },
    { step: 'initialize', name: 'meter' },
  );
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return { ledger: new DynamoDbLedger({ client, tableName: TABLE, destroyClientOnClose: true }), meter };
}

describe('DynamoDbLedger at scale: a 2 h source at 30 fps in 1 s segments (7,200 tasks)', () => {
  const fps = 30;
  const frames = 2 * 3600 * fps;
  // Real frame times do not gzip to nothing: a little jitter, as a variable-rate camera file has.
  const frameTimes = Array.from({ length: frames }, (_, i) => Math.round((i / fps + ((i * 7919) % 13) * 1e-5) * 1e6) / 1e6);
  const keyframeIndices = Array.from({ length: frames / fps }, (_, i) => i * fps);
  const base = fullJob('job-2h-7200');
  const analysis = {
    ...base.analysis!,
    duration: 7200,
    video: { ...base.analysis!.video, frameTimes, keyframeIndices, lastFrameDuration: 1 / fps },
  };
  const plan = planSegments({ frameTimes, keyframeIndices, lastFrameDuration: 1 / fps, targetSeconds: 1 });
  const job: JobRecord = { ...base, status: 'encoding', analysis, plan, result: undefined };
  delete (job as Partial<JobRecord>).result;
  let metered: ReturnType<typeof meteredLedger>;

  before(async () => {
    assert.equal(plan.segments.length, 7200);
    const ledger = makeLedger();
    await ledger.createJob({ ...job, status: 'analyzing', analysis: undefined, plan: undefined });
    await ledger.putTasks(
      plan.segments.map((s) => ({
        jobId: job.id,
        kind: 'video' as const,
        index: s.index,
        key: `${job.id}/v${String(s.index).padStart(5, '0')}`,
        startFrame: s.startFrame,
        frameCount: s.frameCount,
        startTime: s.startTime,
        endTime: s.endTime,
        outputKey: `${job.id}/v${s.index}.mp4`,
        read: segmentReadOf(analysis, s),
      })),
    );
    await ledger.updateJob(job.id, ['analyzing'], 'encoding', { analysis, plan }, job.updatedAt);
    metered = meteredLedger();
  });
  after(async () => metered?.ledger.close());

  it("keeps every item under DynamoDB's 400 KB, and the job item small", async () => {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await doc.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `JOB#${job.id}` },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((res.Items ?? []) as Array<Record<string, unknown>>));
      start = res.LastEvaluatedKey;
    } while (start);
    assert.equal(items.filter((i) => String(i.sk).startsWith('TASK#')).length, 7200);
    const largest = Math.max(...items.map(dynamoItemBytes));
    assert.ok(largest < 400 * 1024, `largest item ${largest} bytes`);
    const jobItem = dynamoItemBytes(items.find((i) => i.sk === 'JOB'));
    assert.ok(jobItem < 8 * 1024, `job item ${jobItem} bytes (every task reads it, every event updates it)`);
  });

  it("a segment's encode reads the job and its task for a few read units; the whole record is what Merge reads", async () => {
    metered.meter.units = 0;
    const head = await metered.ledger.getJobHead(job.id);
    const task = await metered.ledger.getTask({ jobId: job.id, kind: 'video', index: 3600 });
    const perTask = metered.meter.units;
    assert.deepEqual(head, jobHeadOf(job));
    assert.deepEqual(task?.read, segmentReadOf(analysis, plan.segments[3600]!));
    assert.ok(perTask <= 3, `${perTask} read units per segment (was 73-165 with the frame list read whole)`);
    metered.meter.units = 0;
    assert.deepEqual(await metered.ledger.getJob(job.id), job);
    assert.ok(metered.meter.units > 20 * perTask, `the whole record: ${metered.meter.units} read units`);
  });

  it('an event costs a few write units; progress is half a read unit', async () => {
    metered.meter.units = 0;
    await metered.ledger.appendEvent({ jobId: job.id, at: 1, type: 'task.done', message: 'segment 1 done' });
    assert.ok(metered.meter.units <= 4, `${metered.meter.units} write units per event`);
    metered.meter.units = 0;
    assert.deepEqual(await metered.ledger.taskProgress(job.id), { videoTotal: 7200, videoDone: 0, framesTotal: frames, framesDone: 0 });
    assert.equal(metered.meter.units, 0.5);
  });
});
