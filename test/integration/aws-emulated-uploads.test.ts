/**
 * Uploads start jobs on the AWS home (emulated): an object put under in/<template>/ through the S3 emulator, its
 * Object Created event handed to the state machine as EventBridge would, runs to done with no client (the Admit
 * state makes the job); the same event twice starts one job; a broken upload fails and puts the failed event on
 * the bus; an unknown template fails its job with the reason; a key outside the scheme starts nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { EMULATED_BUCKET, startEmulatedAws, type EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { jobIdFor } from '../../src/runtime/process-identity.js';
import { readTemplateCatalog } from '../../src/runtime/template-files.js';
import { makeClip, tempDir } from '../support/media.js';
import { objectCreatedEvent } from '../support/s3-events.js';
import { startReceiver } from '../support/webhook-receiver.js';
import { createJob } from '../../src/app/run-job.js';
import { emit } from '../../src/app/deps.js';
import { emulatedNotifyStep } from '../../src/lambda/notify.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';

describe('uploads start jobs (aws-emulated)', () => {
  const t = tempDir('shardcast-aws-uploads-');
  let aws: EmulatedAws;
  let clip: Buffer;

  before(async () => {
    const config = join(t.dir, 'shardcast.config.yaml');
    writeFileSync(
      config,
      'version: 1\ntemplates:\n  tiny:\n    output: mp4\n    preset: ultrafast\n    maxHeight: 90\n    segmentSeconds: 1\n',
    );
    clip = readFileSync(makeClip(join(t.dir, 'clip.mp4'), { seconds: 2, size: '320x180', rate: 25, gop: 25 }));
    aws = await startEmulatedAws({
      stateDir: t.dir,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      templates: await readTemplateCatalog(config),
      retryIntervalMs: 0,
    });
  });
  after(async () => {
    await aws?.close();
    t.cleanup();
  });

  /** Puts `body` at `key` and returns the event S3 would send EventBridge for it. */
  async function upload(key: string, body: Buffer | string): Promise<{ event: unknown; id: string }> {
    const put = await aws.runtime.s3.send(new PutObjectCommand({ Bucket: EMULATED_BUCKET, Key: key, Body: body }));
    const etag = (put.ETag ?? '').replace(/"/g, '');
    assert.ok(etag, 'the emulator gave an ETag');
    return { event: objectCreatedEvent(EMULATED_BUCKET, key, { etag, size: body.length }), id: jobIdFor('s3', EMULATED_BUCKET, key, etag) };
  }

  const events = (id: string) => aws.runtime.deps.ledger.listEvents(id);

  it('an upload runs to done with no client; the same event twice starts one job', { timeout: 240_000 }, async () => {
    const { event, id } = await upload('in/tiny/talks/clip.mp4', clip);
    const outcome = await aws.runUpload(event);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    const job = await aws.runtime.deps.ledger.getJob(id);
    assert.equal(job?.status, 'done', job?.error);
    assert.equal(job.source, `s3://${EMULATED_BUCKET}/in/tiny/talks/clip.mp4`);
    assert.equal(job.output, `s3://${EMULATED_BUCKET}/out/tiny/talks/clip.mp4`);
    assert.equal(job.backend, 'aws-emulated');
    assert.equal(job.options.template, 'tiny');
    assert.equal(job.options.profile.maxHeight, 90);
    const head = await aws.runtime.s3.send(new HeadObjectCommand({ Bucket: EMULATED_BUCKET, Key: 'out/tiny/talks/clip.mp4' }));
    assert.ok((head.ContentLength ?? 0) > 1000, 'the output is in the bucket');
    const seen = (await events(id)).length;

    // EventBridge delivers at least once: the same event again ends at Admit, and runs nothing.
    const again = await aws.runUpload(event);
    assert.equal(again.status, 'succeeded');
    assert.equal((await events(id)).length, seen, 'nothing ran for the second delivery');
    assert.equal((await aws.runtime.deps.ledger.listJobs()).filter((j) => j.id === id).length, 1);
    assert.equal((await aws.runtime.deps.ledger.getJob(id))?.status, 'done');
  });

  it('a broken upload fails its job and puts the failed event on the bus', { timeout: 120_000 }, async () => {
    const { event, id } = await upload('in/tiny/broken.mp4', 'this is not a video\n');
    const outcome = await aws.runUpload(event);
    assert.equal(outcome.status, 'failed');
    const job = await aws.runtime.deps.ledger.getJob(id);
    assert.equal(job?.status, 'failed');
    assert.equal(job.errorKind, 'input');
    const bus = (await events(id)).filter((e) => e.type === 'notify.sent' && String(e.data?.delivery).endsWith('.bus'));
    assert.deepEqual(
      bus.map((e) => e.data?.event),
      ['job.failed'],
    );
  });

  it('an upload under a template the stack lacks makes a job that fails naming it', { timeout: 120_000 }, async () => {
    const { event, id } = await upload('in/nope/clip.mp4', clip);
    const outcome = await aws.runUpload(event);
    assert.equal(outcome.status, 'failed');
    const job = await aws.runtime.deps.ledger.getJob(id);
    assert.equal(job?.status, 'failed');
    assert.match(
      job.error ?? '',
      /no template "nope" in the stack's templates .* \(web-1080p, web-720p, hls-dash, archive-hevc-10bit, tiny\)/,
    );
    assert.equal(job.errorKind, 'input');
    assert.equal(job.plan, undefined, 'nothing was analyzed');
  });

  it('a key as S3 notifications encode it (a space as +); a job made but never started goes on', { timeout: 240_000 }, async () => {
    // The object is "in/tiny/my talk.mp4"; the event names it "in/tiny/my+talk.mp4".
    const put = await upload('in/tiny/my talk.mp4', clip);
    const encoded = JSON.parse(JSON.stringify(put.event).replace('my talk.mp4', 'my+talk.mp4'));
    const etag = encoded.detail.object.etag as string;
    const id = jobIdFor('s3', EMULATED_BUCKET, 'in/tiny/my+talk.mp4', etag);
    assert.equal((await aws.runUpload(encoded)).status, 'succeeded');
    const job = await aws.runtime.deps.ledger.getJob(id);
    assert.equal(job?.status, 'done', job?.error);
    assert.equal(job.source, `s3://${EMULATED_BUCKET}/in/tiny/my talk.mp4`);

    // Admit failed between its two writes (the job made, its first event not) and is run again.
    const again = await upload('in/tiny/half.mp4', clip);
    const first = await aws.runtime.deps.ledger.getJob(id);
    await aws.runtime.deps.ledger.createJob({
      ...first!,
      id: again.id,
      status: 'created',
      source: `s3://${EMULATED_BUCKET}/in/tiny/half.mp4`,
      output: `s3://${EMULATED_BUCKET}/out/tiny/half.mp4`,
      timings: {},
      result: undefined,
      plan: undefined,
      analysis: undefined,
      createdAt: Date.now(),
      updatedAt: Date.now(),
    } as never);
    assert.equal((await aws.runUpload(again.event)).status, 'succeeded');
    assert.equal((await aws.runtime.deps.ledger.getJob(again.id))?.status, 'done');
    assert.equal((await events(again.id)).filter((e) => e.type === 'job.created').length, 1);
  });

  it('the notify function, run by the schedule, sends what is due', async () => {
    const secret = 'sweep-secret';
    const rx = await startReceiver(secret);
    try {
      const { id } = await upload('in/tiny/swept.mp4', clip);
      const options = parseTranscodeOptions({ workers: '1', notify: rx.url }, 'out.mp4');
      await createJob(aws.runtime.deps, {
        id,
        backend: 'aws-emulated',
        source: `s3://${EMULATED_BUCKET}/in/tiny/swept.mp4`,
        output: `s3://${EMULATED_BUCKET}/out/tiny/swept.mp4`,
        options,
      });
      await emit(aws.runtime.deps, id, 'job.failed', 'failed before the receiver was up');
      const out = await emulatedNotifyStep({ SHARDCAST_WEBHOOK_SECRET: secret })(aws.stepRuntime(), { sweep: true });
      assert.deepEqual(out, { sweep: true, sent: 1, owed: 0 });
      const [got] = await rx.waitFor(1);
      assert.equal(got!.body.type, 'job.failed');
      assert.ok(got!.signed);
    } finally {
      await rx.close();
    }
  });

  it('an object outside in/<template>/ starts nothing', async () => {
    const before = (await aws.runtime.deps.ledger.listJobs()).length;
    for (const key of ['in/clip.mp4', 'in/tiny/.hidden.mp4']) {
      const { event } = await upload(key, clip);
      assert.equal((await aws.runUpload(event)).status, 'succeeded', key);
    }
    assert.equal((await aws.runtime.deps.ledger.listJobs()).length, before);
  });
});
