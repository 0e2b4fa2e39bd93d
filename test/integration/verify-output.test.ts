/**
 * Verification of the merged output still catches an output cut short and one missing its end, now that an
 * MP4/MOV output is read by its index plus its first and last packets (a bounded read) where every packet was
 * read before; Matroska outputs keep the full packet scan. The damage is done to the merged temp file right
 * after the merge, by wrapping the MediaTool (the runtime's test hook); the job must fail and leave no output.
 * An index read whose tail seek lands nowhere (as one ffprobe 4.x build's did) must not fail a good output:
 * the full scan decides.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJob, runJob } from '../../src/app/run-job.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { makeLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { newJobId } from '../../src/runtime/process-identity.js';
import type { MediaTool } from '../../src/ports/media-tool.js';
import { makeClip, tempDir } from '../support/media.js';

type Damage = 'none' | 'truncate' | 'drop-last-second' | 'seek-lost';

/** After the merge (the ffmpeg run reading the concat list), damages the merged file. */
function damaging(real: MediaTool, damage: Damage, container: 'mp4' | 'mkv'): MediaTool {
  return {
    info: () => real.info(),
    run: async (tool, args, opts) => {
      if (damage === 'seek-lost' && tool === 'ffprobe' && args.includes('-read_intervals')) {
        // Only the head interval is read: the tail's packets never arrive.
        const i = args.indexOf('-read_intervals');
        return real.run(tool, [...args.slice(0, i + 1), args[i + 1]!.split(',')[0]!, ...args.slice(i + 2)], opts);
      }
      const r = await real.run(tool, args, opts);
      if (tool !== 'ffmpeg' || !args.some((a) => a.endsWith('segments.ffconcat')) || damage === 'none' || damage === 'seek-lost') return r;
      const out = args[args.length - 1]!;
      if (damage === 'truncate') truncateSync(out, Math.floor(statSync(out).size * 0.7));
      else {
        const cut = `${out}.cut`;
        const c = spawnSync('ffmpeg', [
          '-v',
          'error',
          '-y',
          '-i',
          out,
          '-map',
          '0',
          '-c',
          'copy',
          '-t',
          '7',
          '-f',
          container === 'mp4' ? 'mp4' : 'matroska',
          cut,
        ]);
        assert.equal(c.status, 0, String(c.stderr));
        renameSync(cut, out);
      }
      return r;
    },
  };
}

describe('verification of the merged output', () => {
  const t = tempDir('shardcast-verify-');
  let clip: string;
  before(() => {
    // 8 s: longer than the head and tail an index read takes (a shorter output has every packet read).
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 8, gop: 25, rate: 25 });
  });
  after(t.cleanup);

  const run = async (container: 'mp4' | 'mkv', damage: Damage) => {
    const out = join(t.dir, `${container}-${damage}.${container}`);
    const rt = makeLocalRuntime({
      stateDir: join(t.dir, `state-${container}-${damage}`),
      env: process.env,
      wrapMedia: (m) => damaging(m, damage, container),
    });
    try {
      const id = newJobId();
      const job = await createJob(rt.deps, {
        id,
        backend: 'local',
        source: clip,
        output: out,
        options: parseTranscodeOptions({ preset: 'ultrafast', segmentSeconds: '2', workers: '2', verify: true }, out),
      });
      const outcome = await runJob(rt.deps, rt.executorFor(job), id).then(
        (j) => j,
        (e: Error) => e,
      );
      return { outcome, out, job: (await rt.deps.ledger.getJob(id))! };
    } finally {
      await rt.close();
    }
  };

  for (const container of ['mp4', 'mkv'] as const) {
    const method = container === 'mp4' ? 'index' : 'scan';
    it(`${container}: an undamaged output passes, read by its ${method}`, async () => {
      const { job, out } = await run(container, 'none');
      assert.equal(job.status, 'done', job.error);
      assert.equal(job.result?.verify?.method, method);
      assert.equal(job.result?.verify?.frames, 200);
      assert.ok(existsSync(out));
    });

    it(`${container}: an output cut short fails verification and is not committed`, async () => {
      const { outcome, job, out } = await run(container, 'truncate');
      assert.ok(outcome instanceof Error, 'the job fails');
      assert.equal(job.status, 'failed');
      assert.match(job.error ?? '', /verification failed|cut short|cannot be read/);
      assert.ok(!existsSync(out), 'no output file');
    });

    it(`${container}: an output missing its last second fails verification`, async () => {
      const { outcome, job, out } = await run(container, 'drop-last-second');
      assert.ok(outcome instanceof Error);
      assert.match(job.error ?? '', /verification failed: frame count 175, expected 200/);
      assert.ok(!existsSync(out));
    });
  }

  it('mp4: an index read whose tail seek lands nowhere does not fail a good output; the full scan passes it', async () => {
    const { job, out } = await run('mp4', 'seek-lost');
    assert.equal(job.status, 'done', job.error);
    assert.equal(job.result?.verify?.method, 'scan');
    assert.equal(job.result?.verify?.frames, 200);
    assert.ok(existsSync(out));
  });
});
