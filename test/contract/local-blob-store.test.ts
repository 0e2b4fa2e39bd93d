/** The BlobStore contract against LocalBlobStore on a temp folder. */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBlobStore } from '../../src/adapters/local/local-blob-store.js';
import { runBlobStoreContract } from './blob-store-contract.js';

runBlobStoreContract('LocalBlobStore', async () => {
  const root = await mkdtemp(join(tmpdir(), 'shardcast-local-blobs-'));
  const outputs = join(root, 'outputs');
  await mkdir(outputs);
  const store = new LocalBlobStore(join(root, 'jobs'));
  return {
    store,
    outputFor: (name) => join(outputs, `${randomUUID()}-${name}`),
    readOutput: (output) => readFile(output),
    tamper: async (key, bytes) => writeFile(await store.readLocation(key), bytes),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
