/**
 * The one place that spawns ffmpeg/ffprobe: argument arrays, no shell. Finds the binaries from
 * FFMPEG_PATH/FFPROBE_PATH, else PATH, else the builds shipped in @ffmpeg-installer/@ffprobe-installer.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { ToolMissingError } from '../../core/errors.js';
import { diesWithParent } from './parent-death.js';
import type { MediaTool, ToolInfo, ToolName, ToolRunOptions, ToolRunResult } from '../../ports/media-tool.js';

const TAIL_BYTES = 8192;
const CLK_TCK = 100;

export interface ToolPaths {
  ffmpeg: { path: string; origin: ToolInfo['origin'] };
  ffprobe: { path: string; origin: ToolInfo['origin'] };
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function fromNpm(pkg: string): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const mod = req(pkg) as { path?: string };
    return mod.path && isExecutable(mod.path) ? mod.path : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves both tools from an environment (pass process.env from the composition root). */
export function resolveToolPaths(env: Record<string, string | undefined>, opts: { preferNpm?: boolean } = {}): ToolPaths {
  const one = (tool: ToolName, envVar: string, pkg: string) => {
    const fromEnv = env[envVar];
    if (fromEnv) {
      if (!isExecutable(fromEnv)) throw new ToolMissingError(`${envVar}=${fromEnv} is not an executable file`);
      return { path: fromEnv, origin: 'env' as const };
    }
    const npm = () => fromNpm(pkg);
    const path = () => onPath(tool, env.PATH);
    const [first, second] = opts.preferNpm ? [npm, path] : [path, npm];
    const a = first();
    if (a) return { path: a, origin: (opts.preferNpm ? 'npm' : 'path') as ToolInfo['origin'] };
    const b = second();
    if (b) return { path: b, origin: (opts.preferNpm ? 'path' : 'npm') as ToolInfo['origin'] };
    throw new ToolMissingError(
      `${tool} not found: install ffmpeg (e.g. apt-get install ffmpeg), set ${envVar}, or run npm ci to get the bundled build`,
    );
  };
  return {
    ffmpeg: one('ffmpeg', 'FFMPEG_PATH', '@ffmpeg-installer/ffmpeg'),
    ffprobe: one('ffprobe', 'FFPROBE_PATH', '@ffprobe-installer/ffprobe'),
  };
}

/** CPU seconds (user + system) of a live process, from /proc; undefined where /proc is not there. */
function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** CPU seconds of this process's reaped children (cutime + cstime); undefined where /proc is not there. */
function reapedChildrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/**
 * Children's CPU is read two ways: sampled from /proc/<pid>/stat while the child runs (misses the last
 * moments, and all of a short run), and as the growth of this process's reaped-children total when it
 * exits (exact, unless two children end at the same instant). The larger wins.
 */
let lastReaped = reapedChildrenCpuSeconds() ?? 0;
function cpuOnExit(sampled: number): number {
  const now = reapedChildrenCpuSeconds();
  if (now === undefined) return sampled;
  const delta = now - lastReaped;
  lastReaped = now;
  return Math.round(Math.max(sampled, delta) * 1000) / 1000;
}

/** Why a run was stopped, as an Error (an AbortSignal's reason may be any value). */
function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === 'string' ? r : 'aborted');
}

export class FfmpegProcess implements MediaTool {
  constructor(private readonly paths: ToolPaths) {}

  private cachedInfo: Promise<ToolInfo[]> | undefined;

  info(): Promise<ToolInfo[]> {
    this.cachedInfo ??= (async () => {
      const out: ToolInfo[] = [];
      for (const tool of ['ffmpeg', 'ffprobe'] as const) {
        const r = await this.run(tool, ['-hide_banner', '-version']);
        const first = r.stdout.split('\n')[0] ?? '';
        const version = /version\s+(\S+)/.exec(first)?.[1] ?? 'unknown';
        const avcodecMajor = Number(/libavcodec\s+(\d+)\./.exec(r.stdout)?.[1] ?? 0);
        out.push({ tool, path: this.paths[tool].path, version, origin: this.paths[tool].origin, avcodecMajor });
      }
      return out;
    })();
    return this.cachedInfo;
  }

  run(tool: ToolName, args: readonly string[], opts: ToolRunOptions = {}): Promise<ToolRunResult> {
    const started = Date.now();
    const maxStdout = opts.maxStdoutBytes ?? 512 * 1024 * 1024;
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(abortReason(opts.signal));
        return;
      }
      const path = this.paths[tool].path;
      // Checked here: through setpriv, a missing binary would be setpriv's exit 127, not a spawn error.
      if (!isExecutable(path)) {
        reject(new ToolMissingError(`cannot run ${tool} (${path}): not an executable file`));
        return;
      }
      // ffmpeg dies with this process (kill -9 included), not only at its next write to a closed pipe.
      const cmd = diesWithParent(path, args);
      const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      let tail = '';
      let partial = '';
      let cpu = 0;
      const sample = () => {
        if (child.pid) cpu = procCpuSeconds(child.pid) ?? cpu;
      };
      const sampler = setInterval(sample, 200);
      const kill = () => child.kill('SIGKILL');
      const onAbort = () => kill();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = opts.timeoutMs ? setTimeout(kill, opts.timeoutMs) : undefined;
      let outPartial = '';
      child.stdout.on('data', (b: Buffer) => {
        if (opts.onStdoutLine) {
          outPartial += b.toString('utf8');
          const lines = outPartial.split('\n');
          outPartial = lines.pop() ?? '';
          for (const l of lines) if (l) opts.onStdoutLine(l);
          return;
        }
        if (stdoutBytes < maxStdout) {
          stdout.push(b);
          stdoutBytes += b.length;
        }
      });
      child.stderr.on('data', (b: Buffer) => {
        sample();
        const s = b.toString('utf8');
        tail = (tail + s).slice(-TAIL_BYTES);
        if (opts.onStderrLine) {
          partial += s;
          const lines = partial.split(/\r|\n/);
          partial = lines.pop() ?? '';
          for (const l of lines) if (l) opts.onStderrLine(l);
        }
      });
      const finish = () => {
        clearInterval(sampler);
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      child.on('error', (err) => {
        finish();
        reject(new ToolMissingError(`cannot run ${tool} (${this.paths[tool].path}): ${err.message}`));
      });
      child.on('exit', () => {
        cpu = cpuOnExit(cpu);
      });
      child.on('close', (code, signal) => {
        finish();
        if (opts.signal?.aborted) {
          reject(abortReason(opts.signal));
          return;
        }
        resolve({
          exitCode: code,
          signal,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderrTail: tail,
          wallMs: Date.now() - started,
          cpuSeconds: cpu,
        });
      });
    });
  }
}
