/**
 * Step Functions' 25,000-event execution history, which the interpreter does not enforce: the aws-emulated path
 * counts what the execution would log (7 events per inline segment, 3 per retry) and fails it past the limit as
 * Step Functions does (States.Runtime), and the CLI records that failure in the ledger, which the workflow's own
 * Catch cannot. SHARDCAST_EMULATED_HISTORY_LIMIT lowers the limit so that 8 segments reach it. With the
 * deployment's default Map mode (auto) the same run takes the distributed copy of the Map, whose iterations
 * would be logged in child executions, and completes. Also: a Distributed Map's failure
 * (States.ExceedToleratedFailureThreshold, which names no segment) is recorded naming the ledger's failed segment.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { claimRetry, startRun } from '../../src/app/run-steps.js';
import { markFailedStep } from '../../src/lambda/mark-failed.js';
import type { EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { cli } from '../support/cli.js';
import { createEmulatedJob, emulatedWithSource } from '../support/emulated.js';
import { makeClip, tempDir } from '../support/media.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('aws-emulated: the execution history limit', () => {
  const t = tempDir('shardcast-aws-history-');
  let clip: string;

  before(() => {
    clip = makeClip(join(t.dir, 'clip4.mp4'), { seconds: 4, size: '160x120', rate: 25, gop: 12 });
  });
  after(() => t.cleanup());

  it('an inline Map whose history would pass the limit fails the execution as Step Functions does, and the job is recorded failed', () => {
    const state = join(t.dir, 'state-inline');
    const env = { SHARDCAST_EMULATED_MAP: 'inline', SHARDCAST_EMULATED_HISTORY_LIMIT: '60' };
    const r = cli(
      [
        'transcode',
        clip,
        join(t.dir, 'inline.mp4'),
        '--backend',
        'aws-emulated',
        '--preset',
        'ultrafast',
        '--segment-seconds',
        '0.5',
        '--workers',
        '4',
      ],
      { stateDir: state, env },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /the execution failed: States\.Runtime: the execution's history passed Step Functions' limit of 60 events/);
    const jobs = JSON.parse(cli(['jobs', '--json', '--backend', 'aws-emulated'], { stateDir: state }).stdout) as Array<{
      id: string;
      status: string;
    }>;
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.status, 'failed', 'the ledger does not show the job running for ever');
  });

  for (const mode of ['auto', 'distributed'] as const) {
    it(`with the ${mode === 'auto' ? 'default Map mode' : 'Distributed Map for every run'} the same run completes (its iterations are child executions)`, () => {
      const state = join(t.dir, `state-${mode}`);
      const out = join(t.dir, `${mode}.mp4`);
      const r = cli(
        [
          'transcode',
          clip,
          out,
          '--backend',
          'aws-emulated',
          '--preset',
          'ultrafast',
          '--segment-seconds',
          '0.5',
          '--workers',
          '4',
          '--json',
        ],
        {
          stateDir: state,
          env: { SHARDCAST_EMULATED_HISTORY_LIMIT: '60', ...(mode === 'distributed' ? { SHARDCAST_EMULATED_MAP: 'distributed' } : {}) },
        },
      );
      assert.equal(r.status, 0, r.stderr);
      const view = JSON.parse(r.stdout);
      assert.equal(view.status, 'done');
      assert.equal(view.verify.ok, true);
      assert.equal(view.segmentsTotal, 8, 'enough segments to pass 60 events inline');
    });
  }

  it('bad limits are refused in one line', () => {
    for (const [env, re] of [
      [{ SHARDCAST_EMULATED_MAP: 'sideways' }, /SHARDCAST_EMULATED_MAP must be auto, inline or distributed/],
      [{ SHARDCAST_EMULATED_HISTORY_LIMIT: '5' }, /SHARDCAST_EMULATED_HISTORY_LIMIT must be a whole number from 10/],
    ] as const) {
      const r = cli(['transcode', clip, join(t.dir, 'x.mp4'), '--backend', 'aws-emulated'], { stateDir: join(t.dir, 'state-bad'), env });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr.trim().split('\n').pop()!, re);
    }
  });
});

describe('aws-emulated: a Distributed Map failure names the segment from the ledger; two retries at once start one run', () => {
  const t = tempDir('shardcast-aws-dmap-fail-');
  let aws: EmulatedAws;
  let source: string;

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip2.mp4'), { seconds: 2, size: '160x120', rate: 25, gop: 25 });
    ({ aws, source } = await emulatedWithSource({ stateDir: join(t.dir, 'state'), env: process.env }, clip));
  });
  after(async () => {
    await aws?.close();
    t.cleanup();
  });

  it('States.ExceedToleratedFailureThreshold is recorded as the failed segment with its error', async () => {
    const id = await createEmulatedJob(aws, source, 'x.mp4', { segmentSeconds: '1' });
    await startRun(aws.runtime.deps, id);
    const { ledger } = aws.runtime.deps;
    await ledger.transitionTask({ jobId: id, kind: 'video', index: 1 }, ['pending'], 'running', { attempts: 3 });
    await ledger.transitionTask({ jobId: id, kind: 'video', index: 1 }, ['running'], 'failed', {
      error: 'FfmpegError: ffmpeg exited with 1: Invalid data found',
      finishedAt: Date.now(),
    });
    const out = await markFailedStep(aws.runtime, {
      jobId: id,
      error: 'States.ExceedToleratedFailureThreshold',
      cause: 'The specified tolerated failure threshold was exceeded',
    });
    assert.equal(out.status, 'failed');
    // Two retries at once (regression: both started an execution): one claims the job, the other is refused.
    const claims = await Promise.allSettled([claimRetry(aws.runtime.deps, id), claimRetry(aws.runtime.deps, id)]);
    assert.deepEqual(claims.map((c) => c.status).sort(), ['fulfilled', 'rejected']);
    const refused = claims.find((c) => c.status === 'rejected') as PromiseRejectedResult;
    assert.match(
      String(refused.reason.message),
      /^job \w+ is (already being retried \(it is encoding\)|encoding; only failed or stopped jobs can be retried \(another retry or run has it\))$/,
    );
    assert.equal((await ledger.getJob(id))!.status, 'encoding');
    // The retried run fails where no segment is named: segment 1, failed in the run before, is not blamed.
    const again = await markFailedStep(aws.runtime, { jobId: id, error: 'States.Runtime', cause: 'the history is full' });
    assert.match(again.error!, /^workflow failed: States\.Runtime: the history is full; fix the cause/);
    assert.match(
      out.error!,
      /^segment 1 failed after 3 attempts: FfmpegError: ffmpeg exited with 1: Invalid data found \(workflow failed: States\.ExceedToleratedFailureThreshold: The specified tolerated failure threshold was exceeded\); fix the cause, then run `shardcast retry /,
    );
  });
});
