/**
 * The cluster's store: where segments go between the workers and the coordinator. A folder every node mounts at
 * the same path (NFS, SMB: keys are files under it, like EFS) or an S3-compatible bucket (`s3://bucket/prefix`,
 * path-style, `--s3-endpoint`). A folder holds a small marker with a random id, so a node that mounts another folder
 * at that path is told apart (`doctor`, and its workers refuse the tasks).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { makeS3Client } from '../../adapters/aws/aws-clients.js';
import { S3BlobStore } from '../../adapters/aws/s3-blob-store.js';
import { uploadFile } from '../../adapters/aws/s3-transfer.js';
import { isS3Uri, parseS3Uri } from '../../adapters/aws/s3-uri.js';
import { LocalBlobStore } from '../../adapters/local/local-blob-store.js';
import { UsageError } from '../../core/errors.js';
import type { BlobStore } from '../../ports/blob-store.js';

const MARKER = '.shardcast-store';

export type StoreSpec = { kind: 'folder'; root: string } | { kind: 's3'; bucket: string; prefix: string; endpoint?: string };

export function parseStore(location: string | undefined, s3Endpoint: string | undefined): StoreSpec {
  if (!location) throw new UsageError('the cluster needs --store: a folder every node mounts at the same path, or s3://bucket/prefix');
  if (isS3Uri(location)) {
    const { bucket, key } = parseS3Uri(location);
    const prefix = key && !key.endsWith('/') ? `${key}/` : key;
    if (s3Endpoint !== undefined && !/^https?:\/\//.test(s3Endpoint))
      throw new UsageError(`--s3-endpoint must be an http(s) URL, got ${JSON.stringify(s3Endpoint)}`);
    return { kind: 's3', bucket, prefix, ...(s3Endpoint ? { endpoint: s3Endpoint } : {}) };
  }
  if (s3Endpoint) throw new UsageError('--s3-endpoint goes with an s3:// --store');
  if (!isAbsolute(location))
    throw new UsageError(`--store must be an absolute path (the same on every node), got ${JSON.stringify(location)}`);
  return { kind: 'folder', root: resolve(location) };
}

/** The store as given on the command line, for the events and `resume`. */
export function storeLocation(spec: StoreSpec): string {
  return spec.kind === 'folder' ? spec.root : `s3://${spec.bucket}/${spec.prefix}`;
}

/** What names the store's queues: its location and, for S3, its endpoint (the same bucket name elsewhere differs). */
export function storeQueueKey(spec: StoreSpec): string {
  return spec.kind === 's3' && spec.endpoint ? `${storeLocation(spec)} ${spec.endpoint}` : storeLocation(spec);
}

export interface ClusterStore {
  spec: StoreSpec;
  blobs: BlobStore;
  /** A location ffmpeg on this node can read a job's source from (no `this`: passed on as a function). */
  readableSource: (source: string) => Promise<string>;
  sourceSize: (source: string) => Promise<number | undefined>;
  /**
   * Where the workers read a job's source: a file already in the store folder as it is; else a copy in the
   * job's folder of the store (removed with the job).
   */
  placeSource(jobId: string, localPath: string): Promise<string>;
  /**
   * A shared folder's id (its marker's), made when `create` and it is missing; undefined: no marker, or a bucket
   * (which its endpoint and name already tell apart).
   */
  storeId(create: boolean): Promise<string | undefined>;
  /** Writes, reads back and removes a probe object: throws in one line when the store cannot be used. */
  probe(): Promise<void>;
}

function s3Client(spec: Extract<StoreSpec, { kind: 's3' }>, env: NodeJS.ProcessEnv): S3Client {
  return makeS3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
    forcePathStyle: true,
  });
}

export function openClusterStore(spec: StoreSpec, env: NodeJS.ProcessEnv, scratchRoot = join(tmpdir(), 'shardcast-cluster')): ClusterStore {
  if (spec.kind === 'folder') {
    const blobs = new LocalBlobStore(spec.root);
    const marker = join(spec.root, MARKER);
    return {
      spec,
      blobs,
      readableSource: async (source) => source,
      sourceSize: async (source) => (await stat(source).catch(() => undefined))?.size,
      async placeSource(jobId, localPath) {
        const rel = relative(spec.root, localPath);
        if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return localPath;
        const dest = blobs.pathOf(`${jobId}/source${safeExt(localPath)}`);
        await mkdir(join(dest, '..'), { recursive: true });
        await copyFile(localPath, dest);
        return dest;
      },
      async storeId(create) {
        const id = (await readFile(marker, 'utf8').catch(() => '')).trim();
        if (id || !create) return id || undefined;
        const fresh = randomBytes(8).toString('hex');
        await writeFile(marker, `${fresh}\n`, { flag: 'wx' }).catch(() => undefined);
        return (await readFile(marker, 'utf8')).trim();
      },
      async probe() {
        const st = await stat(spec.root).catch(() => undefined);
        if (!st?.isDirectory())
          throw new UsageError(`the store folder ${spec.root} does not exist on this node (mount it at the same path on every node)`);
        const p = join(spec.root, `.probe-${randomBytes(4).toString('hex')}`);
        try {
          await writeFile(p, 'shardcast');
          if ((await readFile(p, 'utf8')) !== 'shardcast') throw new Error('read back other bytes');
        } catch (err) {
          throw new UsageError(`the store folder ${spec.root} is not writable here: ${(err as Error).message}`);
        } finally {
          await rm(p, { force: true });
        }
      },
    };
  }
  const client = s3Client(spec, env);
  const blobs = new S3BlobStore({ client, bucket: spec.bucket, prefix: spec.prefix, scratchRoot });
  const where = `s3://${spec.bucket}/${spec.prefix}${spec.endpoint ? ` at ${spec.endpoint}` : ''}`;
  return {
    spec,
    blobs,
    async readableSource(source) {
      if (!isS3Uri(source)) return source;
      const { bucket, key } = parseS3Uri(source);
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 6 * 3600 });
    },
    async sourceSize(source) {
      if (!isS3Uri(source)) return (await stat(source).catch(() => undefined))?.size;
      const { bucket, key } = parseS3Uri(source);
      return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined))?.ContentLength;
    },
    async placeSource(jobId, localPath) {
      const uri = `s3://${spec.bucket}/${spec.prefix}${jobId}/source${safeExt(localPath)}`;
      await uploadFile(client, localPath, uri);
      return uri;
    },
    // A bucket is named by its endpoint and name, which name the queues too: no marker to compare.
    storeId: async () => undefined,
    async probe() {
      const key = `${spec.prefix}.probe-${randomBytes(4).toString('hex')}`;
      try {
        await client.send(new PutObjectCommand({ Bucket: spec.bucket, Key: key, Body: 'shardcast' }));
        const res = await client.send(new GetObjectCommand({ Bucket: spec.bucket, Key: key }));
        if ((await res.Body?.transformToString()) !== 'shardcast') throw new Error('read back other bytes');
      } catch (err) {
        throw new UsageError(`the store ${where} cannot be used: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await client.send(new DeleteObjectCommand({ Bucket: spec.bucket, Key: key })).catch(() => undefined);
      }
    },
  };
}

/** The source's extension if it is a plain one (ffprobe's format guess can use it), else none. */
function safeExt(path: string): string {
  const ext = extname(path).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '';
}
