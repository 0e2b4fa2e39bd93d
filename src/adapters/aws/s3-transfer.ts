/**
 * Whole-file transfers between local disk and s3:// URIs, for the CLI of the AWS backends (a local input is
 * uploaded first, a local output downloaded after). Streamed both ways; the download is written to a temp
 * name beside the destination and renamed, so a failed download leaves no partial output.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { parseS3Uri } from './s3-uri.js';

/** The object metadata key holding a blob's sha256 (sent as `x-amz-meta-sha256`). */
export const SHA256_METADATA = 'sha256';

/** A download that did not arrive whole or as recorded: worth another try, never a file to keep. */
export class TransferError extends Error {
  override name = 'TransferError';
}

export async function uploadFile(client: S3Client, localPath: string, uri: string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  await new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: createReadStream(localPath) },
    partSize: 16 * 1024 * 1024,
    queueSize: 4,
    leavePartsOnError: false,
  }).done();
}

export async function downloadFile(client: S3Client, uri: string, localPath: string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  await downloadObject(client, bucket, key, localPath);
}

/**
 * Streams one object to `localPath` through a temp name and a rename (no partial file on failure), hashing it on
 * the way: a download whose size is not the object's, or whose sha256 is not the one recorded with it at upload
 * (`x-amz-meta-sha256`, which every blob and output shardcast writes carries), is refused and removed.
 */
export async function downloadObject(client: S3Client, bucket: string, key: string, localPath: string): Promise<void> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const part = `${localPath}.${randomBytes(4).toString('hex')}.part`;
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(res.Body as Readable, tap, createWriteStream(part));
    const where = `s3://${bucket}/${key}`;
    if (res.ContentLength !== undefined && bytes !== res.ContentLength)
      throw new TransferError(`the download of ${where} is ${bytes} bytes, the object ${res.ContentLength}: try again`);
    const recorded = res.Metadata?.[SHA256_METADATA];
    const got = hash.digest('hex');
    if (recorded && recorded !== got)
      throw new TransferError(
        `the download of ${where} does not match the sha256 recorded with it (${got.slice(0, 12)}, recorded ${recorded.slice(0, 12)}): try again`,
      );
    await rename(part, localPath);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}

/**
 * Downloads every object in the folder of `uri` (an HLS ladder's master playlist) into `localDir`, keeping
 * the relative paths; the object at `uri` itself comes last, so the local folder is whole once it exists.
 * Returns how many files were written.
 */
export async function downloadFolder(client: S3Client, uri: string, localDir: string): Promise<number> {
  const { bucket, key } = parseS3Uri(uri);
  const prefix = key.slice(0, key.lastIndexOf('/') + 1);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && o.Key !== key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const get = async (k: string) => {
    const rel = k.slice(prefix.length);
    if (!rel || rel.split('/').some((p) => p === '..' || p === '')) return;
    const dest = join(localDir, rel);
    await mkdir(dirname(dest), { recursive: true });
    await downloadObject(client, bucket, k, dest);
  };
  for (let i = 0; i < keys.length; i += 8) await Promise.all(keys.slice(i, i + 8).map(get));
  await get(key);
  return keys.length + 1;
}
