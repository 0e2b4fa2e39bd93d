/**
 * `--target-quality` in the cluster home: two `shardcast worker`s over a redis-server of the test's own run every
 * segment's CRF search (the trials travel in their beat reports) and make the bytes the local home makes, with the
 * same CRFs and trial counts. Its own file: cli-cluster.test.ts is long enough.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, sha256Of } from '../support/cli.js';
import { startRedis, startWorker, type RedisProcess, type WorkerProcess } from '../support/cluster.js';
import { makeMixedClip, tempDir } from '../support/media.js';

const ARGS = ['--target-quality', 'psnr:38', '--preset', 'veryfast', '--segment-seconds', '1', '--workers', '2', '--no-progress', '--json'];

describe('CLI: --target-quality on --backend cluster', () => {
  const t = tempDir('shardcast-cluster-target-');
  let redis: RedisProcess;
  const workers: WorkerProcess[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
    await redis?.stop();
    t.cleanup();
  });

  it('the workers search the same CRFs as the local home and make the same bytes', async () => {
    const mixed = makeMixedClip(join(t.dir, 'mixed.mp4'));
    const localOut = join(t.dir, 'local.mp4');
    const l = cli(['transcode', mixed, localOut, ...ARGS], { stateDir: join(t.dir, 'local-state') });
    assert.equal(l.status, 0, l.stderr);
    const store = join(t.dir, 'store');
    mkdirSync(store);
    workers.push(...(await Promise.all([0, 1].map(() => startWorker({ redis: redis.url, store })))));
    const out = join(t.dir, 'cluster.mp4');
    const r = cli(['transcode', mixed, out, ...ARGS, '--backend', 'cluster', '--redis', redis.url, '--store', store], {
      stateDir: join(t.dir, 'state'),
    });
    assert.equal(r.status, 0, r.stderr);
    const searches = (stdout: string) =>
      (JSON.parse(stdout).segments as any[]).filter((s) => s.kind === 'video').map((s) => [s.quality.crf, s.quality.trials.length]);
    assert.deepEqual(searches(r.stdout), searches(l.stdout));
    assert.equal(sha256Of(out), sha256Of(localOut), 'byte-identical to the local home');
  });
});
