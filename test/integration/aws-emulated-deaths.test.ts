/**
 * What Lambda does to an invocation that the handler never sees end, on the emulators and real handlers (issue
 * 26, items 4 and 5): a runtime killed mid-encode (`Runtime.ExitError`, `Runtime.OutOfMemory`) leaves its task
 * running with a heartbeat that stops; an invocation retried while another holds its task is refused as busy.
 * Retry backoff and the stale window are shortened (200 ms, 1 s) so the retriers' shape, not their seconds, is
 * what is tested: before, a runtime death went straight to the Catch, and a busy task was retried for 0.2 s, well
 * inside the stale window, and failed the job.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { claimTask } from '../../src/app/transitions.js';
import type { EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { createEmulatedJob, emulatedWithSource } from '../support/emulated.js';
import type { TaskId } from '../../src/ports/ledger.js';
import { makeClip, tempDir } from '../support/media.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('aws-emulated: invocations that die or find their task busy', () => {
  const t = tempDir('shardcast-aws-deaths-');
  let aws: EmulatedAws;
  let source: string;
  /** Per job: the task an invocation dies on (first invocation only) and how, or that another holds it. */
  const plans = new Map<string, { task: TaskId; death?: string; seen: number }>();

  /** What a dead (or still running) invocation leaves: the task running, claimed by another worker, heartbeat now. */
  async function holdTask(id: TaskId): Promise<void> {
    const cur = (await aws.runtime.deps.ledger.getTask(id))!;
    await claimTask(aws.runtime.deps.ledger, cur, {
      attempts: cur.attempts + 1,
      worker: 'lambda:gone',
      startedAt: Date.now(),
      heartbeatAt: Date.now(),
    });
  }

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 3, gop: 15 });
    ({ aws, source } = await emulatedWithSource(
      {
        stateDir: join(t.dir, 'state'),
        env: process.env,
        retryIntervalMs: 200,
        staleTaskMs: 1000,
        invocationDeath: async (state, input) => {
          const i = input as { jobId?: string; kind?: string; index?: number };
          const plan = i.jobId ? plans.get(i.jobId) : undefined;
          if (!plan || !state.startsWith('Encode') || i.kind !== plan.task.kind || i.index !== plan.task.index) return undefined;
          if (plan.seen++ > 0) return undefined;
          await holdTask(plan.task);
          return plan.death;
        },
      },
      clip,
    ));
  });
  after(async () => {
    await aws?.close();
    t.cleanup();
  });

  const newJob = (name: string): Promise<string> =>
    createEmulatedJob(aws, source, `${name}.mp4`, {
      preset: 'ultrafast',
      segmentSeconds: '1',
      workers: '2',
      maxAttempts: '2',
      verify: true,
    });

  for (const [death, task] of [
    ['Runtime.ExitError', { kind: 'video', index: 1 }],
    ['Runtime.OutOfMemory', { kind: 'audio', index: 0 }],
  ] as const) {
    it(`an encode whose runtime dies (${death}) is retried once its task is stale, and the job completes`, async () => {
      const id = await newJob(death.replace('.', '-'));
      plans.set(id, { task: { jobId: id, ...task }, death, seen: 0 });
      const outcome = await aws.runWorkflow(id);
      assert.deepEqual(outcome, { status: 'succeeded' }, JSON.stringify(outcome));
      const events = await aws.runtime.deps.ledger.listEvents(id);
      assert.ok(
        events.some((e) => e.type === 'lambda.died' && e.message.includes(death)),
        'the death is in the events',
      );
      assert.ok(events.some((e) => e.type === 'task.reclaimed'));
      const rec = (await aws.runtime.deps.ledger.getTask({ jobId: id, ...task }))!;
      assert.equal(rec.status, 'done');
      assert.equal(rec.attempts, 2, 'the dead attempt and the one that encoded');
      assert.equal((await aws.runtime.deps.ledger.getJob(id))!.status, 'done');
    });
  }

  it('an encode refused because another invocation holds its task waits until that one is done or stale, and the job completes', async () => {
    const id = await newJob('busy');
    plans.set(id, { task: { jobId: id, kind: 'video', index: 0 }, seen: 0 });
    const outcome = await aws.runWorkflow(id);
    assert.deepEqual(outcome, { status: 'succeeded' }, JSON.stringify(outcome));
    const events = await aws.runtime.deps.ledger.listEvents(id);
    assert.ok(events.some((e) => e.type === 'task.reclaimed'));
    assert.equal((await aws.runtime.deps.ledger.getJob(id))!.status, 'done');
  });
});
