/**
 * BlobStore on an S3 bucket: blobs live at `<prefix><key>` (the prefix is the bucket's temp prefix, `tmp/`,
 * which a lifecycle rule expires). Uploads are streamed multipart uploads (@aws-sdk/lib-storage); ffmpeg reads
 * blobs through presigned GET URLs with HTTP Range requests, so nothing is downloaded whole to be read.
 * Each blob's sha256 is stored as object metadata at upload. Scratch folders are on local disk
 * (os.tmpdir()/shardcast/<jobId>: a Lambda function's /tmp).
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { UsageError } from '../../core/errors.js';
import type { BlobStore, StoredBlob } from '../../ports/blob-store.js';
import { localDiskSpace } from '../local/disk-space.js';
import { moveFile, sha256File } from '../local/local-blob-store.js';
import { isS3Uri, parseS3Uri, type S3Location } from './s3-uri.js';
import { downloadObject, SHA256_METADATA } from './s3-transfer.js';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. `tmp/` (empty for none). */
  prefix: string;
  /** Where scratch folders go (default os.tmpdir()/shardcast). */
  scratchRoot?: string;
  /** Lifetime of presigned read URLs (default 6 hours: longer than any encode). */
  presignExpiresSeconds?: number;
  /** Multipart part size (default 16 MiB) and parts uploaded at once (default 4). */
  partSizeBytes?: number;
  queueSize?: number;
  /** Keys per ListObjectsV2 page in deletePrefix (default 1,000, the S3 maximum). */
  listPageSize?: number;
}

