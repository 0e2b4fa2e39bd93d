/**
 * The merge reads the segments over presigned URLs (issue 26, item 2): a proxy in front of the S3 emulator drops
 * the connection part-way through the merge's first read of a segment, as a reset or an S3 503 would. Before,
 * the concat demuxer opened each entry without the reconnect options (those before `-i` reach only the list),
 * the segment ended early, verification failed with a VerifyError, and the job failed after every encode was
 * paid for.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { createEmulatedJob, emulatedWithSource } from '../support/emulated.js';
import { makeClip, tempDir } from '../support/media.js';
import { startCuttingProxy, type CuttingProxy } from '../support/corrupting-proxy.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('aws-emulated: a segment read cut short during the merge', () => {
  const t = tempDir('shardcast-aws-merge-read-');
  let aws: EmulatedAws;
  let source: string;
  let proxy: CuttingProxy | undefined;

  before(async () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 3, gop: 15 });
    ({ aws, source } = await emulatedWithSource(
      {
        stateDir: join(t.dir, 'state'),
        env: process.env,
        retryIntervalMs: 0,
        // The first whole-file read of the second segment gets 2000 bytes, then the connection drops.
        s3Via: async (endpoint) => (proxy = await startCuttingProxy(endpoint, { match: /\/v00001\.mp4$/, times: 1, after: 2000 })).endpoint,
      },
      clip,
    ));
  });
  after(async () => {
    await aws?.close();
    await proxy?.stop();
    t.cleanup();
  });

  it('the merge reconnects and reads on: the job completes with one merge, verified', async () => {
    const id = await createEmulatedJob(aws, source, 'cut.mp4', {
      preset: 'ultrafast',
      segmentSeconds: '1',
      workers: '2',
      maxAttempts: '2',
      verify: true,
    });
    const outcome = await aws.runWorkflow(id);
    assert.equal(proxy!.cut.length, 1, 'a segment read was cut');
    assert.deepEqual(outcome, { status: 'succeeded' }, JSON.stringify(outcome));
    const job = (await aws.runtime.deps.ledger.getJob(id))!;
    assert.equal(job.result?.verify?.ok, true);
    const merges = (await aws.runtime.deps.ledger.listEvents(id)).filter((e) => e.type === 'job.merging');
    assert.equal(merges.length, 1, 'no second merge was needed');
  });

  it("no record keeps a presigned URL's credentials: the commands name the source without its query (issue 26, item 10)", async () => {
    const [summary] = await aws.runtime.deps.ledger.listJobs({ limit: 1 });
    const job = await aws.runtime.deps.ledger.getJob(summary!.id);
    const tasks = await aws.runtime.deps.ledger.listTasks(summary!.id);
    const stored = JSON.stringify({ job, tasks, events: await aws.runtime.deps.ledger.listEvents(summary!.id) });
    assert.doesNotMatch(stored, /X-Amz-(Signature|Credential|Security-Token)/);
    const video = tasks.find((x) => x.kind === 'video')!;
    assert.ok(
      video.args!.some((a) => /^https?:\/\/.*\/inputs\/clip\.mp4\?\(presigned\)$/.test(a)),
      `the source as read, without credentials: ${video.args!.join(' ')}`,
    );
  });
});
