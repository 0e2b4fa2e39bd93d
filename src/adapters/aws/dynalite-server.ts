/**
 * dynalite (a DynamoDB emulator) in this process on 127.0.0.1 and a free port, in memory or kept in a LevelDB
 * folder (so the aws-emulated backend's jobs outlive one command). A LevelDB folder can be open in one process
 * only (a second opener crashes inside dynalite), so the opener writes `<folder>.lock` with its pid and
 * endpoint; another command that finds a live holder talks to the holder's server instead of opening the
 * folder (so `status` works while a transcode runs).
 */
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import dynalite from 'dynalite';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ledgerCreateTableInput } from './ledger-table.js';

export interface DynaliteServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** True when another process's server is used (stop does nothing then). */
  shared: boolean;
  stop(): Promise<void>;
}

interface LockInfo {
  pid: number;
  endpoint: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(lockPath: string): Promise<LockInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(lockPath, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && typeof info.endpoint === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the folder's lock, or returns the live holder's endpoint. */
async function lockOrShare(lockPath: string): Promise<{ sharedEndpoint?: string }> {
  for (let tries = 0; tries < 20; tries++) {
    try {
      await writeFile(lockPath, JSON.stringify({ pid: process.pid, endpoint: '' }), { flag: 'wx' });
      return {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readLock(lockPath);
    if (holder && isAlive(holder.pid)) {
      if (holder.endpoint) return { sharedEndpoint: holder.endpoint };
      await new Promise((r) => setTimeout(r, 100)); // the holder is starting its server
      continue;
    }
    await unlink(lockPath).catch(() => undefined); // left by a dead process
  }
  throw new Error(`cannot take ${lockPath}: another process keeps it`);
}

/** Credentials and region the emulators are signed with (any value works; these are fixed). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const EMULATOR_REGION = 'us-east-1';

export async function startDynalite(opts: { path?: string } = {}): Promise<DynaliteServer> {
  const lockPath = opts.path ? `${opts.path.replace(/\/+$/, '')}.lock` : undefined;
  if (opts.path && lockPath) {
    await mkdir(opts.path, { recursive: true });
    const { sharedEndpoint } = await lockOrShare(lockPath);
    if (sharedEndpoint) return { endpoint: sharedEndpoint, shared: true, stop: async () => undefined };
  }
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.path ? { path: opts.path } : {}) });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    if (lockPath) await unlink(lockPath).catch(() => undefined);
    throw err;
  }
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (lockPath) await writeFile(lockPath, JSON.stringify({ pid: process.pid, endpoint } satisfies LockInfo));
  return {
    endpoint,
    shared: false,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (lockPath) await unlink(lockPath).catch(() => undefined);
    },
  };
}

/** Creates the ledger table (the CDK table's definition) unless it exists. */
export async function ensureLedgerTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
  try {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
      return;
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    }
    await client.send(new CreateTableCommand(ledgerCreateTableInput(tableName)));
  } finally {
    client.destroy();
  }
}
