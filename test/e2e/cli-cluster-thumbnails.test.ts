/**
 * Thumbnails in the cluster home (issue 29 item 5): two `shardcast worker`s over a redis-server of the test's own
 * write each segment's thumbnails into the shared store from their encodes, and the coordinator's finish makes
 * the same sheet, map and poster beside the output as the local home, with the same output bytes. Its own
 * file: cli-cluster.test.ts is long enough.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, sha256Of } from '../support/cli.js';
import { startRedis, startWorker, type RedisProcess, type WorkerProcess } from '../support/cluster.js';
import { makeClip, tempDir } from '../support/media.js';

const ARGS = ['--thumbnails', '1', '--preset', 'veryfast', '--segment-seconds', '1', '--workers', '2', '--no-progress', '--json'];

describe('CLI: --thumbnails on --backend cluster', () => {
  const t = tempDir('shardcast-cluster-thumbs-');
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

  it('the workers make the thumbnails the local home makes, and the same output', async () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 4, size: '320x180', rate: 25, gop: 25, noise: 0 });
    const localOut = join(t.dir, 'local.mp4');
    const l = cli(['transcode', clip, localOut, ...ARGS], { stateDir: join(t.dir, 'local-state') });
    assert.equal(l.status, 0, l.stderr);
    const store = join(t.dir, 'store');
    mkdirSync(store);
    workers.push(...(await Promise.all([0, 1].map(() => startWorker({ redis: redis.url, store })))));
    const out = join(t.dir, 'cluster.mp4');
    const r = cli(['transcode', clip, out, ...ARGS, '--backend', 'cluster', '--redis', redis.url, '--store', store], {
      stateDir: join(t.dir, 'state'),
    });
    assert.equal(r.status, 0, r.stderr);
    const thumbs = JSON.parse(r.stdout).thumbnails;
    assert.equal(thumbs?.count, 4, r.stdout);
    assert.deepEqual(thumbs.sprites, [join(t.dir, 'cluster.thumbs', 'sprite-0.jpg')]);
    const vtt = (name: string) => readFileSync(join(t.dir, `${name}.thumbs`, 'thumbnails.vtt'), 'utf8');
    assert.equal(vtt('cluster'), vtt('local'));
    for (const f of ['sprite-0.jpg', 'poster.jpg'])
      assert.equal(sha256Of(join(t.dir, 'cluster.thumbs', f)), sha256Of(join(t.dir, 'local.thumbs', f)), f);
    assert.equal(sha256Of(out), sha256Of(localOut), 'byte-identical to the local home');
  });
});
