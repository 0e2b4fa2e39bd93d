/**
 * A MediaTool that replays real ffmpeg/ffprobe runs recorded once, keyed by their arguments: the fast tier's
 * stand-in for ffmpeg. Each recorded run keeps what the process returned (exit code, stdout, the stderr tail,
 * CPU seconds) and the bytes of every file it wrote under the test's folder; a replay writes those files again
 * and returns the same result, in microseconds. Paths under the test's folder are recorded as `<ROOT>/...`, so
 * a replay in another temp folder finds the same keys. A part of the arguments that differs from run to run (a
 * cluster attempt's random tag) is named by a pattern and recorded as `<V>`; a replay puts this run's back.
 *
 * Recording: `SHARDCAST_RECORD_MEDIA=1 node --import tsx --test test/fast/<file>` runs the real tools (one at a
 * time, so each run's files are its own) and rewrites the fixture. A replay that meets arguments it has no
 * recording for fails naming them: the use-cases changed the command, and the fixture must be recorded again.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FfmpegProcess, resolveToolPaths } from '../../src/adapters/local/ffmpeg-process.js';
import type { MediaTool, ToolInfo, ToolName, ToolRunOptions, ToolRunResult } from '../../src/ports/media-tool.js';

interface RecordedRun {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderrTail: string;
  cpuSeconds: number;
  /** Files the run wrote: `<ROOT>/...` path -> the sha256 of its bytes (in `blobs`). */
  files: Record<string, string>;
}

export interface MediaRecording {
  /** What the recording was made with (ffmpeg's version line). */
  recordedWith: string;
  info: ToolInfo[];
  /** Extra facts a test recorded beside the runs (the source's size). */
  facts: Record<string, number>;
  /** `tool args...` (normalized) -> its runs, in order (a command run twice may answer twice). */
  runs: Record<string, RecordedRun[]>;
  /** sha256 -> base64 bytes: each file written once, however many runs wrote it. */
  blobs: Record<string, string>;
}

export const RECORDING = process.env.SHARDCAST_RECORD_MEDIA === '1';

function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const st = statSync(p);
        out.set(p, `${st.size}:${st.mtimeMs}`);
      }
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

export class RecordedMedia implements MediaTool {
  private readonly recording: MediaRecording;
  private readonly real: MediaTool | undefined;
  /** How many times each key was replayed. */
  private readonly used = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Every run asked for, as `tool args...` (normalized), in order. */
  readonly calls: string[] = [];

  /**
   * `fixture`: the recording's file (JSON); `root`: the test's folder (every path the use-cases pass under it);
   * `skip`: folders under root whose files are not recorded (the generated source); `volatile`: a pattern whose
   * first group is a part of the arguments that differs from run to run.
   */
  constructor(
    private readonly fixture: string,
    private readonly root: string,
    private readonly skip: string[] = [],
    private readonly volatile?: RegExp,
  ) {
    if (RECORDING) {
      this.real = new FfmpegProcess(resolveToolPaths(process.env));
      this.recording = { recordedWith: '', info: [], facts: {}, runs: {}, blobs: {} };
    } else {
      if (!existsSync(fixture)) throw new Error(`no recording ${fixture}: run the test with SHARDCAST_RECORD_MEDIA=1 once`);
      this.recording = JSON.parse(readFileSync(fixture, 'utf8')) as MediaRecording;
    }
  }

  private norm(s: string): string {
    const rooted = s.split(this.root).join('<ROOT>');
    if (!this.volatile) return rooted;
    return rooted.replace(new RegExp(this.volatile.source, 'g'), (m, part: string) => m.replace(part, '<V>'));
  }

  /** `v`: this run's volatile part (what `<V>` stands for). */
  private denorm(s: string, v = '<V>'): string {
    return s.split('<ROOT>').join(this.root).split('<V>').join(v);
  }

  /** This run's volatile part, from its arguments. */
  private volatileOf(args: readonly string[]): string | undefined {
    if (!this.volatile) return undefined;
    for (const a of args) {
      const m = this.volatile.exec(a);
      if (m?.[1]) return m[1];
    }
    return undefined;
  }

  /** A fact recorded beside the runs (recording: `value` is stored; replay: the stored one is returned). */
  fact(name: string, value?: () => number): number {
    if (RECORDING) this.recording.facts[name] = value!();
    const v = this.recording.facts[name];
    if (v === undefined) throw new Error(`the recording ${this.fixture} has no fact ${name}`);
    return v;
  }

  async info(): Promise<ToolInfo[]> {
    if (this.real && !this.recording.info.length) {
      this.recording.info = await this.real.info();
      this.recording.recordedWith = this.recording.info.find((t) => t.tool === 'ffmpeg')?.version ?? '';
    }
    return this.recording.info;
  }

  run(tool: ToolName, args: readonly string[], opts: ToolRunOptions = {}): Promise<ToolRunResult> {
    const key = [tool, ...args.map((a) => this.norm(a))].join(' ');
    this.calls.push(key);
    if (this.real) {
      // One at a time: the files that changed during a run are that run's.
      const next = this.queue.then(() => this.record(key, tool, args, opts));
      this.queue = next.catch(() => undefined);
      return next;
    }
    return Promise.resolve(this.replay(key, opts, this.volatileOf(args)));
  }

  private async record(key: string, tool: ToolName, args: readonly string[], opts: ToolRunOptions): Promise<ToolRunResult> {
    const before = snapshot(this.root);
    const r = await this.real!.run(tool, args, opts);
    const files: Record<string, string> = {};
    for (const [p, stamp] of snapshot(this.root)) {
      if (before.get(p) === stamp || this.skip.some((s) => p.startsWith(s))) continue;
      const bytes = readFileSync(p);
      const sha = createHash('sha256').update(bytes).digest('hex');
      this.recording.blobs[sha] ??= bytes.toString('base64');
      files[this.norm(p)] = sha;
    }
    const run: RecordedRun = {
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: this.norm(r.stdout),
      stderrTail: this.norm(r.stderrTail),
      cpuSeconds: r.cpuSeconds,
      files,
    };
    (this.recording.runs[key] ??= []).push(run);
    return r;
  }

  private replay(key: string, opts: ToolRunOptions, v?: string): ToolRunResult {
    const runs = this.recording.runs[key];
    if (!runs?.length) throw new Error(`no recorded run of: ${key.slice(0, 400)} (record ${this.fixture} again)`);
    const n = this.used.get(key) ?? 0;
    this.used.set(key, n + 1);
    const run = runs[Math.min(n, runs.length - 1)]!;
    for (const [p, sha] of Object.entries(run.files)) {
      const path = this.denorm(p, v);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, Buffer.from(this.recording.blobs[sha]!, 'base64'));
    }
    const stdout = this.denorm(run.stdout, v);
    if (opts.onStdoutLine) for (const line of stdout.split('\n')) if (line) opts.onStdoutLine(line);
    const stderrTail = this.denorm(run.stderrTail, v);
    if (opts.onStderrLine) for (const line of stderrTail.split('\n')) if (line) opts.onStderrLine(line);
    return { exitCode: run.exitCode, signal: run.signal, stdout, stderrTail, wallMs: 0, cpuSeconds: run.cpuSeconds };
  }

  /** Recording: writes the fixture (call once every run is over). Replay: nothing. */
  save(): void {
    if (!RECORDING) return;
    mkdirSync(dirname(this.fixture), { recursive: true });
    writeFileSync(this.fixture, `${JSON.stringify(this.recording, null, 1)}\n`);
  }
}
