/**
 * The BlobStore contract: port behaviour every adapter must show (LocalBlobStore, S3BlobStore).
 * Usage: `runBlobStoreContract('S3BlobStore', async () => ({ store, outputFor, readOutput, cleanup }))`.
 * `makeStore` is called before each test and `cleanup` after it. Tests use unique job ids, so a store may be
 * shared between tests. `outputFor(name)` names a final output location the store can commit to (a local path,
 * an s3:// URI) and `readOutput` reads it back.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import type { BlobStore } from '../../src/ports/blob-store.js';

export interface BlobStoreFixture {
  store: BlobStore;
  /** A final output location named `name` (a fresh one per test). */
  outputFor(name: string): string;
  readOutput(output: string): Promise<Buffer>;
  /**
   * Replaces a stored blob's bytes behind the store's back, keeping whatever it recorded at upload (its S3
   * metadata): bytes that went wrong in transit or at rest.
   */
  tamper(key: string, bytes: Buffer): Promise<void>;
  cleanup(): Promise<void>;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Reads bytes [start, end] (inclusive) of a read location: a local path, or an http(s) URL with a Range request. */
export async function readRange(location: string, start: number, end: number): Promise<Buffer> {
  if (/^https?:\/\//.test(location)) {
    const res = await fetch(location, { headers: { Range: `bytes=${start}-${end}` } });
    assert.equal(res.status, 206, `ranged GET answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  const fh = await open(location, 'r');
  try {
    const buf = Buffer.alloc(end - start + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function runBlobStoreContract(name: string, makeStore: () => Promise<BlobStoreFixture>): void {
  describe(name, () => {
    let f: BlobStoreFixture;
    let work: string;
    let jobId: string;
    beforeEach(async () => {
      f = await makeStore();
      work = await mkdtemp(join(tmpdir(), 'shardcast-blob-contract-'));
      jobId = `job-${randomUUID()}`;
    });
    afterEach(async () => {
      await f.cleanup();
      await rm(work, { recursive: true, force: true });
    });

    async function localFile(name: string, bytes: Buffer): Promise<string> {
      const p = join(work, name);
      await writeFile(p, bytes);
      return p;
    }

    it('putFile stores a file, returns its size and sha256, and removes the local file', async () => {
      const bytes = randomBytes(70_000);
      const path = await localFile('seg.mkv', bytes);
      const stored = await f.store.putFile(`${jobId}/v00000.mkv`, path);
      assert.deepEqual(stored, { sizeBytes: bytes.length, checksum: sha256(bytes) });
      assert.ok(!existsSync(path), 'the local file is gone');
      assert.deepEqual(await f.store.stat(`${jobId}/v00000.mkv`), stored);
    });

    it('stores a file larger than one multipart part byte for byte', async () => {
      const bytes = randomBytes(11 * 1024 * 1024 + 123);
      const stored = await f.store.putFile(`${jobId}/big.mkv`, await localFile('big.mkv', bytes));
      assert.equal(stored.checksum, sha256(bytes));
      const back = join(work, 'back', 'big.mkv');
      await f.store.getFile(`${jobId}/big.mkv`, back);
      assert.equal(sha256(await readFile(back)), sha256(bytes));
    });

    it('stat of an absent key is undefined', async () => {
      assert.equal(await f.store.stat(`${jobId}/nothing.mkv`), undefined);
    });

    it('putFile over an existing key replaces it (a retried segment)', async () => {
      await f.store.putFile(`${jobId}/v00001.mkv`, await localFile('a', Buffer.from('first attempt')));
      const second = Buffer.from('second attempt, longer');
      const stored = await f.store.putFile(`${jobId}/v00001.mkv`, await localFile('b', second));
      assert.deepEqual(await f.store.stat(`${jobId}/v00001.mkv`), stored);
      await f.store.getFile(`${jobId}/v00001.mkv`, join(work, 'out'));
      assert.deepEqual(await readFile(join(work, 'out')), second);
    });

    it("moveBlob moves an attempt's file to the task's key, replacing what is there, with its size and sha256", async () => {
      await f.store.putFile(`${jobId}/v00002.mkv`, await localFile('old', Buffer.from('an earlier attempt')));
      const bytes = randomBytes(40_000);
      const stored = await f.store.putFile(`${jobId}/attempts/v00002.3ab.mkv`, await localFile('new', bytes));
      const moved = await f.store.moveBlob(`${jobId}/attempts/v00002.3ab.mkv`, `${jobId}/v00002.mkv`);
      assert.deepEqual(moved, stored);
      assert.deepEqual(await f.store.stat(`${jobId}/v00002.mkv`), stored);
      assert.equal(await f.store.stat(`${jobId}/attempts/v00002.3ab.mkv`), undefined, "the attempt's key is gone");
      await assert.rejects(f.store.moveBlob(`${jobId}/attempts/none.mkv`, `${jobId}/v00009.mkv`));
    });

    it('moveBlob and a verified stat give the sha256 of the bytes stored, not the one recorded at upload', async () => {
      const bytes = randomBytes(30_000);
      const stored = await f.store.putFile(`${jobId}/attempts/v00004.9cd.mkv`, await localFile('att', bytes));
      assert.equal(stored.checksum, sha256(bytes));
      const damaged = Buffer.from(bytes);
      damaged[12_345] = damaged[12_345]! ^ 0xff;
      await f.tamper(`${jobId}/attempts/v00004.9cd.mkv`, damaged);
      assert.deepEqual(await f.store.stat(`${jobId}/attempts/v00004.9cd.mkv`, { verify: true }), {
        sizeBytes: bytes.length,
        checksum: sha256(damaged),
      });
      const moved = await f.store.moveBlob(`${jobId}/attempts/v00004.9cd.mkv`, `${jobId}/v00004.mkv`);
      assert.deepEqual(moved, { sizeBytes: bytes.length, checksum: sha256(damaged) });
      assert.deepEqual(await f.store.stat(`${jobId}/v00004.mkv`, { verify: true }), moved);
      assert.equal(await f.store.stat(`${jobId}/nothing.mkv`, { verify: true }), undefined);
    });

    it('readLocation gives a location readable by byte range (ffmpeg seeks in it)', async () => {
      const bytes = randomBytes(50_000);
      await f.store.putFile(`${jobId}/src.mov`, await localFile('src.mov', bytes));
      const location = await f.store.readLocation(`${jobId}/src.mov`);
      assert.deepEqual(await readRange(location, 1_000, 1_099), bytes.subarray(1_000, 1_100));
      assert.deepEqual(await readRange(location, 49_990, 49_999), bytes.subarray(49_990));
    });

    it("deletePrefix removes the job's blobs and nothing else", async () => {
      const other = `${jobId}-other`;
      for (const key of [`${jobId}/v00000.mkv`, `${jobId}/v00001.mkv`, `${jobId}/a00000.mka`, `${other}/v00000.mkv`]) {
        await f.store.putFile(key, await localFile(randomUUID(), randomBytes(100)));
      }
      await f.store.deletePrefix(`${jobId}/`);
      for (const key of [`${jobId}/v00000.mkv`, `${jobId}/v00001.mkv`, `${jobId}/a00000.mka`]) {
        assert.equal(await f.store.stat(key), undefined, `${key} deleted`);
      }
      assert.ok(await f.store.stat(`${other}/v00000.mkv`), 'a job whose id starts the same is kept');
      await f.store.deletePrefix(jobId);
      await f.store.deletePrefix(`${jobId}-never-existed/`);
      await f.store.deletePrefix(`${other}/`);
    });

    it('rejects keys that could leave the store', async () => {
      const path = await localFile('x', Buffer.from('x'));
      for (const key of ['../escape.mkv', `${jobId}/../../escape.mkv`, '', `${jobId}//v.mkv`, '/abs.mkv']) {
        await assert.rejects(f.store.putFile(key, path), UsageError, `key ${JSON.stringify(key)}`);
        await assert.rejects(f.store.stat(key), UsageError, `stat ${JSON.stringify(key)}`);
      }
      assert.ok(existsSync(path), 'a refused put leaves the local file');
    });

    it('scratchDir is a local folder per job; writeScratchFile writes into it', async () => {
      const dir = await f.store.scratchDir(jobId);
      assert.ok((await stat(dir)).isDirectory());
      assert.equal(await f.store.scratchDir(jobId), dir, 'the same folder each time');
      assert.notEqual(await f.store.scratchDir(`${jobId}-b`), dir);
      const p = await f.store.writeScratchFile(jobId, 'concat.txt', "file 'v00000.mkv'\n");
      assert.equal(await readFile(p, 'utf8'), "file 'v00000.mkv'\n");
      assert.ok(p.startsWith(dir));
      await assert.rejects(f.store.writeScratchFile(jobId, '../evil.txt', 'x'), UsageError);
      const bin = await f.store.writeScratchFile(jobId, 'seg.m4s', Uint8Array.from([0, 1, 254, 255]));
      assert.deepEqual([...(await f.store.readLocal(bin))], [0, 1, 254, 255]);
      await f.store.deletePrefix(`${jobId}-b/`);
    });

    it('commitOutput moves the verified temp output to its final location and reports it', async () => {
      const output = f.outputFor('final.mp4');
      const temp = await f.store.outputTempPath(jobId, output);
      const bytes = randomBytes(30_000);
      await writeFile(temp, bytes);
      const stored = await f.store.commitOutput(temp, output);
      assert.deepEqual(stored, { sizeBytes: bytes.length, checksum: sha256(bytes) });
      assert.ok(!existsSync(temp), 'the temp output is gone');
      assert.deepEqual(await f.readOutput(output), bytes);
    });

    it('discardLocal removes a temp file and ignores a missing one', async () => {
      const temp = await f.store.outputTempPath(jobId, f.outputFor('bad.mp4'));
      await writeFile(temp, 'failed verification');
      await f.store.discardLocal(temp);
      assert.ok(!existsSync(temp));
      await f.store.discardLocal(temp);
    });
  });
}
