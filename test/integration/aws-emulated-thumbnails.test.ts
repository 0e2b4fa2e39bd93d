/**
 * Thumbnails on the AWS backend (issue 29 item 5), emulated: the segment Lambdas store the JPEGs their encodes
 * wrote in S3, the merge Lambda makes the sprite sheet and map from them, and all lands in S3 beside the output
 * (`outputs/movie.thumbs/`), with the job's temp objects gone.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { EMULATED_BUCKET, type EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { createEmulatedJob, emulatedWithSource } from '../support/emulated.js';
import { ffmpeg, tempDir } from '../support/media.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('aws-emulated: thumbnails land in S3 beside the output', () => {
  const t = tempDir('shardcast-aws-thumbs-');
  let aws: EmulatedAws;
  let source: string;

  before(async () => {
    const clip = join(t.dir, 'clip.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', clip]);
    ({ aws, source } = await emulatedWithSource({ stateDir: join(t.dir, 'state'), env: process.env, retryIntervalMs: 0 }, clip));
  });
  after(async () => {
    await aws?.close();
    t.cleanup();
  });

  const keys = async (prefix: string) =>
    ((await aws.runtime.s3.send(new ListObjectsV2Command({ Bucket: EMULATED_BUCKET, Prefix: prefix }))).Contents ?? [])
      .map((o) => o.Key!)
      .sort();
  const get = async (key: string) =>
    Buffer.from(
      await (await aws.runtime.s3.send(new GetObjectCommand({ Bucket: EMULATED_BUCKET, Key: key }))).Body!.transformToByteArray(),
    );

  it('poster, sprite sheet and WebVTT map in outputs/movie.thumbs/, recorded in the result', async () => {
    const id = await createEmulatedJob(aws, source, 'movie.mp4', {
      preset: 'ultrafast',
      segmentSeconds: '2',
      workers: '3',
      thumbnails: '1',
    });
    assert.deepEqual(await aws.runWorkflow(id), { status: 'succeeded' });
    const job = (await aws.runtime.deps.ledger.getJob(id))!;
    const dir = `s3://${EMULATED_BUCKET}/outputs/movie.thumbs`;
    assert.deepEqual(job.result?.thumbnails, {
      count: 6,
      everySeconds: 1,
      width: 160,
      height: 90,
      poster: `${dir}/poster.jpg`,
      sprites: [`${dir}/sprite-0.jpg`],
      vtt: `${dir}/thumbnails.vtt`,
    });
    const tasks = await aws.runtime.deps.ledger.listTasks(id);
    assert.equal(tasks.filter((x) => x.kind === 'video' && x.thumbnails?.frames.length === 2).length, 3, 'three segments, two each');
    assert.deepEqual(await keys('outputs/movie.thumbs/'), [
      'outputs/movie.thumbs/poster.jpg',
      'outputs/movie.thumbs/sprite-0.jpg',
      'outputs/movie.thumbs/thumbnails.vtt',
    ]);
    const vtt = (await get('outputs/movie.thumbs/thumbnails.vtt')).toString('utf8');
    assert.match(vtt, /^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.000\nsprite-0\.jpg#xywh=0,0,160,90\n/);
    assert.equal(vtt.match(/#xywh=/g)?.length, 6);
    const sprite = join(t.dir, 'sprite.jpg');
    writeFileSync(sprite, await get('outputs/movie.thumbs/sprite-0.jpg'));
    const size = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', sprite], {
      encoding: 'utf8',
    });
    assert.equal(size.stdout.trim(), '960,90');
    assert.deepEqual(await keys(`tmp/${id}/`), [], 'the stored thumbnails go with the temp objects');
  });
});
