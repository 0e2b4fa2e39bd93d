/**
 * The one way the use-cases run ffmpeg and the one shape of its failure: `WHAT: ffmpeg exited with CODE: the
 * line of its stderr that says why (core/errors.ts ffmpegErrorLine)`, an FfmpegError carrying the exit code, the signal, the stderr tail and the task.
 */
import { FfmpegError, ffmpegErrorLine } from '../core/errors.js';
import type { ToolRunOptions, ToolRunResult } from '../ports/media-tool.js';
import type { AppDeps } from './deps.js';

/** Throws the FfmpegError of a run that did not exit 0; returns the run otherwise. */
export function checkFfmpeg(r: ToolRunResult, what: string, taskKey?: string): ToolRunResult {
  if (r.exitCode === 0) return r;
  throw new FfmpegError(`${what}: ffmpeg exited with ${r.exitCode ?? r.signal}: ${ffmpegErrorLine(r.stderrTail)}`, {
    tool: 'ffmpeg',
    exitCode: r.exitCode,
    signal: r.signal,
    stderrTail: r.stderrTail,
    ...(taskKey ? { taskKey } : {}),
  });
}

/** Runs ffmpeg with `args`; a run that does not exit 0 is checkFfmpeg's error, named by `what`. */
export async function runFfmpeg(
  deps: Pick<AppDeps, 'media'>,
  what: string,
  args: readonly string[],
  opts: ToolRunOptions = {},
  taskKey?: string,
): Promise<ToolRunResult> {
  return checkFfmpeg(await deps.media.run('ffmpeg', args, opts), what, taskKey);
}
