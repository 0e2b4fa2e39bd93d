/**
 * Jobs refused at their input (failed before any segment was planned: not media, no video, truncated) and what
 * `gc` removes (issue 27, item 7): `jobs` labels a refused job `refused` with its reason instead of `failed 0/0`;
 * `gc --failed` removes every failed job whatever its age, `gc --refused` only the refused ones, `--older-than`
 * with either keeps the recent ones, `--older-than` alone works as before, and no criterion is a usage error.
 * Over the Backend every home is built by (runtime/home-backend.ts), on an in-memory ledger.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { LocalBlobStore } from '../../src/adapters/local/local-blob-store.js';
import { makeSqliteLedger } from '../../src/adapters/sqlite/sqlite-ledger.js';
import type { AppDeps } from '../../src/app/deps.js';
import { refusedAtInput } from '../../src/app/remove-job.js';
import { jobsText } from '../../src/cli/commands.js';
import { UsageError } from '../../src/core/errors.js';
import type { JobRecord, JobStatus } from '../../src/core/types.js';
import type { Backend } from '../../src/runtime/backend.js';
import { makeBackend } from '../../src/runtime/home-backend.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';

const DAY = 86_400_000;

describe('gc --failed / --refused, and refused jobs in `jobs`', () => {
  const root = mkdtempSync(join(tmpdir(), 'shardcast-gc-'));
  let backend: Backend;
  let deps: AppDeps;
  after(() => rmSync(root, { recursive: true, force: true }));

  beforeEach(() => {
    const ledger = makeSqliteLedger(':memory:');
    deps = {
      ledger,
      blobs: new LocalBlobStore(join(root, `jobs-${Math.random().toString(36).slice(2)}`)),
      media: undefined as never,
      clock: () => Date.now(),
      workerId: 'gc-test:1',
      readableSource: async (s) => s,
      sourceSize: async () => undefined,
      isWorkerAlive: () => undefined,
      heartbeatMs: 60_000,
    };
    backend = makeBackend({
      kind: 'local',
      ledger,
      where: 'the test ledger',
      depsFor: async () => deps,
      checkRequest: () => Promise.reject(new Error('not used')),
      drive: () => Promise.reject(new Error('not used')),
      runsElsewhere: () => false,
      close: () => ledger.close(),
    });
  });

  /** A job `status`, last updated `ageMs` ago; `segments`: video tasks planned (0: refused at input). */
  async function job(id: string, status: JobStatus, ageMs: number, segments: number, error?: string): Promise<void> {
    const at = Date.now() - ageMs;
    const output = join(root, `${id}.mp4`);
    const record: JobRecord = {
      id,
      status: 'created',
      backend: 'local',
      source: `/media/${id}.mkv`,
      output,
      options: parseTranscodeOptions({}, output),
      createdAt: at,
      updatedAt: at,
      timings: {},
    };
    await deps.ledger.createJob(record);
    if (segments) {
      await deps.ledger.putTasks(
        Array.from({ length: segments }, (_, i) => ({
          jobId: id,
          kind: 'video' as const,
          index: i,
          key: `${id}/v${String(i).padStart(5, '0')}`,
          startFrame: i * 10,
          frameCount: 10,
          startTime: i,
          endTime: i + 1,
          outputKey: `${id}/v${String(i).padStart(5, '0')}.mkv`,
        })),
      );
    }
    if (status !== 'created') await deps.ledger.updateJob(id, ['created'], status, error ? { error } : {}, at);
  }

  async function world(): Promise<void> {
    await job(
      'refusednew',
      'failed',
      60_000,
      0,
      'not a readable media file: /media/refusednew.mkv: Invalid data found when processing input',
    );
    await job('refusedold', 'failed', 10 * DAY, 0, 'the source has no video stream');
    await job('failednew', 'failed', 60_000, 4, 'segment 2 failed after 3 attempts');
    await job('failedold', 'failed', 10 * DAY, 4, 'segment 1 failed after 3 attempts');
    await job('donenew', 'done', 60_000, 4);
    await job('doneold', 'done', 10 * DAY, 4);
    await job('cancelledold', 'cancelled', 10 * DAY, 4);
  }

  const remaining = async () => (await backend.jobs(100)).map((j) => j.id).sort();

  it('refused: a failed job with no segment planned, and only that', () => {
    assert.equal(refusedAtInput({ status: 'failed', segmentsTotal: 0 }), true);
    assert.equal(refusedAtInput({ status: 'failed', segmentsTotal: 3 }), false);
    assert.equal(refusedAtInput({ status: 'analyzing', segmentsTotal: 0 }), false);
    assert.equal(refusedAtInput({ status: 'cancelled', segmentsTotal: 0 }), false);
  });

  it('`jobs` says refused and why, not failed 0/0; other jobs keep their segment counts', async () => {
    await world();
    const text = jobsText(await backend.jobs(100));
    const line = (id: string) => text.split('\n').find((l) => l.startsWith(id)) ?? '';
    assert.match(
      line('refusednew'),
      /^refusednew {2}refused {6}- {2}\S+ {2}\/media\/refusednew\.mkv {2}\(not a readable media file: .*\)$/,
    );
    assert.match(line('refusedold'), /refused .*\(the source has no video stream\)$/);
    assert.match(line('failednew'), /^failednew {2}failed +0\/4 /);
    assert.match(line('donenew'), /^donenew {2}done +0\/4 /);
    assert.doesNotMatch(text, / 0\/0 /);
  });

  it('gc --failed removes every failed job, refused or not, whatever its age; the rest stay', async () => {
    await world();
    assert.deepEqual((await backend.gc({ failed: true })).sort(), ['failednew', 'failedold', 'refusednew', 'refusedold']);
    assert.deepEqual(await remaining(), ['cancelledold', 'donenew', 'doneold']);
  });

  it('gc --refused removes only the jobs refused at input', async () => {
    await world();
    assert.deepEqual((await backend.gc({ refused: true })).sort(), ['refusednew', 'refusedold']);
    assert.deepEqual(await remaining(), ['cancelledold', 'donenew', 'doneold', 'failednew', 'failedold']);
  });

  it('with --older-than, only those that old', async () => {
    await world();
    assert.deepEqual((await backend.gc({ failed: true, olderThanMs: DAY })).sort(), ['failedold', 'refusedold']);
    assert.deepEqual((await backend.gc({ refused: true, olderThanMs: 30_000 })).sort(), ['refusednew']);
  });

  it('--older-than alone removes every job that old, as before', async () => {
    await world();
    assert.deepEqual((await backend.gc(DAY)).sort(), ['cancelledold', 'doneold', 'failedold', 'refusedold']);
    assert.deepEqual((await backend.gc({ olderThanMs: 30_000 })).sort(), ['donenew', 'failednew', 'refusednew']);
  });

  it('no criterion is a usage error, and removes nothing', async () => {
    await world();
    await assert.rejects(backend.gc({}), UsageError);
    assert.equal((await remaining()).length, 7);
  });
});
