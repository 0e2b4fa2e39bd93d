/**
 * The aws-emulated backend's edges, on the same emulators and real handlers as aws-emulated.test.ts:
 * storage=efs (temp files in a folder standing in for the EFS mount, output committed to S3), a source that is
 * not media (fails in Analyze, named InputError), and an execution stopped mid-way (Ctrl-C) whose running
 * encode is handed back, so a new execution encodes only that. Faults come from a MediaTool wrapper (test hook).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createJob } from '../../src/app/run-job.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { encodeSegmentStep } from '../../src/lambda/encode-segment.js';
import { finalizeStep } from '../../src/lambda/finalize.js';
import { mergeStep } from '../../src/lambda/merge.js';
import { handler as markFailedHandler } from '../../src/lambda/mark-failed.js';
import type { MediaTool, ToolRunResult } from '../../src/ports/media-tool.js';
import { startEmulatedAws, EMULATED_BUCKET, type EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { newJobId } from '../../src/runtime/process-identity.js';
import { makeClip, tempDir } from '../support/media.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const KILLED: ToolRunResult = { exitCode: null, signal: 'SIGTERM', stdout: '', stderrTail: 'killed', wallMs: 1, cpuSeconds: 0 };

/** Counts segment encodes; the encode of segment `hang()` waits until it is aborted, that of `fail()` fails. */
function hanging(real: MediaTool, hang: () => number, fail: () => number, encodes: Map<string, number>): MediaTool {
  return {
    info: () => real.info(),
    run: async (tool, args, opts) => {
      const seg = /(v\d{5})\.mp4\.partial$/.exec(args[args.length - 1] ?? '')?.[1];
      if (tool === 'ffmpeg' && seg) encodes.set(seg, (encodes.get(seg) ?? 0) + 1);
      if (tool === 'ffmpeg' && seg === `v${String(hang()).padStart(5, '0')}`) {
        await new Promise((resolve) => opts?.signal?.addEventListener('abort', resolve, { once: true }));
        return KILLED;
      }
      if (tool === 'ffmpeg' && seg === `v${String(fail()).padStart(5, '0')}`)
        return { ...KILLED, exitCode: 1, signal: null, stderrTail: 'injected fault' };
      return real.run(tool, args, opts);
    },
  };
}

