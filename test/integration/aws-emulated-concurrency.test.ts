/**
 * Each execution encodes at most what the account's Lambda concurrency gives (issue 26, item 1): the emulated
 * account reports 6 unreserved concurrent executions (SHARDCAST_EMULATED_UNRESERVED, what GetAccountSettings
 * says) and enforces 6 at once (SHARDCAST_EMULATED_CONCURRENCY). A job asking 8 at once gets 4 (one slot left to
 * the account's other functions, one to the audio), says so in its events, and no invocation is refused. Before,
 * the Map ran 8 against the 6 slots and the quota refused invocations (TooManyRequestsException) for the rest.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import type { MediaTool } from '../../src/ports/media-tool.js';
import { createEmulatedJob, emulatedWithSource } from '../support/emulated.js';
import { makeClip, tempDir } from '../support/media.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe("aws-emulated: an execution's concurrency follows the account's", () => {
  const t = tempDir('shardcast-aws-concurrency-');
  let aws: EmulatedAws;
  let source: string;
  /** Segment encodes running now, and the most at once (each held 400 ms first, so they overlap). */
  let running = 0;
  let most = 0;

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip20.mp4'), { seconds: 20, size: '160x120', rate: 25, gop: 25 });
    ({ aws, source } = await emulatedWithSource(
      {
        stateDir: join(t.dir, 'state'),
        env: { ...process.env, SHARDCAST_EMULATED_UNRESERVED: '6', SHARDCAST_EMULATED_CONCURRENCY: '6' },
        retryIntervalMs: 200,
        wrapMedia: (m): MediaTool => ({
          info: () => m.info(),
          run: async (tool, args, opts) => {
            if (tool !== 'ffmpeg' || !/v\d{5}\.mp4\.partial$/.test(args[args.length - 1] ?? '')) return m.run(tool, args, opts);
            most = Math.max(most, ++running);
            try {
              await sleep(400);
              return await m.run(tool, args, opts);
            } finally {
              running--;
            }
          },
        }),
      },
      clip,
    ));
  });
  after(async () => {
    await aws?.close();
    t.cleanup();
  });

  it('a job asking 8 at once runs 4, says why, and no invocation is refused', { timeout: 180_000 }, async () => {
    const id = await createEmulatedJob(aws, source, 'capped.mp4', { preset: 'ultrafast', segmentSeconds: '1', workers: '8', verify: true });
    const outcome = await aws.runWorkflow(id);
    assert.deepEqual(outcome, { status: 'succeeded' }, JSON.stringify(outcome));
    const events = await aws.runtime.deps.ledger.listEvents(id);
    const said = events.filter((e) => e.type === 'job.concurrency');
    assert.equal(said.length, 1);
    assert.match(said[0]!.message, /^4 segments at once, not the 8 asked: the account has 6 unreserved concurrent executions/);
    assert.deepEqual(said[0]!.data, { concurrency: 4, asked: 8 });
    const refused = events.filter((e) => e.type === 'lambda.throttled');
    assert.deepEqual(
      refused.map((e) => e.message),
      [],
      'no invocation refused',
    );
    assert.equal((await aws.runtime.deps.ledger.getJob(id))!.status, 'done');
    assert.ok(most <= 4, `${most} segments encoded at once`);
    assert.ok(most >= 2, `${most} segments encoded at once: the cap, not a lack of segments, held them`);
  });
});
