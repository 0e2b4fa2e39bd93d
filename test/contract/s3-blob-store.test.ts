/** The BlobStore contract against S3BlobStore on s3rver (an S3 emulator in a child process on 127.0.0.1). */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { makeS3Client, s3ChecksumSettings } from '../../src/adapters/aws/aws-clients.js';
import { downloadFile, TransferError } from '../../src/adapters/aws/s3-transfer.js';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { parseS3Uri } from '../../src/adapters/aws/s3-uri.js';
import { startS3rver, S3RVER_CREDENTIALS, type S3rverProcess } from '../support/s3rver-process.js';
import { readRange, runBlobStoreContract } from './blob-store-contract.js';

const BUCKET = 'shardcast-test';
let server: S3rverProcess;
let client: S3Client;

before(async () => {
  server = await startS3rver([BUCKET]);
  client = makeS3Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
});
after(async () => {
  client?.destroy();
  await server?.stop();
});

async function getObject(bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

function makeStore(over: Partial<ConstructorParameters<typeof S3BlobStore>[0]> = {}): S3BlobStore {
  return new S3BlobStore({ client, bucket: BUCKET, prefix: 'tmp/', partSizeBytes: 5 * 1024 * 1024, ...over });
}

runBlobStoreContract('S3BlobStore', async () => ({
  store: makeStore(),
  outputFor: (name) => `s3://${BUCKET}/outputs/${randomUUID()}/${name}`,
  readOutput: async (output) => {
    const { bucket, key } = parseS3Uri(output);
    return getObject(bucket, key);
  },
  tamper: async (key, bytes) => {
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `tmp/${key}` }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `tmp/${key}`, Body: bytes, Metadata: head.Metadata }));
  },
  cleanup: async () => {},
}));

describe('S3BlobStore specifics', () => {
  it('keeps blobs under the temp prefix and reads through presigned URLs', async () => {
    const store = makeStore();
    const jobId = `job-${randomUUID()}`;
    const dir = await mkdtemp(join(tmpdir(), 'shardcast-s3-'));
    await writeFile(join(dir, 'f'), 'hello');
    await store.putFile(`${jobId}/v00000.mkv`, join(dir, 'f'));
    assert.deepEqual(await getObject(BUCKET, `tmp/${jobId}/v00000.mkv`), Buffer.from('hello'));
    const url = await store.readLocation(`${jobId}/v00000.mkv`);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/shardcast-test\/tmp\/job-.*X-Amz-Signature=/);
    await rm(dir, { recursive: true, force: true });
  });

  it('deletePrefix pages through more objects than one listing page', async () => {
    const store = makeStore({ listPageSize: 2 });
    const jobId = `job-${randomUUID()}`;
    for (let i = 0; i < 5; i++) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `tmp/${jobId}/v0000${i}.mkv`, Body: `x${i}` }));
    }
    await store.deletePrefix(`${jobId}/`);
    const left = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `tmp/${jobId}/` }));
    assert.equal(left.KeyCount ?? 0, 0);
  });

  it('stat hashes an object put there without the sha256 metadata', async () => {
    const store = makeStore();
    const jobId = `job-${randomUUID()}`;
    const body = randomBytes(1000);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `tmp/${jobId}/x.mkv`, Body: body }));
    assert.deepEqual(await store.stat(`${jobId}/x.mkv`), {
      sizeBytes: 1000,
      checksum: createHash('sha256').update(body).digest('hex'),
    });
    assert.deepEqual(await readRange(await store.readLocation(`${jobId}/x.mkv`), 0, 9), body.subarray(0, 10));
  });

  it('commits to a local output path too (a local output with the AWS backend)', async () => {
    const store = makeStore();
    const dir = await mkdtemp(join(tmpdir(), 'shardcast-s3-'));
    const output = join(dir, 'out.mp4');
    const temp = await store.outputTempPath('job-local', output);
    await writeFile(temp, 'merged');
    await store.commitOutput(temp, output);
    assert.equal(await readFile(output, 'utf8'), 'merged');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('the CLI download of an output (issue 26, item 11)', () => {
  it('is hashed on the way: a match is kept, a sha256 or size other than the recorded one is refused and removed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shardcast-dl-'));
    const body = randomBytes(300_000);
    const sha = createHash('sha256').update(body).digest('hex');
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'outputs/good.mp4', Body: body, Metadata: { sha256: sha } }));
    await downloadFile(client, `s3://${BUCKET}/outputs/good.mp4`, join(dir, 'good.mp4'));
    assert.ok((await readFile(join(dir, 'good.mp4'))).equals(body));
    // Recorded for other bytes: what a damaged store or a wrong object would hand back.
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'outputs/bad.mp4', Body: body, Metadata: { sha256: 'f'.repeat(64) } }));
    await assert.rejects(
      downloadFile(client, `s3://${BUCKET}/outputs/bad.mp4`, join(dir, 'bad.mp4')),
      (e: Error) => e instanceof TransferError && /does not match the sha256 recorded/.test(e.message),
    );
    assert.deepEqual(await readdir(dir), ['good.mp4'], 'no file, no partial file, for the refused download');
    // An object written by someone else, with no recorded sha256: its size is still checked, and it is kept.
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'outputs/plain.mp4', Body: body }));
    await downloadFile(client, `s3://${BUCKET}/outputs/plain.mp4`, join(dir, 'plain.mp4'));
    assert.equal((await readFile(join(dir, 'plain.mp4'))).length, body.length);
    await rm(dir, { recursive: true, force: true });
  });

  it('checksums are the SDK default against AWS, and only where required against another endpoint (regression: off everywhere)', () => {
    assert.deepEqual(s3ChecksumSettings(undefined, {}), {});
    const off = { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' };
    assert.deepEqual(s3ChecksumSettings('http://127.0.0.1:4569', {}), off);
    assert.deepEqual(s3ChecksumSettings(undefined, { AWS_ENDPOINT_URL_S3: 'http://minio:9000' }), off);
    assert.deepEqual(s3ChecksumSettings(undefined, { AWS_ENDPOINT_URL: 'http://localstack:4566' }), off);
  });
});
