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
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { makeDynamoDbDocumentClient } from '../../src/adapters/aws/aws-clients.js';
import { DynamoDbLedger } from '../../src/adapters/aws/dynamodb-ledger.js';
import { ledgerCreateTableInput } from '../../src/adapters/aws/ledger-table.js';
import type { JobRecord } from '../../src/core/types.js';
import { fullJob, minimalJob, newTask, runLedgerContract } from './ledger-contract.js';

const TABLE = 'shardcast-ledger-test';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let server: ReturnType<typeof dynalite>;
let doc: DynamoDBDocumentClient;

before(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
  const res = await doc.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `JOB#${jobId}` },
  }));
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

    const short = makeLedger({ now: () => now, ttlHours: 6 });
    await short.transitionTask({ jobId: job.id, kind: 'video', index: 0 }, ['pending'], 'running');
    const task = (await itemsOf(job.id)).find((i) => i.sk === 'TASK#video#00000');
    assert.equal(task?.ttl, now / 1000 + 6 * 3600, 'a write refreshes the ttl with the configured hours');
    assert.ok(!('ttl' in (await ledger.getTask({ jobId: job.id, kind: 'video', index: 0 }))!), 'ttl is not part of the record');
  });

  it('stores a job whose analysis is larger than one item (chunked), and replaces it', async () => {
    const ledger = makeLedger();
    const base = fullJob('job-huge');
    // 150,000 irregular frame times: about 3 MB of JSON, ~1 MB gzipped, so it cannot stay in the job item.
    const frameTimes = Array.from({ length: 150_000 }, (_, i) => i / 24 + Math.random() / 1000);
    const huge: JobRecord = { ...base, analysis: { ...base.analysis!, video: { ...base.analysis!.video, frameTimes } } };
    await ledger.createJob(huge);
    assert.deepEqual(await ledger.getJob(huge.id), huge);
    const chunks = (await itemsOf(huge.id)).filter((i) => String(i.sk).startsWith('BLOB#analysis#'));
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
});
