/**
 * The emulated AWS path enforcing what Lambda enforces: SHARDCAST_EMULATED_THROTTLE refuses a share of the
 * invocations and SHARDCAST_EMULATED_CONCURRENCY caps them like an account quota, each refusal a
 * Lambda.TooManyRequestsException and a `lambda.throttled` event. With 0.3 and 4 below a Map of 8, a 30 s job
 * completes and verifies. Retry pauses are set to 200 ms (the interpreter's override), so the budget is the
 * retriers' attempt counts: the old 6 attempts (1.2 s) ran out while the 4 slots were busy; 120 give 24 s.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emulatedLambdaLimits, type EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { cli } from '../support/cli.js';
import { createEmulatedJob, emulatedWithSource } from '../support/emulated.js';
import { makeClip, tempDir } from '../support/media.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('aws-emulated: Lambda throttling and an account concurrency quota', () => {
  const t = tempDir('shardcast-aws-throttle-');
  let aws: EmulatedAws;
  let closed = false;
  let source: string;

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip30.mp4'), { seconds: 30, size: '160x120', rate: 25, gop: 25 });
    ({ aws, source } = await emulatedWithSource(
      {
        stateDir: join(t.dir, 'state'),
        env: { ...process.env, SHARDCAST_EMULATED_THROTTLE: '0.3', SHARDCAST_EMULATED_CONCURRENCY: '4' },
        retryIntervalMs: 200,
      },
      clip,
    ));
  });
  after(async () => {
    if (!closed) await aws?.close();
    t.cleanup();
  });

  it(
    'a 30 s job with 30% of invocations throttled and 4 slots for a Map of 8 completes and verifies; every refusal is an event',
    { timeout: 240_000 },
    async () => {
      const id = await createEmulatedJob(aws, source, 'throttled.mp4', {
        preset: 'ultrafast',
        segmentSeconds: '1',
        workers: '8',
        verify: true,
      });
      const outcome = await aws.runWorkflow(id);
      assert.deepEqual(outcome, { status: 'succeeded' }, JSON.stringify(outcome));
      const job = (await aws.runtime.deps.ledger.getJob(id))!;
      assert.equal(job.status, 'done');
      assert.equal(job.result?.verify?.ok, true);
      assert.equal(job.result?.frames, 750);
      const throttled = (await aws.runtime.deps.ledger.listEvents(id)).filter((e) => e.type === 'lambda.throttled');
      assert.ok(throttled.length >= 10, `${throttled.length} refusals`);
      assert.ok(
        throttled.some((e) => /quota is 4/.test(e.message)),
        'the quota refused some',
      );
      assert.ok(
        throttled.some((e) => /SHARDCAST_EMULATED_THROTTLE 0.3/.test(e.message)),
        'the throttle refused some',
      );
      assert.match(throttled[0]!.message, /^\w+: invocation refused, Lambda\.TooManyRequestsException: /);
      // status --json, from another process over the same emulator state, includes the events.
      await aws.close();
      closed = true;
      const r = cli(['status', id, '--json', '--backend', 'aws-emulated'], { stateDir: join(t.dir, 'state') });
      assert.equal(r.status, 0, r.stderr);
      const view = JSON.parse(r.stdout);
      assert.equal(view.events.filter((e: { type: string }) => e.type === 'lambda.throttled').length, throttled.length);
    },
  );

  it('bad limits are refused in one line', () => {
    assert.deepEqual(emulatedLambdaLimits({}), { throttle: 0 });
    assert.deepEqual(emulatedLambdaLimits({ SHARDCAST_EMULATED_THROTTLE: '0.3', SHARDCAST_EMULATED_CONCURRENCY: '4' }), {
      throttle: 0.3,
      concurrency: 4,
    });
    assert.throws(
      () => emulatedLambdaLimits({ SHARDCAST_EMULATED_THROTTLE: '1.5' }),
      /^UsageError: SHARDCAST_EMULATED_THROTTLE must be a fraction/,
    );
    assert.throws(
      () => emulatedLambdaLimits({ SHARDCAST_EMULATED_CONCURRENCY: 'four' }),
      /SHARDCAST_EMULATED_CONCURRENCY must be a whole number/,
    );
    const state = join(t.dir, 'cli-state');
    const bad = cli(['jobs', '--backend', 'aws-emulated'], { stateDir: state, env: { SHARDCAST_EMULATED_CONCURRENCY: '0' } });
    assert.equal(bad.status, 2, bad.stderr);
    assert.equal(bad.stderr.trim(), 'shardcast: error: SHARDCAST_EMULATED_CONCURRENCY must be a whole number from 1, got "0"');
  });
});
