/**
 * BlobStore for `storage=efs`: a job's temp files (segments, audio, scratch, the merged output before its
 * verification) live on the EFS mount (`/mnt/data/<jobId>/...`, the local-disk store on a mount path), and
 * the verified output is committed to its s3:// location through S3BlobStore (or moved, for a path).
 */
import { basename, join } from 'node:path';
import type { BlobStore, StoredBlob } from '../../ports/blob-store.js';
import { LocalBlobStore } from '../local/local-blob-store.js';
import type { S3BlobStore } from './s3-blob-store.js';
import { isS3Uri, parseS3Uri } from './s3-uri.js';

export class EfsBlobStore implements BlobStore {
  private readonly local: LocalBlobStore;

  /** `root`: the mount path (e.g. /mnt/data); `outputs`: commits outputs (its temp prefix is unused). */
  constructor(
    root: string,
    private readonly outputs: S3BlobStore,
  ) {
    this.local = new LocalBlobStore(root);
  }

  readLocation(key: string): Promise<string> {
    return this.local.readLocation(key);
  }

  putFile(key: string, localPath: string): Promise<StoredBlob> {
    return this.local.putFile(key, localPath);
  }

  moveBlob(fromKey: string, toKey: string): Promise<StoredBlob> {
    return this.local.moveBlob(fromKey, toKey);
  }

  stat(key: string): Promise<StoredBlob | undefined> {
    return this.local.stat(key);
  }

  getFile(key: string, localPath: string): Promise<void> {
    return this.local.getFile(key, localPath);
  }

  deletePrefix(prefix: string): Promise<void> {
    return this.local.deletePrefix(prefix);
  }

  scratchDir(jobId: string): Promise<string> {
    return this.local.scratchDir(jobId);
  }

  /** In the job's folder on EFS (an s3:// output has no folder to sit beside). */
  async outputTempPath(jobId: string, output: string): Promise<string> {
    const name = isS3Uri(output) ? basename(parseS3Uri(output).key) : basename(output);
    return join(await this.local.scratchDir(jobId), `output-${name}`);
  }

  commitOutput(tempPath: string, output: string): Promise<StoredBlob> {
    return this.outputs.commitOutput(tempPath, output);
  }

  discardLocal(path: string): Promise<void> {
    return this.local.discardLocal(path);
  }

  writeScratchFile(jobId: string, name: string, content: string | Uint8Array): Promise<string> {
    return this.local.writeScratchFile(jobId, name, content);
  }

  readLocal(path: string): Promise<Buffer> {
    return this.local.readLocal(path);
  }
}
