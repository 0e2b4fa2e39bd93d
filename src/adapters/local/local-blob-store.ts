/**
 * BlobStore on a local folder (the state dir's `jobs/`, or an EFS mount such as /mnt/data).
 * Keys map to paths under the root; a key can never reach outside it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { BlobStore, StoredBlob } from '../../ports/blob-store.js';
import { localDiskSpace } from './disk-space.js';

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Renames, falling back to copy + rename across file systems. */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = `${to}.${randomBytes(4).toString('hex')}.part`;
    try {
      await copyFile(from, tmp);
      await rename(tmp, to);
    } catch (copyErr) {
      // A disk that filled up mid-copy leaves nothing behind at the destination.
      await rm(tmp, { force: true });
      throw copyErr;
    }
    await unlink(from);
  }
}

export class LocalBlobStore implements BlobStore {
  private readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The absolute path of a key; rejects keys that would leave the root. */
  pathOf(key: string): string {
    if (!key || key.includes('\0') || key.split('/').some((p) => p === '..' || p === '')) {
      throw new UsageError(`invalid blob key: ${JSON.stringify(key)}`);
    }
    const p = resolve(this.root, key);
    if (!p.startsWith(this.root + sep)) throw new UsageError(`invalid blob key: ${JSON.stringify(key)}`);
    return p;
  }

  async readLocation(key: string): Promise<string> {
    return this.pathOf(key);
  }

  async putFile(key: string, localPath: string): Promise<StoredBlob> {
    const dest = this.pathOf(key);
    await mkdir(dirname(dest), { recursive: true });
    const checksum = await sha256File(localPath);
    const { size } = await stat(localPath);
    await moveFile(localPath, dest);
    return { sizeBytes: size, checksum };
  }

  async moveBlob(fromKey: string, toKey: string): Promise<StoredBlob> {
    const from = this.pathOf(fromKey);
    const to = this.pathOf(toKey);
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
    const st = await stat(to);
    return { sizeBytes: st.size, checksum: await sha256File(to) };
  }

  /** The checksum is always computed from the file's bytes, so every stat is a verified one. */
  async stat(key: string): Promise<StoredBlob | undefined> {
    const p = this.pathOf(key);
    try {
      const st = await stat(p);
      if (!st.isFile()) return undefined;
      return { sizeBytes: st.size, checksum: await sha256File(p) };
    } catch {
      return undefined;
    }
  }

  async getFile(key: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    await copyFile(this.pathOf(key), localPath);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const clean = prefix.replace(/\/+$/, '');
    await rm(this.pathOf(clean), { recursive: true, force: true });
  }

  async scratchDir(jobId: string): Promise<string> {
    const dir = join(this.pathOf(jobId), 'scratch');
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async outputTempPath(jobId: string, output: string): Promise<string> {
    // Beside the output, hidden, so the commit is a rename on one file system.
    return join(dirname(output), `.${basename(output)}.shardcast-${jobId}.tmp`);
  }

  async commitOutput(tempPath: string, output: string): Promise<StoredBlob> {
    const checksum = await sha256File(tempPath);
    const { size } = await stat(tempPath);
    // A ladder's files go into folders of the output folder (v720/, a0/).
    await mkdir(dirname(output), { recursive: true });
    await moveFile(tempPath, output);
    return { sizeBytes: size, checksum };
  }

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
}
