/**
 * A segment must encode inside the function timeout (900 s at most on Lambda; nothing kept it there: the
 * default target goes to 120 s and --segment-seconds to 3,600, and HEVC or AV1 on 2 vCPUs can take longer).
 * On the AWS path Analyze times an encode of a few seconds of the source with the job's settings and the
 * functions' threads, and lowers the target where that speed says a segment would take more than half the
 * timeout. The timing encode is made slow here by the test's media wrapper (it reports 100 s of wall time per
 * second of source), so that the cap falls below the requested 20 s target deterministically.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import type { MediaTool } from '../../src/ports/media-tool.js';
import { createEmulatedJob, emulatedWithSource } from '../support/emulated.js';
import { makeClip, tempDir } from '../support/media.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The timing encode (its output is calibration.mp4) reports 100 s of wall time per second of source. */
const slowTiming = (m: MediaTool): MediaTool => ({
  info: () => m.info(),
  run: async (tool, args, opts) => {
    const r = await m.run(tool, args, opts);
    if (tool !== 'ffmpeg' || !args.some((a) => a.endsWith('calibration.mp4'))) return r;
    const frames = Number(args[args.indexOf('-frames:v') + 1]);
    return { ...r, wallMs: (frames / 25) * 100_000 };
  },
});

describe('aws-emulated: segments kept inside the function timeout', () => {
  const t = tempDir('shardcast-aws-seglimit-');
  let slow: EmulatedAws;
  let plain: EmulatedAws;
  let source: string;

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip20.mp4'), { seconds: 20, size: '160x120', rate: 25, gop: 25, audio: false });
    ({ aws: slow, source } = await emulatedWithSource({ stateDir: join(t.dir, 'slow'), env: process.env, wrapMedia: slowTiming }, clip));
    ({ aws: plain } = await emulatedWithSource({ stateDir: join(t.dir, 'plain'), env: process.env }, clip));
  });
  after(async () => {
    await slow?.close();
    await plain?.close();
    t.cleanup();
  });

  const run = async (aws: EmulatedAws) => {
    const id = await createEmulatedJob(aws, source, 'o.mp4', { preset: 'ultrafast', segmentSeconds: '20', workers: '4' });
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    const job = (await aws.runtime.deps.ledger.getJob(id))!;
    return { job, events: await aws.runtime.deps.ledger.listEvents(id) };
  };

  it('a source too slow to encode 20 s inside half of 900 s gets shorter segments, and says so', async () => {
    const { job, events } = await run(slow);
    assert.equal(job.status, 'done');
    assert.equal(job.result?.verify?.ok, true);
    // 450 s of the timeout at 100 s per source second: 4 s segments.
    const lengths = job.plan!.segments.map((s) => s.endTime - s.startTime);
    assert.ok(job.plan!.segments.length >= 5, `${job.plan!.segments.length} segments`);
    assert.ok(Math.max(...lengths) <= 4.5, lengths.join(' '));
    const limit = events.find((e) => e.type === 'job.segment-limit');
    assert.match(limit?.message ?? '', /^segment target 20 s lowered to 4 s: a segment must encode inside the 900 s function timeout/);
  });

  it('a source fast enough keeps the target', async () => {
    const { job, events } = await run(plain);
    assert.equal(job.plan!.segments.length, 1);
    assert.ok(!events.some((e) => e.type === 'job.segment-limit'));
  });
});

describe('aws-emulated: the function timeout is enforced', () => {
  const t = tempDir('shardcast-aws-timeout-');
  let aws: EmulatedAws;
  let source: string;
  let segment1Encodes = 0;

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip2.mp4'), { seconds: 2, size: '160x120', rate: 25, gop: 25 });
    // Segment 1's first encode hangs (20 s, stopped when its invocation is), past a 6 s function timeout: long
    // enough that no other invocation reaches it on a loaded host (at 3 s, under a load of 8 on 2 cores, some did).
    const hang = (m: MediaTool): MediaTool => ({
      info: () => m.info(),
      run: async (tool, args, opts) => {
        if (tool === 'ffmpeg' && args.some((a) => /v00001\.mp4\.partial$/.test(a)) && ++segment1Encodes === 1) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 20_000);
            opts?.signal?.addEventListener(
              'abort',
              () => {
                clearTimeout(timer);
                resolve();
              },
              { once: true },
            );
          });
          return { exitCode: null, signal: 'SIGTERM', stdout: '', stderrTail: 'killed', wallMs: 3000, cpuSeconds: 0 };
        }
        return m.run(tool, args, opts);
      },
    });
    ({ aws, source } = await emulatedWithSource(
      {
        stateDir: join(t.dir, 'state'),
        env: { ...process.env, SHARDCAST_EMULATED_FUNCTION_TIMEOUT: '6' },
        wrapMedia: hang,
        retryIntervalMs: 0,
      },
      clip,
    ));
  });
  after(async () => {
    await aws?.close();
    t.cleanup();
  });

  it('an invocation past the timeout fails as Sandbox.Timedout, is retried once, and the job completes', async () => {
    const id = await createEmulatedJob(aws, source, 't.mp4', { preset: 'ultrafast', segmentSeconds: '1', workers: '2' });
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    assert.equal((await aws.runtime.deps.ledger.getJob(id))!.status, 'done');
    assert.equal(segment1Encodes, 2);
    const timeouts = (await aws.runtime.deps.ledger.listEvents(id)).filter((e) => e.type === 'lambda.timeout');
    assert.equal(timeouts.length, 1, JSON.stringify(timeouts.map((e) => e.message)));
    assert.match(timeouts[0]!.message, /^EncodeSegment: the invocation ran past the 6 s function timeout \(Sandbox\.Timedout\)$/);
  });
});
