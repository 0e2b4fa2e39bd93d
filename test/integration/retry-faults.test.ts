/**
 * Faults, through the real use-cases and a real ffmpeg: a segment that fails once is retried and the job
 * completes; one that always fails ends the job failed, naming it; `retry` then re-encodes only that
 * segment. The fault is injected by wrapping the MediaTool (a test hook of the runtime's config).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { createJob, retryJob, runJob } from '../../src/app/run-job.js';
import { JobFailedError } from '../../src/core/errors.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { makeLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { newJobId } from '../../src/runtime/process-identity.js';
import type { MediaTool } from '../../src/ports/media-tool.js';
import { makeClip, tempDir } from '../support/media.js';

/** Fails ffmpeg encodes whose output is segment `index` while `active()` says so; counts encodes per segment. */
function faulty(real: MediaTool, index: number, active: () => boolean, encodes: Map<string, number>): MediaTool {
  const name = `v${String(index).padStart(5, '0')}.mp4.partial`;
  return {
    info: () => real.info(),
    run: async (tool, args, opts) => {
      const out = args[args.length - 1] ?? '';
      const seg = /(v\d{5})\.mp4\.partial$/.exec(out)?.[1];
      if (tool === 'ffmpeg' && seg) encodes.set(seg, (encodes.get(seg) ?? 0) + 1);
      if (tool === 'ffmpeg' && out.endsWith(name) && active()) {
        return { exitCode: 1, signal: null, stdout: '', stderrTail: 'injected fault: disk on fire', wallMs: 1, cpuSeconds: 0 };
      }
      return real.run(tool, args, opts);
    },
  };
}

describe('faults: retries and retry of failed segments', () => {
  const t = tempDir('shardcast-faults-');
  let clip: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 4, gop: 15 });
  });
  after(t.cleanup);

  const options = (out: string) =>
    parseTranscodeOptions({ preset: 'ultrafast', segmentSeconds: '1', workers: '2', maxAttempts: '3', verify: true }, out);

  it('a segment that fails once is retried and the job completes', async () => {
    let failures = 1;
    const encodes = new Map<string, number>();
    const rt = makeLocalRuntime({
      stateDir: join(t.dir, 'state1'),
      env: process.env,
      wrapMedia: (m) => faulty(m, 1, () => failures-- > 0, encodes),
    });
    try {
      const out = join(t.dir, 'once.mp4');
      const id = newJobId();
      const job = await createJob(rt.deps, { id, backend: 'local', source: clip, output: out, options: options(out) });
      const done = await runJob(rt.deps, rt.executorFor(job), id);
      assert.equal(done.status, 'done');
      const seg1 = (await rt.deps.ledger.listTasks(id)).find((x) => x.kind === 'video' && x.index === 1)!;
      assert.equal(seg1.attempts, 2);
      assert.equal(encodes.get('v00001'), 2);
      assert.equal(encodes.get('v00000'), 1);
    } finally {
      await rt.close();
    }
  });

  it('a segment that always fails fails the job naming it; retry re-encodes only that segment', async () => {
    let broken = true;
    const encodes = new Map<string, number>();
    const rt = makeLocalRuntime({
      stateDir: join(t.dir, 'state2'),
      env: process.env,
      wrapMedia: (m) => faulty(m, 2, () => broken, encodes),
    });
    try {
      const out = join(t.dir, 'always.mp4');
      const id = newJobId();
      const job = await createJob(rt.deps, { id, backend: 'local', source: clip, output: out, options: options(out) });
      await assert.rejects(runJob(rt.deps, rt.executorFor(job), id), (err: unknown) => {
        assert.ok(err instanceof JobFailedError);
        assert.match(err.message, /segment 2 failed after 3 attempts: .*injected fault: disk on fire/);
        return true;
      });
      const failed = await rt.deps.ledger.getJob(id);
      assert.equal(failed!.status, 'failed');
      assert.match(failed!.error!, /segment 2/);
      const tasks = await rt.deps.ledger.listTasks(id);
      assert.equal(tasks.find((x) => x.index === 2 && x.kind === 'video')!.status, 'failed');
      assert.ok(tasks.filter((x) => x.kind === 'video' && x.index !== 2).every((x) => x.status === 'done'));

      broken = false;
      const before = new Map(encodes);
      const done = await retryJob(rt.deps, rt.executorFor(failed!), id);
      assert.equal(done.status, 'done');
      for (const [seg, n] of encodes) {
        assert.equal(n - (before.get(seg) ?? 0), seg === 'v00002' ? 1 : 0, `${seg} encodes during retry`);
      }
      const events = (await rt.deps.ledger.listEvents(id)).map((e) => e.type);
      assert.ok(events.includes('job.failed') && events.includes('job.retry') && events.at(-1) === 'job.done', events.join(','));
    } finally {
      await rt.close();
    }
  });

  it('an encode invoked again for a finished segment returns its record without encoding', async () => {
    const encodes = new Map<string, number>();
    const rt = makeLocalRuntime({
      stateDir: join(t.dir, 'state3'),
      env: process.env,
      wrapMedia: (m) => faulty(m, 99, () => false, encodes),
    });
    try {
      const out = join(t.dir, 'idem.mp4');
      const id = newJobId();
      const job = await createJob(rt.deps, { id, backend: 'local', source: clip, output: out, options: options(out) });
      await runJob(rt.deps, rt.executorFor(job), id);
      const total = [...encodes.values()].reduce((a, b) => a + b, 0);
      const { encodeTask } = await import('../../src/app/encode-task.js');
      const rec = await encodeTask(rt.deps, { jobId: id, kind: 'video', index: 0 }, { threads: 1 });
      assert.equal(rec.status, 'done');
      assert.equal(
        [...encodes.values()].reduce((a, b) => a + b, 0),
        total,
      );
    } finally {
      await rt.close();
    }
  });
});