describe('aws-emulated edges', () => {
  const t = tempDir('shardcast-aws-edges-');
  const encodes = new Map<string, number>();
  let hang = -1;
  let fail = -1;
  let aws: EmulatedAws;
  const stateDir = join(t.dir, 'state');
  const source = `s3://${EMULATED_BUCKET}/inputs/clip.mp4`;

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 4, gop: 15 });
    aws = await startEmulatedAws({
      stateDir,
      env: process.env,
      storage: 'efs',
      retryIntervalMs: 0,
      wrapMedia: (m) =>
        hanging(
          m,
          () => hang,
          () => fail,
          encodes,
        ),
    });
    const put = (key: string, body: Buffer) => aws.runtime.s3.send(new PutObjectCommand({ Bucket: EMULATED_BUCKET, Key: key, Body: body }));
    await put('inputs/clip.mp4', readFileSync(clip));
    await put('inputs/not-media.mp4', Buffer.from('this is not a video\n'.repeat(100)));
  });
  after(async () => {
    await aws?.close();
    t.cleanup();
  });

  async function newJob(src: string, name: string) {
    const output = `s3://${EMULATED_BUCKET}/outputs/${name}.mp4`;
    const options = parseTranscodeOptions(
      { preset: 'ultrafast', segmentSeconds: '1', workers: '4', maxAttempts: '2', verify: true },
      output,
    );
    const id = newJobId();
    await createJob(aws.runtime.deps, { id, backend: 'aws-emulated', source: src, output, options });
    return id;
  }

  it('storage=efs keeps temp files in the mount folder and commits the output to S3', async () => {
    const efsRoot = join(stateDir, 'aws-emulated', 'efs');
    const id = await newJob(source, 'efs');
    let sawTemp = false;
    const watch = setInterval(() => {
      if (existsSync(join(efsRoot, id)) && readdirSync(join(efsRoot, id)).some((f) => f.endsWith('.mp4'))) sawTemp = true;
    }, 20);
    try {
      assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    } finally {
      clearInterval(watch);
    }
    assert.ok(sawTemp, 'segments were written under the EFS folder');
    assert.ok(!existsSync(join(efsRoot, id)), 'and removed at the end');
    const head = await aws.runtime.s3.send(new HeadObjectCommand({ Bucket: EMULATED_BUCKET, Key: 'outputs/efs.mp4' }));
    assert.ok((head.ContentLength ?? 0) > 10_000);
    assert.equal((await aws.runtime.deps.ledger.getJob(id))!.result?.verify?.ok, true);
  });

  it('a source that is not media fails in Analyze as InputError, and the job says why', async () => {
    const id = await newJob(`s3://${EMULATED_BUCKET}/inputs/not-media.mp4`, 'bad');
    const outcome = await aws.runWorkflow(id);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, 'InputError');
    const job = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.equal(job.status, 'failed');
    assert.match(job.error!, /^workflow failed: InputError: not a readable media file/);
  });

  it('a stopped execution hands its running encode back; a new execution encodes only that', async () => {
    encodes.clear();
    hang = 3;
    const id = await newJob(source, 'stopped');
    const stop = new AbortController();
    const run = aws.runWorkflow(id, stop.signal);
    for (let i = 0; i < 400; i++) {
      const tasks = await aws.runtime.deps.ledger.listTasks(id);
      if (tasks.length && tasks.filter((x) => x.status === 'done').length === tasks.length - 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    stop.abort();
    assert.deepEqual(await run, { status: 'aborted' });
    const seg3 = (await aws.runtime.deps.ledger.listTasks(id)).find((x) => x.kind === 'video' && x.index === 3)!;
    assert.deepEqual([seg3.status, seg3.attempts], ['pending', 0], 'handed back, not counted as a failed attempt');

    hang = -1;
    const before = new Map(encodes);
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    for (const [seg, n] of encodes) assert.equal(n - (before.get(seg) ?? 0), seg === 'v00003' ? 1 : 0, `${seg} in the new execution`);
    assert.equal((await aws.runtime.deps.ledger.getJob(id))!.status, 'done');
  });

  it('the failed states of a failed job run again (as a redrive would) complete it: encode, merge, finalize', async () => {
    encodes.clear();
    fail = 1;
    const id = await newJob(source, 'redriven');
    assert.equal((await aws.runWorkflow(id)).status, 'failed');
    fail = -1;
    const rt = aws.stepRuntime();
    await assert.rejects(mergeStep(rt, { jobId: id }), /cannot merge job .*: 1 task\(s\) not done .*v00001 is failed/);
    assert.equal((await aws.runtime.deps.ledger.getJob(id))!.status, 'failed', 'a refused merge leaves the job as it was');
    assert.deepEqual(await encodeSegmentStep(rt, { jobId: id, kind: 'video', index: 1 }), {
      key: `${id}/v00001`,
      status: 'done',
      attempts: 3,
    });
    assert.deepEqual(await mergeStep(rt, { jobId: id }), { jobId: id, status: 'verifying' });
    assert.deepEqual(await finalizeStep(rt, { jobId: id }), {
      jobId: id,
      status: 'done',
      output: `s3://${EMULATED_BUCKET}/outputs/redriven.mp4`,
    });
    const job = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.deepEqual([job.status, job.error, job.result?.verify?.ok], ['done', undefined, true]);
    assert.equal(encodes.get('v00001'), 3);
  });

  it('a Lambda entry point builds its runtime from the environment alone (settings, SDK endpoint, credentials)', async () => {
    const id = await newJob(source, 'entry');
    const env = {
      SHARDCAST_TABLE: 'shardcast-ledger',
      SHARDCAST_BUCKET: EMULATED_BUCKET,
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoDbEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const out = await markFailedHandler(
        { jobId: id, error: 'States.Timeout', cause: 'Task timed out after 960 seconds' },
        { awsRequestId: 'req-1' },
      );
      assert.deepEqual(out, {
        jobId: id,
        status: 'failed',
        error: `workflow failed: States.Timeout: Task timed out after 960 seconds; fix the cause, then run \`shardcast retry ${id} --backend aws-emulated\``,
      });
      await assert.rejects(markFailedHandler({ jobId: 'no/such' }, { awsRequestId: 'req-2' }), (e: Error) => e.name === 'UsageError');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
