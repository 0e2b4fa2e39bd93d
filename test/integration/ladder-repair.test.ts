/**
 * Repair of a ladder, through the real use-cases and a real ffmpeg: a task that always fails fails the job,
 * naming it, with no master playlist written; `retry` re-encodes only that task and the ladder completes; a
 * finished task whose manifest is lost is encoded again by `resume`, and nothing else is. A rung above the
 * source is dropped (never upscaled), told in the events. The fault is injected by wrapping the MediaTool.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJob, resumeJob, retryJob, runJob } from '../../src/app/run-job.js';
import { JobFailedError } from '../../src/core/errors.js';
import type { MediaTool } from '../../src/ports/media-tool.js';
import { makeLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { newJobId } from '../../src/runtime/process-identity.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { makeClip, tempDir } from '../support/media.js';

/** Counts ladder encodes per task; fails task `index`'s while `active()`. */
function faulty(real: MediaTool, index: number, active: () => boolean, encodes: Map<string, number>): MediaTool {
  return {
    info: () => real.info(),
    run: async (tool, args, opts) => {
      const seg = /(v\d{5})\.v\d+\.partial\.mp4$/.exec(args[args.length - 1] ?? '')?.[1];
      if (tool === 'ffmpeg' && seg) {
        encodes.set(seg, (encodes.get(seg) ?? 0) + 1);
        if (seg === `v${String(index).padStart(5, '0')}` && active())
          return { exitCode: 1, signal: null, stdout: '', stderrTail: 'injected fault: disk on fire', wallMs: 1, cpuSeconds: 0 };
      }
      return real.run(tool, args, opts);
    },
  };
}

describe('ladder: retry, resume, rungs', () => {
  const t = tempDir('shardcast-ladder-repair-');
  let clip: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 4, size: '320x240', rate: 24, gop: 96 });
  });
  after(t.cleanup);
  const options = (out: string) =>
    parseTranscodeOptions({ preset: 'ultrafast', ladder: '480,240,120', segmentDuration: '1', workers: '2', maxAttempts: '2' }, out);

  it('a failing task fails the job with no master playlist; retry re-encodes only it', async () => {
    let broken = true;
    const encodes = new Map<string, number>();
    const rt = makeLocalRuntime({
      stateDir: join(t.dir, 'state1'),
      env: process.env,
      wrapMedia: (m) => faulty(m, 1, () => broken, encodes),
    });
    try {
      const out = join(t.dir, 'one', 'master.m3u8');
      const id = newJobId();
      const job = await createJob(rt.deps, { id, backend: 'local', source: clip, output: out, options: options(out) });
      await assert.rejects(runJob(rt.deps, rt.executorFor(job), id), (err: unknown) => {
        assert.ok(err instanceof JobFailedError);
        assert.match(err.message, /segment 1 failed after 2 attempts: .*injected fault/);
        return true;
      });
      assert.equal(existsSync(out), false, 'no master playlist for a failed ladder');
      const failed = (await rt.deps.ledger.getJob(id))!;
      // 480 is above the 240-line source: dropped, and said so.
      assert.deepEqual(
        failed.options.profile.ladder!.rungs.map((r) => r.height),
        [240, 120],
      );
      assert.ok((await rt.deps.ledger.listEvents(id)).some((e) => /480 dropped: larger than the source/.test(e.message)));
      broken = false;
      const before = new Map(encodes);
      const done = await retryJob(rt.deps, rt.executorFor(failed), id);
      assert.equal(done.status, 'done');
      for (const [seg, n] of encodes) assert.equal(n - (before.get(seg) ?? 0), seg === 'v00001' ? 1 : 0, `${seg} encodes during retry`);
      assert.equal(done.result!.verify!.ok, true);
      assert.equal(
        done.result!.renditions!.filter((r) => r.kind === 'video').every((r) => r.frames === 96),
        true,
      );
      assert.ok(existsSync(out));
    } finally {
      await rt.close();
    }
  });

  it('resume encodes again only a task whose manifest was lost', async () => {
    const encodes = new Map<string, number>();
    const rt = makeLocalRuntime({
      stateDir: join(t.dir, 'state2'),
      env: process.env,
      wrapMedia: (m) => faulty(m, 99, () => false, encodes),
    });
    try {
      const out = join(t.dir, 'two', 'master.m3u8');
      const id = newJobId();
      const job = await createJob(rt.deps, { id, backend: 'local', source: clip, output: out, options: options(out) });
      // The run dies once every task is done, before the playlists (as a crash there would leave it).
      const real = rt.deps.ledger.updateJob.bind(rt.deps.ledger);
      rt.deps.ledger.updateJob = async (jid, from, to, patch) => {
        if (to === 'merging') throw new Error('crashed before the playlists');
        return real(jid, from, to, patch);
      };
      await assert.rejects(runJob(rt.deps, rt.executorFor(job), id), /crashed before the playlists/);
      assert.equal(existsSync(out), false);
      rt.deps.ledger.updateJob = real;
      const tasks = await rt.deps.ledger.listTasks(id);
      assert.ok(tasks.every((x) => x.status === 'done'));
      rmSync(join(t.dir, 'state2', 'jobs', tasks.find((x) => x.kind === 'video' && x.index === 0)!.outputKey));
      const before = new Map(encodes);
      const done = await resumeJob(rt.deps, rt.executorFor((await rt.deps.ledger.getJob(id))!), id);
      assert.equal(done.status, 'done');
      for (const [seg, n] of encodes) assert.equal(n - (before.get(seg) ?? 0), seg === 'v00000' ? 1 : 0, `${seg} encodes during resume`);
      assert.ok((await rt.deps.ledger.listEvents(id)).some((e) => e.type === 'task.lost'));
      assert.equal(done.result!.verify!.ok, true);
    } finally {
      await rt.close();
    }
  });
});