const SAFE_KEY_PART = /^[A-Za-z0-9._=+-][A-Za-z0-9._=+@-]*$/;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  private readonly scratchRoot: string;
  constructor(private readonly opts: S3BlobStoreOptions) {
    if (opts.prefix && !opts.prefix.endsWith('/')) throw new UsageError(`S3 prefix must end with "/": ${opts.prefix}`);
    this.scratchRoot = opts.scratchRoot ?? join(tmpdir(), 'shardcast');
  }

  /** The object of a key; rejects keys with empty, `.` or `..` parts or unusual characters. */
  locationOf(key: string): S3Location {
    const parts = key.split('/');
    if (!key || parts.some((p) => p === '.' || p === '..' || !SAFE_KEY_PART.test(p))) {
      throw new UsageError(`invalid blob key: ${JSON.stringify(key)}`);
    }
    return { bucket: this.opts.bucket, key: `${this.opts.prefix}${key}` };
  }

  async readLocation(key: string): Promise<string> {
    const { bucket, key: objectKey } = this.locationOf(key);
    return getSignedUrl(this.opts.client, new GetObjectCommand({ Bucket: bucket, Key: objectKey }), {
      expiresIn: this.opts.presignExpiresSeconds ?? 6 * 3600,
    });
  }

  async putFile(key: string, localPath: string): Promise<StoredBlob> {
    const stored = await this.upload(this.locationOf(key), localPath);
    await rm(localPath, { force: true });
    return stored;
  }

  /**
   * A copy and a delete (segments are far below CopyObject's 5 GB); the copy is then read back and hashed, so a
   * blob whose bytes went wrong on the way (a worker's upload, the copy) does not pass on its recorded sha256.
   */
  async moveBlob(fromKey: string, toKey: string): Promise<StoredBlob> {
    const from = this.locationOf(fromKey);
    const to = this.locationOf(toKey);
    await this.opts.client.send(
      new CopyObjectCommand({
        Bucket: to.bucket,
        Key: to.key,
        CopySource: `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'COPY',
      }),
    );
    await this.opts.client.send(new DeleteObjectCommand({ Bucket: from.bucket, Key: from.key }));
    const stored = await this.stat(toKey, { verify: true });
    if (!stored) throw new Error(`s3://${to.bucket}/${to.key} is missing right after it was copied`);
    return stored;
  }

  async stat(key: string, opts: { verify?: boolean } = {}): Promise<StoredBlob | undefined> {
    const loc = this.locationOf(key);
    try {
      if (opts.verify) return await this.readBack(loc);
      const head = await this.opts.client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      const recorded = head.Metadata?.[SHA256_METADATA];
      return recorded ? { sizeBytes: head.ContentLength ?? 0, checksum: recorded } : await this.readBack(loc);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async getFile(key: string, localPath: string): Promise<void> {
    const loc = this.locationOf(key);
    await mkdir(dirname(localPath), { recursive: true });
    await downloadObject(this.opts.client, loc.bucket, loc.key, localPath);
  }

  /** Deletes every object under `<prefix><prefix arg>/` (a page of up to 1,000 at a time), and the job's scratch. */
  async deletePrefix(prefix: string): Promise<void> {
    const clean = prefix.replace(/\/+$/, '');
    const listPrefix = `${this.locationOf(clean).key}/`;
    let token: string | undefined;
    do {
      const page = await this.opts.client.send(
        new ListObjectsV2Command({
          Bucket: this.opts.bucket,
          Prefix: listPrefix,
          ContinuationToken: token,
          MaxKeys: this.opts.listPageSize,
        }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length) {
        const res = await this.opts.client.send(
          new DeleteObjectsCommand({
            Bucket: this.opts.bucket,
            Delete: { Objects: keys, Quiet: true },
          }),
        );
        if (res.Errors?.length) {
          const first = res.Errors[0]!;
          throw new Error(
            `could not delete ${res.Errors.length} objects under s3://${this.opts.bucket}/${listPrefix}: ${first.Key}: ${first.Message}`,
          );
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (!clean.includes('/')) await rm(join(this.scratchRoot, clean), { recursive: true, force: true });
  }

  async scratchDir(jobId: string): Promise<string> {
    this.locationOf(jobId);
    if (jobId.includes('/')) throw new UsageError(`invalid job id: ${JSON.stringify(jobId)}`);
    const dir = join(this.scratchRoot, jobId);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async outputTempPath(jobId: string, output: string): Promise<string> {
    if (!isS3Uri(output)) return join(dirname(output), `.${basename(output)}.shardcast-${jobId}.tmp`);
    return join(await this.scratchDir(jobId), `output-${basename(parseS3Uri(output).key)}`);
  }

  /** Uploads the temp output to its s3:// location (or moves it, for a local output) and removes the temp. */
  async commitOutput(tempPath: string, output: string): Promise<StoredBlob> {
    if (!isS3Uri(output)) {
      const checksum = await sha256File(tempPath);
      const { size } = await stat(tempPath);
      await mkdir(dirname(output), { recursive: true });
      await moveFile(tempPath, output);
      return { sizeBytes: size, checksum };
    }
    const stored = await this.upload(parseS3Uri(output), tempPath);
    await rm(tempPath, { force: true });
    return stored;
  }

  /** A stored file is uploaded and leaves the scratch folder: a job's segments never pile up there. */
  readonly scratchIsTransient = true;

  /** The scratch folder is local (a Lambda function's /tmp, or this machine's temp dir). */
  diskSpace(folder: string): Promise<{ freeBytes: number; device: number } | undefined> {
    return localDiskSpace(folder);
  }

  async discardLocal(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  async writeScratchFile(jobId: string, name: string, content: string | Uint8Array): Promise<string> {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError(`invalid scratch file name: ${JSON.stringify(name)}`);
    const p = join(await this.scratchDir(jobId), name);
    await writeFile(p, content);
    return p;
  }

  readLocal(path: string): Promise<Buffer> {
    return readFile(path);
  }

  /** One streamed multipart upload (a single PUT for small files), with the sha256 as metadata. */
  private async upload(loc: S3Location, localPath: string): Promise<StoredBlob> {
    const checksum = await sha256File(localPath);
    const { size } = await stat(localPath);
    const upload = new Upload({
      client: this.opts.client,
      params: { Bucket: loc.bucket, Key: loc.key, Body: createReadStream(localPath), Metadata: { [SHA256_METADATA]: checksum } },
      partSize: this.opts.partSizeBytes ?? 16 * 1024 * 1024,
      queueSize: this.opts.queueSize ?? 4,
      leavePartsOnError: false,
    });
    await upload.done();
    return { sizeBytes: size, checksum };
  }

  /** Size and sha256 of the object's bytes as one GET returns them (a verified stat, or an object stored without the metadata). */
  private async readBack(loc: S3Location): Promise<StoredBlob> {
    const res = await this.opts.client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    const h = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of res.Body as Readable) {
      h.update(chunk as Buffer);
      sizeBytes += (chunk as Buffer).length;
    }
    return { sizeBytes, checksum: h.digest('hex') };
  }
}
