/**
 * Every process a test starts runs in a process group of its own, and every group is killed (SIGKILL) when the
 * test file's process ends, whether its tests passed, failed or timed out: no redis-server, worker, coordinator,
 * s3rver or ffmpeg outlives the file that started it. A helper that stops its process earlier kills its group too.
 * Should the test process itself be killed outright (no exit handler runs), each child it started directly gets
 * SIGKILL from the kernel (parent-death signal), and their ffmpeg the same way.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after } from 'node:test';
import { diesWithParent } from '../../src/adapters/local/parent-death.js';

const groups = new Set<number>();

/** Kills one process group (the child's pid is its id); nothing happens when it is gone already. */
export function killGroup(pgid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone
  }
}

export function killAllGroups(): void {
  for (const g of groups) killGroup(g);
  groups.clear();
}

process.on('exit', killAllGroups);
// Under the test runner, also once the file's tests are over: a child still running would hold the pipes that
// keep this process alive, and the file would never end. (Not in a bench that imports the helpers.)
if (process.env.NODE_TEST_CONTEXT) after(killAllGroups);
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(s, () => {
    killAllGroups();
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[s]);
  });
}

/**
 * spawn() in a new process group, killed with this process at the latest: its group when this process exits, and
 * the child itself by the kernel's parent-death signal when this process is killed outright.
 */
export function spawnGroup(file: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const cmd = diesWithParent(file, args);
  const child = spawn(cmd.file, cmd.args, { ...opts, detached: true });
  if (child.pid) groups.add(child.pid);
  return child;
}

/** Resolves with the exit code (null when a signal ended it) once the process has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/**
 * Resolves with how the process ended; rejects after `timeoutMs` with `what` it was waiting for and the output
 * `output()` gives, killing its group, so a test never waits for ever on a process that does not end.
 */
export function exitOf(
  child: ChildProcess,
  what: string,
  timeoutMs = 240_000,
  output: () => string = () => '',
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (pid ${child.pid}) to exit; its output:\n${output()}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Alive: the process exists and is not a zombie (a process killed with -9 can stay one for a moment). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids of a process's children, or of those running the command `comm` only (e.g. 'ffmpeg'). */
export function childPids(pid: number, comm?: string): number[] {
  const r = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([p, c]) => Number(p) > 0 && (comm === undefined || c === comm))
    .map(([p]) => Number(p));
}
