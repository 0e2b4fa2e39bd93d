/**
 * How the user started this command, so that every hint names a command they can type: `shardcast` when the
 * one on PATH is this one, `npx shardcast` under npx (a checkout after `npm ci`, where nothing is on PATH), else
 * `node <path>` as it was run. Ledger texts say `shardcast ...`; the CLI rewrites them as they are printed.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';

export interface Invocation {
  /** What to type to run this command again, e.g. `npx shardcast`. */
  name: string;
  /** Whether `shardcast` on PATH is this command. */
  onPath: boolean;
}

function realpathOr(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** The `shardcast` found first on PATH, resolved through links; undefined when there is none. */
function shardcastOnPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'shardcast');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    return realpathOr(candidate);
  }
  return undefined;
}

export function invocationOf(env: NodeJS.ProcessEnv, script: string | undefined, cwd: string): Invocation {
  const self = script ? realpathOr(script) : undefined;
  const onPath = self !== undefined && shardcastOnPath(env) === self;
  // npx runs the package's bin with npm_command=exec (npm 7 and later), from node_modules/.bin on its own PATH.
  if (env.npm_command === 'exec') return { name: 'npx shardcast', onPath: false };
  if (onPath || !script) return { name: 'shardcast', onPath };
  const rel = relative(cwd, script);
  return { name: `node ${rel.startsWith('..') || rel === '' ? script : rel}`, onPath: false };
}

let current: Invocation | undefined;

export function invocation(): Invocation {
  current ??= invocationOf(process.env, process.argv[1], process.cwd());
  return current;
}

/** Rewrites the commands quoted in `text` (`` `shardcast resume ID` ``) as this user runs the tool. */
export function asInvoked(text: string, name = invocation().name): string {
  if (name === 'shardcast') return text;
  return text.replace(/`shardcast(?=[ `])/g, `\`${name}`);
}

/** For help and first-run output where the command is not on PATH: how to put it there. */
export function pathHint(inv: Invocation = invocation()): string | undefined {
  if (inv.onPath) return undefined;
  return `shardcast is not on your PATH: run \`npm link\` in the checkout (or \`npm install -g\` the package) to type \`shardcast ...\` instead of \`${inv.name} ...\``;
}
