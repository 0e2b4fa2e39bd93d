/**
 * The ledger contract against SqliteLedger on a real temp file, plus what only SQLite has: sharing one file
 * between connections and processes, reopening, and the schema version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ConditionFailedError, NotFoundError } from '../../src/core/errors.js';
import type { TaskRecord } from '../../src/core/types.js';
import { makeSqliteLedger, SqliteLedger } from '../../src/adapters/sqlite/sqlite-ledger.js';
import { LEDGER_SCHEMA_VERSION } from '../../src/adapters/sqlite/sqlite-schema.js';
import { fullJob, minimalJob, newTask, runLedgerContract } from './ledger-contract.js';
import { spawnGroup } from '../support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'shardcast-ledger-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// One file for the whole contract, opened afresh for every test (ids are unique per test).
const contractDb = join(dir, 'contract.db');
runLedgerContract('SqliteLedger (temp file)', async () => makeSqliteLedger(contractDb));
runLedgerContract('SqliteLedger (:memory:)', async () => makeSqliteLedger(':memory:'));

let fileCount = 0;
const freshDb = (): string => join(dir, `ledger-${++fileCount}.db`);

describe('SqliteLedger on a shared file', () => {
  it('sets the schema version and WAL mode', async () => {
    const path = freshDb();
    const ledger = makeSqliteLedger(path);
    await ledger.close();
    assert.ok(LEDGER_SCHEMA_VERSION >= 1);
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), LEDGER_SCHEMA_VERSION);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('refuses a file written by a newer schema version', async () => {
    const path = freshDb();
    await makeSqliteLedger(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${LEDGER_SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => makeSqliteLedger(path), /newer than this shardcast supports/);
  });

  it('keeps its data when reopened', async () => {
    const path = freshDb();
    const job = fullJob('job-reopen');
    const first = new SqliteLedger(path);
    await first.createJob(job);
    await first.putTasks([newTask(job.id, 'video', 0), newTask(job.id, 'audio', 0)]);
    await first.transitionTask({ jobId: job.id, kind: 'video', index: 0 }, ['pending'], 'running', { attempts: 1, heartbeatAt: 7 });
    await first.appendEvent({ jobId: job.id, at: 1, type: 'job.created', message: 'created', data: { a: 1 } });
    const tasks = await first.listTasks(job.id);
    await first.close();
    await first.close(); // idempotent

    const second = makeSqliteLedger(path);
    try {
      assert.deepEqual(await second.getJob(job.id), job);
      assert.deepEqual(await second.listTasks(job.id), tasks);
      assert.equal((await second.appendEvent({ jobId: job.id, at: 2, type: 'x', message: 'y' })).seq, 2);
    } finally {
      await second.close();
    }
  });

  it('two instances on one file see each other’s writes, and only one wins a claim', async () => {
    const path = freshDb();
    const a = makeSqliteLedger(path);
    const b = makeSqliteLedger(path);
    try {
      const job = minimalJob('job-shared');
      await a.createJob(job);
      assert.deepEqual(await b.getJob(job.id), job);
      await b.putTasks([newTask(job.id, 'video', 0)]);
      const tid = { jobId: job.id, kind: 'video', index: 0 } as const;
      const results = await Promise.allSettled([
        a.transitionTask(tid, ['pending'], 'running', { attempts: 1, worker: 'a' }, 0),
        b.transitionTask(tid, ['pending'], 'running', { attempts: 1, worker: 'b' }, 0),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(lost?.reason instanceof ConditionFailedError);
      const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<TaskRecord>).value;
      assert.deepEqual(await a.getTask(tid), winner);
      assert.deepEqual(await b.getTask(tid), winner);
      await a.updateJob(job.id, ['created'], 'encoding', undefined, 5);
      assert.equal((await b.listJobs()).find((s) => s.id === job.id)?.status, 'encoding');
      await b.deleteJob(job.id);
      assert.equal(await a.getJob(job.id), undefined);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('two processes appending events to one job get distinct consecutive seqs', async () => {
    const path = freshDb();
    const ledger = makeSqliteLedger(path);
    try {
      await ledger.createJob(minimalJob('job-procs'));
      const perWriter = 150;
      const moduleUrl = new URL('../../src/adapters/sqlite/sqlite-ledger.ts', import.meta.url).href;
      const script = `
        const { makeSqliteLedger } = await import(${JSON.stringify(moduleUrl)});
        const l = makeSqliteLedger(${JSON.stringify(path)});
        for (let i = 0; i < ${perWriter}; i++) await l.appendEvent({ jobId: 'job-procs', at: i, type: 'child', message: String(i) });
        await l.close();`;
      const child = spawnGroup(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      for (let i = 0; i < perWriter; i++) {
        await ledger.appendEvent({ jobId: 'job-procs', at: i, type: 'parent', message: String(i) });
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(await exited, 0, `child failed: ${stderr}`);
      const events = await ledger.listEvents('job-procs');
      assert.deepEqual(
        events.map((e) => e.seq),
        Array.from({ length: 2 * perWriter }, (_, i) => i + 1),
      );
      assert.equal(events.filter((e) => e.type === 'child').length, perWriter);
    } finally {
      await ledger.close();
    }
  });

  it('writes for an unknown job throw NotFoundError', async () => {
    const ledger = makeSqliteLedger(':memory:');
    try {
      await assert.rejects(ledger.putTasks([newTask('job-missing', 'video', 0)]), NotFoundError);
      await assert.rejects(ledger.appendEvent({ jobId: 'job-missing', at: 1, type: 't', message: 'm' }), NotFoundError);
      assert.deepEqual(await ledger.listTasks('job-missing'), []);
    } finally {
      await ledger.close();
    }
  });
});
