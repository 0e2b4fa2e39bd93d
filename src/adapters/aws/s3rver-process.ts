/**
 * Starts s3rver (an S3 emulator) in a child node process on 127.0.0.1 and a free port, for the tests and for
 * `--backend aws-emulated`. Out of process because s3rver must never share an event loop that its caller blocks
 * (sync I/O, CPU-bound work) and because its paged listing needs `--openssl-legacy-provider`, which the child
 * gets and the caller does not. Its objects live in a folder: a temp one removed on stop, or one given (kept).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface S3rverProcess {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stop(): Promise<void>;
}

/** Credentials s3rver accepts; any client talking to it must sign with these. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const CHILD = `
import S3rver from 's3rver';
const [directory, buckets] = [process.argv[1], JSON.parse(process.argv[2])];
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory,
  configureBuckets: buckets.map((name) => ({ name })) });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\\n');
const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('disconnect', stop);
`;

/** The package root (same depth in src/ and dist/), where `s3rver` resolves from. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface S3rverOptions {
  /** Keep the objects in this folder (created if missing, kept on stop); default a temp folder. */
  directory?: string;
  timeoutMs?: number;
}

export async function startS3rver(buckets: string[] = [], opts: S3rverOptions = {}): Promise<S3rverProcess> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const keep = opts.directory !== undefined;
  const directory = opts.directory ?? (await mkdtemp(join(tmpdir(), 'shardcast-s3rver-')));
  if (keep) await mkdir(directory, { recursive: true });
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, directory, JSON.stringify(buckets)], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}: ${stderr}`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    if (!keep) await rm(directory, { recursive: true, force: true });
    throw err;
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
      if (!keep) await rm(directory, { recursive: true, force: true });
    },
  };
}
