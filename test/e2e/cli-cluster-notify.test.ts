/**
 * Webhooks from the cluster home: the coordinator (`transcode --backend cluster`) sends them, signed, as the
 * local home's runs do, while `shardcast worker`s encode; its ledger holds the delivery log.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, cliAsync } from '../support/cli.js';
import { startRedis, startWorker, type RedisProcess, type WorkerProcess } from '../support/cluster.js';
import { makeClip, tempDir } from '../support/media.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

const SECRET = 'cluster-hook-secret';

describe('webhooks: cluster home', () => {
  const t = tempDir('shardcast-cluster-hooks-');
  let redis: RedisProcess;
  let worker: WorkerProcess;
  let rx: Receiver;

  before(async () => {
    redis = await startRedis();
    rx = await startReceiver(SECRET);
  });
  after(async () => {
    await worker?.stop('SIGKILL');
    await redis?.stop();
    await rx?.close();
    t.cleanup();
  });

  it('a cluster job delivers job.started and job.done, signed, from the coordinator', async () => {
    const store = join(t.dir, 'store');
    mkdirSync(store);
    worker = await startWorker({ redis: redis.url, store });
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 2, size: '160x90', gop: 15 });
    const state = join(t.dir, 'state');
    const args = ['--backend', 'cluster', '--redis', redis.url, '--store', store, '--preset', 'ultrafast', '--segment-seconds', '1'];
    const r = await cliAsync(['transcode', clip, join(t.dir, 'out.mp4'), ...args, '--no-progress', '--notify', rx.url, '--json'], {
      stateDir: state,
      env: { SHARDCAST_WEBHOOK_SECRET: SECRET },
    });
    assert.equal(r.status, 0, r.stderr);
    const jobId = JSON.parse(r.stdout).id as string;
    assert.deepEqual(
      rx.received.map((d) => [d.body.type, d.body.jobId, d.signed]),
      [
        ['job.started', jobId, true],
        ['job.done', jobId, true],
      ],
    );
    assert.equal(rx.received[1]!.body.data.backend, 'cluster');
    const log = cli(['notify', jobId, '--backend', 'cluster', '--json'], { stateDir: state });
    assert.equal(log.status, 0, log.stderr);
    assert.deepEqual(
      (JSON.parse(log.stdout).deliveries as { status: string }[]).map((d) => d.status),
      ['sent', 'sent'],
    );
  });
});
