/**
 * A cluster on loopback for tests: a redis-server of its own (persistence off, noeviction) and `shardcast worker`
 * processes started from the built CLI, as a user starts them on each node.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN } from './cli.js';
import { REPO } from './media.js';
import { exited, killGroup, spawnGroup } from './processes.js';

export interface RedisProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills it (nothing is persisted) and starts a fresh, empty one on the same port. */
  restart(): Promise<void>;
  /** Kills it (SIGKILL): Redis is gone until start(). */
  kill(): Promise<void>;
  /** Starts a fresh, empty one on the same port. */
  start(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawnGroup(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise<ChildProcess>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
}

export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  let child = await spawnRedis(port);
  const kill = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  const start = async () => {
    child = await spawnRedis(port);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    async restart() {
      await kill();
      await start();
    },
    kill,
    start,
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  log(): string;
  /** Resolves when the log holds `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startWorker(opts: {
  redis: string;
  store: string;
  s3Endpoint?: string;
  concurrency?: number;
  lockSeconds?: number;
  args?: string[];
  env?: Record<string, string>;
}): Promise<WorkerProcess> {
  const args = [
    BIN,
    'worker',
    '--redis',
    opts.redis,
    '--store',
    opts.store,
    '--concurrency',
    String(opts.concurrency ?? 1),
    '--lock-seconds',
    String(opts.lockSeconds ?? 2),
  ];
  if (opts.s3Endpoint) args.push('--s3-endpoint', opts.s3Endpoint);
  args.push(...(opts.args ?? []));
  const child = spawnGroup(process.execPath, args, { cwd: REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const waiters: Array<() => void> = [];
  const onData = (d: string) => {
    log += d;
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const done = exited(child);
  const waitFor = (text: string | RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (typeof text === 'string' ? log.includes(text) : text.test(log)) {
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`worker ${child.pid} did not log ${String(text)} in ${timeoutMs} ms; its log:\n${log}`));
      }, timeoutMs);
      waiters.push(check);
      check();
    });
  const w: WorkerProcess = {
    child,
    pid: child.pid!,
    log: () => log,
    waitFor,
    exited: done,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await done;
      // Whatever it left in its group (an ffmpeg) goes with it.
      killGroup(child.pid);
    },
  };
  await Promise.race([
    waitFor(/worker \S+: \d+ at once/),
    done.then(() => {
      throw new Error(`worker exited at start: ${log}`);
    }),
  ]);
  return w;
}
