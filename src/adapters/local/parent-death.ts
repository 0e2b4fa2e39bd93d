/**
 * A child that dies with its parent, whatever the machine's load: on Linux, ffmpeg is started through
 * util-linux's `setpriv --pdeathsig SIGKILL`, which sets the kernel's parent-death signal and then execs the
 * tool in place (same pid). When the process that spawned it ends for any reason, `kill -9` included, the
 * kernel sends the child SIGKILL at once. Without it, a child learnt of its parent's death only by SIGPIPE the
 * next time it wrote to its output pipe, which under load could be seconds later, or never for a quiet child.
 *
 * Where setpriv is missing (macOS, a slim image without util-linux) the tool is spawned directly, as before.
 * The one window left: the parent dying between the fork and setpriv's prctl (microseconds).
 */
import { accessSync, constants } from 'node:fs';

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];

let cached: string | null | undefined;

function setprivPath(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.platform !== 'linux') return cached;
  for (const p of SETPRIV_PATHS) {
    try {
      accessSync(p, constants.X_OK);
      cached = p;
      break;
    } catch {
      // not here
    }
  }
  return cached;
}

/** The command and arguments that run `file args` so that it is killed when this process ends. */
export function diesWithParent(file: string, args: readonly string[]): { file: string; args: string[] } {
  const setpriv = setprivPath();
  if (!setpriv) return { file, args: [...args] };
  return { file: setpriv, args: ['--pdeathsig', 'SIGKILL', '--', file, ...args] };
}
