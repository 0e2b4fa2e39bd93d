/**
 * Runs the built CLI (bin/shardcast.js -> dist/) as a user would, in its own state dir: with `shardcast` on PATH
 * (a link to it, as `npm link` makes), so its hints name `shardcast ...` as they do for such a user
 * (src/cli/invocation.ts; test/unit/invocation.test.ts holds the other ways of running it).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { REPO } from './media.js';
import { killGroup, spawnGroup } from './processes.js';
import { diesWithParent } from '../../src/adapters/local/parent-death.js';

export const BIN = join(REPO, 'bin', 'shardcast.js');

const linked = mkdtempSync(join(tmpdir(), 'shardcast-bin-'));
symlinkSync(BIN, join(linked, 'shardcast'));
process.env.PATH = `${linked}${delimiter}${process.env.PATH ?? ''}`;
process.on('exit', () => rmSync(linked, { recursive: true, force: true }));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { stateDir: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number }): CliResult {
  // Killed with this process whatever ends it (its ffmpeg then dies with it the same way).
  const cmd = diesWithParent(process.execPath, [BIN, '--state-dir', opts.stateDir, ...args]);
  const r = spawnSync(cmd.file, cmd.args, {
    encoding: 'utf8',
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** cli() without blocking this process (for tests that serve the CLI from here: fake endpoints on 127.0.0.1). */
export function cliAsync(
  args: string[],
  opts: { stateDir: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnGroup(process.execPath, [BIN, '--state-dir', opts.stateDir, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => killGroup(child.pid), opts.timeoutMs ?? 240_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      killGroup(child.pid);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Starts the CLI in its own process group (so the test can kill the whole group; killed at the latest when the test file ends). */
export function cliDetached(args: string[], opts: { stateDir: string; env?: Record<string, string> }): ChildProcess {
  return spawnGroup(process.execPath, [BIN, '--state-dir', opts.stateDir, ...args], {
    cwd: REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** ffmpeg/ffprobe processes whose command line mentions `needle` (e.g. a test's temp dir). */
export function strayProcesses(needle: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => /ff(mpeg|probe)/.test(l) && l.includes(needle));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** sha256 of a file, hex (outputs compared byte for byte). */
export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Transcodes `source` to `output` in a run nobody disturbs and returns the output's sha256: the reference. */
export function undisturbedSha(source: string, output: string, args: string[], stateDir: string): string {
  const r = cli(['transcode', source, output, ...args], { stateDir });
  if (r.status !== 0) throw new Error(`the reference run failed: ${r.stderr}`);
  return sha256Of(output);
}
