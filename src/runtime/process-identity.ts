/**
 * This process as a worker and lease holder, the same in every home: its id (`host:pid/start`), whether a
 * worker of this host is still alive, and new job ids.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const HOST = hostname();

export function newJobId(): string {
  return randomBytes(8).toString('hex').slice(0, 12);
}

/**
 * The job id of something that starts jobs by itself (a watched file, an uploaded object): the same parts give
 * the same id, so a second sight of the same file or object finds its job instead of making another. 16 hex
 * digits (a random id has 12).
 */
export function jobIdFor(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
}

/**
 * A process as /proc tells it: its state letter (Z = zombie, X = dead) and its start time (clock ticks after
 * boot, fixed for the life of the process). `null`: no such process; undefined: no /proc here (not Linux).
 */
function procStat(pid: number): { state: string; start: string } | null | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: the fields that follow are counted from its end.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, start: rest[19]! };
  } catch {
    return existsSync('/proc/self/stat') ? null : undefined;
  }
}

/**
 * This process as a lease holder: `host:pid/start`, the start time telling this process from a later one that
 * reuses its pid (`host:pid` where there is no /proc).
 */
export function localWorkerId(): string {
  const start = procStat(process.pid)?.start;
  return `${HOST}:${process.pid}${start ? `/${start}` : ''}`;
}

/**
 * Whether a worker of this host still runs: its process exists, is not a zombie (a `kill -9`ed process whose
 * parent has not reaped it yet, as under a container's PID 1: `kill(pid, 0)` counts it alive) and started when
 * the holder did. Undefined for workers of other hosts: only their heartbeats tell.
 */
export function isLocalWorkerAlive(workerId: string): boolean | undefined {
  const m = /^(.*):(\d+)(?:\/(\d+))?$/.exec(workerId);
  if (!m || m[1] !== HOST) return undefined;
  const pid = Number(m[2]);
  const stat = procStat(pid);
  if (stat === null) return false;
  if (stat) return stat.state !== 'Z' && stat.state !== 'X' && (m[3] === undefined || m[3] === stat.start);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
