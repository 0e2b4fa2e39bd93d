/**
 * Runs ffmpeg or ffprobe with an argument array (never a shell). The only implementation that spawns
 * processes is `adapters/local/ffmpeg-process.ts`.
 */
export type ToolName = 'ffmpeg' | 'ffprobe';

export interface ToolRunOptions {
  signal?: AbortSignal;
  /** Called with each stderr line as it arrives (progress parsing). */
  onStderrLine?: (line: string) => void;
  /** Called with each stdout line as it arrives (`-progress pipe:1` output). */
  onStdoutLine?: (line: string) => void;
  /** Keep at most this many bytes of stdout (default 512 MiB). */
  maxStdoutBytes?: number;
  /** Kill the process after this long. */
  timeoutMs?: number;
}

export interface ToolRunResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  /** The last lines of stderr (at most ~8 KiB). */
  stderrTail: string;
  wallMs: number;
  /** User + system CPU seconds of the process. */
  cpuSeconds: number;
}

export interface ToolInfo {
  tool: ToolName;
  path: string;
  version: string;
  /** Where the binary came from: env variable, PATH or the npm-shipped build. */
  origin: 'env' | 'path' | 'npm';
  /** Major version of its libavcodec (59 = ffmpeg 5.x); 0 when unknown. Argument builders adapt to it. */
  avcodecMajor: number;
}

export interface MediaTool {
  run(tool: ToolName, args: readonly string[], opts?: ToolRunOptions): Promise<ToolRunResult>;
  /** Which binaries are used, with their versions (cached after the first call). */
  info(): Promise<ToolInfo[]>;
}
