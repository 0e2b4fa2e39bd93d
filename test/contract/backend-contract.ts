/**
 * The Backend contract: what every home does through the verbs the entry points use, run against each
 * implementation by test/contract/backend.test.ts (local, aws-emulated). Tiny clips: two short encodes and
 * one refused analysis per home.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputError, NotFoundError, ShardcastError, UsageError } from '../../src/core/errors.js';
import type { Backend } from '../../src/runtime/backend.js';
import { makeClip, tempDir } from '../support/media.js';

export function runBackendContract(name: string, open: (stateDir: string) => Promise<Backend>): void {
  describe(`Backend contract: ${name}`, () => {
    const t = tempDir('shardcast-backend-');
    let backend: Backend;
    let clip: string;
    let doneId: string;
    const options = { preset: 'ultrafast', segmentSeconds: '1', workers: '2' };
    before(async () => {
      clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 2, gop: 10 });
      backend = await open(join(t.dir, 'state'));
    });
    after(async () => {
      await backend?.close();
      t.cleanup();
    });

    it('submit runs a job to its end: onJob once with its id before the result, the output where asked', async () => {
      const seen: string[] = [];
      const notes: string[] = [];
      const output = join(t.dir, 'out.mp4');
      const r = await backend.submit(
        { input: clip, output, options, overwrite: false },
        { onJob: (id) => seen.push(id), note: (l) => notes.push(l) },
      );
      doneId = r.job.id;
      assert.deepEqual(seen, [r.job.id]);
      assert.equal(r.job.status, 'done');
      assert.equal(r.job.result?.frames, 60);
      assert.equal(r.job.backend, backend.kind);
      assert.equal(r.localOutput ?? r.job.output, output);
      assert.ok(existsSync(output), 'the output is at the path asked for');
      assert.ok(
        notes.some((l) => l.includes(r.job.id)),
        'a note names the job',
      );
    });

    it('status shows the job, its segments and its events; jobs lists it', async () => {
      const { view, events } = await backend.status(doneId);
      assert.equal(view.status, 'done');
      assert.equal(view.segmentsDone, view.segmentsTotal);
      assert.ok(view.segmentsTotal >= 2);
      assert.ok(
        events.some((e) => e.type === 'job.done' || /done/.test(e.type)),
        events.map((e) => e.type).join(', '),
      );
      assert.ok((await backend.jobs(50)).some((j) => j.id === doneId));
      assert.equal(backend.runsElsewhere((await backend.ledger.getJob(doneId))!, await backend.ledger.listTasks(doneId)), false);
    });

    it('an unknown job is NotFoundError on status', async () => {
      await assert.rejects(backend.status('nosuchjob000'), NotFoundError);
    });

    it('bad options and a missing input are refused before any job exists', async () => {
      const before = (await backend.jobs(50)).length;
      await assert.rejects(
        backend.submit({ input: clip, output: join(t.dir, 'bad.mp4'), options: { crf: 'high' }, overwrite: false }),
        UsageError,
      );
      await assert.rejects(
        backend.submit({ input: join(t.dir, 'missing.mp4'), output: join(t.dir, 'm.mp4'), options, overwrite: false }),
        InputError,
      );
      await assert.rejects(backend.submit({ input: clip, output: join(t.dir, 'out.mp4'), options, overwrite: false }), /output exists/);
      assert.equal((await backend.jobs(50)).length, before);
    });

    it('a done job is not retried', async () => {
      await assert.rejects(backend.retry(doneId), /only failed or stopped jobs can be retried/);
      assert.equal((await backend.ledger.getJob(doneId))!.status, 'done');
    });

    it('a job that fails on its input is failed in the ledger with why, and a retry is refused saying why', async () => {
      const junk = join(t.dir, 'junk.mp4');
      writeFileSync(junk, 'not a video at all\n'.repeat(64));
      let id = '';
      const err = await backend
        .submit({ input: junk, output: join(t.dir, 'junk-out.mp4'), options, overwrite: false }, { onJob: (j) => (id = j) })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(err instanceof ShardcastError, String(err));
      assert.ok(id, 'the job was created');
      const failed = (await backend.ledger.getJob(id))!;
      assert.equal(failed.status, 'failed');
      assert.match(failed.error ?? '', /media|read|invalid|analy/i);
      const again = await backend.retry(id).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(again instanceof ShardcastError, String(again));
      assert.match(String(again), /a retry would fail the same way/);
      assert.equal((await backend.ledger.getJob(id))!.status, 'failed');
      assert.ok(!(await backend.ledger.listEvents(id)).some((e) => e.type === 'job.retry'), 'nothing was run again');
      await backend.remove(id);
    });

    it('remove deletes the records and keeps the output; gc removes what is older than asked', async () => {
      const output = join(t.dir, 'second.mp4');
      const second = (await backend.submit({ input: clip, output, options, overwrite: false })).job.id;
      await backend.remove(doneId);
      await assert.rejects(backend.status(doneId), NotFoundError);
      assert.ok(existsSync(join(t.dir, 'out.mp4')), 'the output is kept');
      assert.deepEqual(await backend.gc(3_600_000), [], 'nothing is an hour old');
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await backend.gc(1), [second]);
      assert.deepEqual(await backend.jobs(50), []);
      assert.ok(existsSync(output));
    });
  });
}
