/**
 * The AWS backend end to end without AWS: dynalite and s3rver on 127.0.0.1, the real state machine definition
 * run by aws-local-stepfunctions, Task states calling the real Lambda step functions with a real ffmpeg.
 * A clip in S3 becomes a verified output in S3; faults are injected by wrapping the MediaTool (a test hook of
 * the emulated runtime's config), and retry backoff is set to 0 ms to keep the test short.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createJob } from '../../src/app/run-job.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { encodeSegmentStep } from '../../src/lambda/encode-segment.js';
import type { MediaTool } from '../../src/ports/media-tool.js';
import { startEmulatedAws, EMULATED_BUCKET, type EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { newJobId } from '../../src/runtime/process-identity.js';
import { ffprobeJson, makeClip, tempDir } from '../support/media.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

interface Fault {
  index: number;
  remaining: number;
}

/** Probes of the source left to fail (a read error in Analyze), and merges left to fail (an S3 read hiccup). */
let failProbes = 0;
let failMerges = 0;

/** Counts segment encodes; fails those of the fault's segment while it has failures left. */
function faulty(real: MediaTool, fault: () => Fault, encodes: Map<string, number>): MediaTool {
  return {
    info: () => real.info(),
    run: async (tool, args, opts) => {
      if (tool === 'ffmpeg' && args.includes('concat') && failMerges-- > 0) {
        return { exitCode: 1, signal: null, stdout: '', stderrTail: 'injected fault: Connection reset by peer', wallMs: 1, cpuSeconds: 0 };
      }
      if (tool === 'ffprobe' && args.includes('-show_format') && failProbes-- > 0) {
        return { exitCode: 1, signal: null, stdout: '', stderrTail: 'injected fault: Connection reset by peer', wallMs: 1, cpuSeconds: 0 };
      }
      const out = args[args.length - 1] ?? '';
      const seg = /(v\d{5})\.mp4\.partial$/.exec(out)?.[1];
      if (tool === 'ffmpeg' && seg) encodes.set(seg, (encodes.get(seg) ?? 0) + 1);
      const f = fault();
      if (tool === 'ffmpeg' && seg === `v${String(f.index).padStart(5, '0')}` && f.remaining-- > 0) {
        return { exitCode: 1, signal: null, stdout: '', stderrTail: 'injected fault: disk on fire', wallMs: 1, cpuSeconds: 0 };
      }
      return real.run(tool, args, opts);
    },
  };
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('aws-emulated: the state machine over the Lambda handlers', () => {
  const t = tempDir('shardcast-aws-emulated-');
  const encodes = new Map<string, number>();
  let fault: Fault = { index: -1, remaining: 0 };
  let aws: EmulatedAws;
  const source = `s3://${EMULATED_BUCKET}/inputs/clip.mp4`;

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 4, gop: 15 });
    aws = await startEmulatedAws({
      stateDir: join(t.dir, 'state'),
      env: process.env,
      retryIntervalMs: 0,
      wrapMedia: (m) => faulty(m, () => fault, encodes),
    });
    await aws.runtime.s3.send(new PutObjectCommand({ Bucket: EMULATED_BUCKET, Key: 'inputs/clip.mp4', Body: readFileSync(clip) }));
  });
  after(async () => {
    await aws?.close();
    t.cleanup();
  });

  /** Four 1 s segments, all encoded at once (Map MaxConcurrency 4), so none waits in the queue when one fails. */
  async function newJob(name: string) {
    const output = `s3://${EMULATED_BUCKET}/outputs/${name}.mp4`;
    const options = parseTranscodeOptions(
      { preset: 'ultrafast', segmentSeconds: '1', workers: '4', maxAttempts: '3', verify: true },
      output,
    );
    const id = newJobId();
    await createJob(aws.runtime.deps, { id, backend: 'aws-emulated', source, output, options });
    return id;
  }

  async function listKeys(prefix: string): Promise<string[]> {
    const res = await aws.runtime.s3.send(new ListObjectsV2Command({ Bucket: EMULATED_BUCKET, Prefix: prefix }));
    return (res.Contents ?? []).map((o) => o.Key!);
  }

  it('a clip in S3 becomes a verified output in S3; every segment done with timings; temp objects cleaned up', async () => {
    encodes.clear();
    const id = await newJob('plain');
    const outcome = await aws.runWorkflow(id);
    assert.deepEqual(outcome, { status: 'succeeded' });
    const job = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.equal(job.status, 'done');
    assert.equal(job.result?.verify?.ok, true);
    assert.equal(job.result?.frames, 120);
    for (const k of ['analyzeMs', 'encodeMs', 'mergeMs', 'verifyMs', 'totalMs'] as const)
      assert.ok((job.timings[k] ?? -1) >= 0, `${k} ${job.timings[k]}`);
    const tasks = await aws.runtime.deps.ledger.listTasks(id);
    assert.equal(tasks.filter((x) => x.kind === 'video').length, 4);
    assert.ok(tasks.some((x) => x.kind === 'audio'));
    for (const task of tasks) {
      assert.equal(task.status, 'done', task.key);
      assert.equal(task.attempts, 1, task.key);
      assert.ok(task.wallMs! > 0 && task.startedAt! > 0 && task.finishedAt! >= task.startedAt!, task.key);
    }
    assert.equal(sum(encodes), 4);
    assert.deepEqual(await listKeys(`tmp/${id}/`), [], 'temp objects are deleted');
    const out = join(t.dir, 'plain.mp4');
    const res = await aws.runtime.s3.send(new GetObjectCommand({ Bucket: EMULATED_BUCKET, Key: 'outputs/plain.mp4' }));
    await import('node:fs/promises').then(async (fs) => fs.writeFile(out, Buffer.from(await res.Body!.transformToByteArray())));
    const probe = ffprobeJson(out, 'stream=codec_type,nb_read_frames', ['-count_frames']);
    const video = probe.streams.find((s: any) => s.codec_type === 'video');
    assert.equal(Number(video.nb_read_frames), 120);
    assert.ok(probe.streams.some((s: any) => s.codec_type === 'audio'));
  });

  it('a job that failed in Analyze is analyzed again by a new execution and completes (regression: it could never be retried)', async () => {
    failProbes = 1;
    const id = await newJob('analyze-failed');
    const first = await aws.runWorkflow(id);
    assert.equal(first.status, 'failed');
    const failed = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.plan, undefined);
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    const job = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.equal(job.status, 'done');
    assert.equal(job.result?.verify?.ok, true);
    assert.equal(job.result?.frames, 120);
  });

  it('a merge that fails once (a read hiccup) is retried by the state machine (regression: Merge retried only Lambda service errors)', async () => {
    failMerges = 1;
    const id = await newJob('merge-once');
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    assert.equal(failMerges, -1, 'the merge ran twice');
    const job = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.equal(job.status, 'done');
    assert.equal(job.result?.verify?.ok, true);
  });

  it('an encode that fails once is retried by the state machine and the job completes', async () => {
    encodes.clear();
    fault = { index: 1, remaining: 1 };
    const id = await newJob('once');
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    const seg1 = (await aws.runtime.deps.ledger.listTasks(id)).find((x) => x.kind === 'video' && x.index === 1)!;
    assert.equal(seg1.status, 'done');
    assert.equal(seg1.attempts, 2);
    assert.equal(encodes.get('v00001'), 2);
    assert.equal(encodes.get('v00000'), 1);
  });

  it('one that always fails ends the job failed naming it; a new execution re-encodes only that segment', async () => {
    encodes.clear();
    fault = { index: 2, remaining: Infinity };
    const id = await newJob('always');
    const outcome = await aws.runWorkflow(id);
    assert.equal(outcome.status, 'failed');
    const failed = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!, /segment 2 failed after 3 attempts: .*injected fault: disk on fire/);
    assert.match(failed.error!, /shardcast retry [a-z0-9]+ --backend aws-emulated/);
    const tasks = await aws.runtime.deps.ledger.listTasks(id);
    assert.equal(tasks.find((x) => x.kind === 'video' && x.index === 2)!.status, 'failed');
    assert.equal(encodes.get('v00002'), 3, 'first try + 2 retries');

    fault = { index: -1, remaining: 0 };
    const before = new Map(encodes);
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    for (const [seg, n] of encodes)
      assert.equal(n - (before.get(seg) ?? 0), seg === 'v00002' ? 1 : 0, `${seg} encodes in the new execution`);
    const done = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.equal(done.status, 'done');
    assert.equal(done.error, undefined);
    assert.deepEqual(await listKeys(`tmp/${id}/`), []);
  });

  it('a redelivered encode invocation of a done segment does not encode again', async () => {
    encodes.clear();
    const id = await newJob('redelivered');
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    const before = sum(encodes);
    const out = await encodeSegmentStep(aws.stepRuntime(), { jobId: id, kind: 'video', index: 0 });
    assert.deepEqual(out, { key: `${id}/v00000`, status: 'done', attempts: 1 });
    assert.equal(sum(encodes), before);
  });
});
