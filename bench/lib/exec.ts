/**
 * Runs one command under GNU time and reports wall time, CPU seconds and how busy the rest of the machine was.
 *
 * CPU seconds come from `/usr/bin/time -f '%U %S'`: the rusage of the waited-for child, which includes every
 * descendant it reaped (node's ffmpeg children, ffmpeg's threads). Wall time is measured here with
 * `performance.now()` around the spawn. "Other load" is the machine's busy CPU time from /proc/stat during the
 * run minus the command's own CPU time, divided by the wall time: about how many cores something else was using.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface TimedRun {
  wallSeconds: number;
  cpuSeconds: number;
  /** Cores' worth of CPU used by other processes on the machine during the run (from /proc/stat). */
  otherLoadCores: number;
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Busy CPU seconds of the whole machine since boot (all cores): user+nice+system+irq+softirq+steal. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('cpu '));
  if (!line) return NaN;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ is 100 on Linux
}

export async function runTimed(cmd: string, args: string[], opts: { tmpDir: string; env?: NodeJS.ProcessEnv }): Promise<TimedRun> {
  const timeFile = join(opts.tmpDir, `time-${process.pid}-${Date.now()}.txt`);
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, cmd, ...args], {
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exitCode = await new Promise<number>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res(code ?? 1));
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const busy1 = machineBusySeconds();
  let cpuSeconds = NaN;
  try {
    const text = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
    const [u, s] = text.split(/\s+/).map(Number);
    if (u !== undefined && s !== undefined) cpuSeconds = u + s;
  } catch {
    // GNU time writes nothing when the command could not start; leave NaN.
  }
  rmSync(timeFile, { force: true });
  const otherLoadCores = Math.max(0, (busy1 - busy0 - cpuSeconds) / wallSeconds);
  return { wallSeconds, cpuSeconds, otherLoadCores, stdout, stderr, exitCode };
}

/** Runs a short helper command (generation, probing, PSNR) and returns its output; throws on failure. */
export async function runChecked(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number>((res, rej) => {
    child.on('error', rej);
    child.on('close', (c) => res(c ?? 1));
  });
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`);
  return { stdout, stderr };
}
