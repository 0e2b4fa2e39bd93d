/**
 * Whole-file transfers between local disk and s3:// URIs, for the CLI of the AWS backends (a local input is
 * uploaded first, a local output downloaded after). Streamed both ways; the download is written to a temp
 * name beside the destination and renamed, so a failed download leaves no partial output.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { parseS3Uri } from './s3-uri.js';

export async function uploadFile(client: S3Client, localPath: string, uri: string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  await new Upload({
    client, params: { Bucket: bucket, Key: key, Body: createReadStream(localPath) },
    partSize: 16 * 1024 * 1024, queueSize: 4, leavePartsOnError: false,
  }).done();
}

export async function downloadFile(client: S3Client, uri: string, localPath: string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  await downloadObject(client, bucket, key, localPath);
}

/** Streams one object to `localPath` through a temp name and a rename (no partial file on failure). */
export async function downloadObject(client: S3Client, bucket: string, key: string, localPath: string): Promise<void> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const part = `${localPath}.${randomBytes(4).toString('hex')}.part`;
  try {
    await pipeline(res.Body as Readable, createWriteStream(part));
    await rename(part, localPath);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}
