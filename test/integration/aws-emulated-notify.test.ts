/**
 * Webhooks and EventBridge from the AWS home, on emulators: the state machine's Notify states (after Analyze,
 * after Finalize, after MarkFailed) run the notify function, which sends the job's webhooks signed and puts
 * its EventBridge event (recorded here: there is no EventBridge emulator; the ledger says each was put).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, cliAsync } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

const SECRET = 'aws-hook-secret';
const ENV = { SHARDCAST_WEBHOOK_SECRET: SECRET, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** The bus events the ledger says were put, as [webhook event type, where]. */
function busEvents(state: string, jobId: string): string[][] {
  const r = cli(['status', jobId, '--json', '--backend', 'aws-emulated'], { stateDir: state, env: ENV });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout).events as { type: string; data?: { delivery?: string; event?: string; url?: string } }[])
    .filter((e) => e.type === 'notify.sent' && e.data?.delivery?.endsWith('.bus'))
    .map((e) => [e.data!.event!, e.data!.url!]);
}

describe('webhooks: aws-emulated (the Notify states)', () => {
  const t = tempDir('shardcast-aws-hooks-');
  let rx: Receiver;
  before(async () => {
    rx = await startReceiver(SECRET);
  });
  after(async () => {
    await rx.close();
    t.cleanup();
  });

  it('a job with --notify delivers job.started and job.done, signed, and puts both on the bus', async () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 2, size: '160x90', gop: 15 });
    const state = join(t.dir, 'state');
    const r = await cliAsync(
      [
        'transcode',
        clip,
        join(t.dir, 'out.mp4'),
        '--backend',
        'aws-emulated',
        '--preset',
        'ultrafast',
        '--notify',
        rx.url,
        '--json',
        '--no-progress',
      ],
      { stateDir: state, env: ENV },
    );
    assert.equal(r.status, 0, r.stderr);
    const jobId = JSON.parse(r.stdout).id as string;
    const mine = rx.received.filter((d) => d.body.jobId === jobId);
    assert.deepEqual(
      mine.map((d) => [d.body.type, d.signed, d.body.data.backend]),
      [
        ['job.started', true, 'aws-emulated'],
        ['job.done', true, 'aws-emulated'],
      ],
    );
    assert.equal(mine[1]!.body.data.status, 'done');
    assert.deepEqual(busEvents(state, jobId), [
      ['job.started', 'eventbridge:emulated'],
      ['job.done', 'eventbridge:emulated'],
    ]);
  });

  it('a failed job delivers job.failed and puts it on the bus; the execution still fails with the job', async () => {
    const bad = join(t.dir, 'bad.mp4');
    writeFileSync(bad, 'not a video\n'.repeat(100));
    const state = join(t.dir, 'state-bad');
    const r = await cliAsync(
      ['transcode', bad, join(t.dir, 'bad-out.mp4'), '--backend', 'aws-emulated', '--notify', rx.url, '--json', '--no-progress'],
      {
        stateDir: state,
        env: ENV,
      },
    );
    assert.notEqual(r.status, 0);
    const jobId = JSON.parse(r.stdout).id as string;
    const mine = rx.received.filter((d) => d.body.jobId === jobId).map((d) => d.body.type);
    assert.deepEqual(mine.sort(), ['job.failed', 'job.started'], 'the start was owed since Analyze failed before NotifyStarted');
    assert.deepEqual(
      busEvents(state, jobId).map(([e]) => e),
      ['job.failed'],
    );
  });
});
