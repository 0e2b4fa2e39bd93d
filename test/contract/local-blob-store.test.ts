/** The BlobStore contract against LocalBlobStore on a temp folder. */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBlobStore } from '../../src/adapters/local/local-blob-store.js';
import { runBlobStoreContract } from './blob-store-contract.js';

runBlobStoreContract('LocalBlobStore', async () => {
  const root = await mkdtemp(join(tmpdir(), 'shardcast-local-blobs-'));
  const outputs = join(root, 'outputs');
  await mkdir(outputs);
  return {
    store: new LocalBlobStore(join(root, 'jobs')),
    outputFor: (name) => join(outputs, `${randomUUID()}-${name}`),
    readOutput: (output) => readFile(output),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
