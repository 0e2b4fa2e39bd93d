/**
 * Where a job's files come from and go to, checked before anything is created; and where a home keeps its
 * state. Shared by every entry point (CLI, HTTP API, library API).
 */
import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isS3Uri, parseS3Uri } from '../adapters/aws/s3-uri.js';
import { InputError } from '../core/errors.js';
import { isLadderOutput } from '../core/ladder.js';

/** The state dir: the flag, else env SHARDCAST_HOME, else ~/.shardcast. */
export function stateDirOf(flags: { stateDir?: string | undefined }, env: NodeJS.ProcessEnv): string {
  return resolve(flags.stateDir ?? env.SHARDCAST_HOME ?? join(homedir(), '.shardcast'));
}

/** Checks a local input and output path before anything is created. */
export function checkPaths(input: string, output: string, overwrite: boolean): { source: string; output: string } {
  const source = resolve(input);
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new InputError(`input not found: ${input}`);
  }
  if (st.isDirectory()) throw new InputError(`input is a directory, not a video file: ${input}`);
  if (!st.isFile()) throw new InputError(`input is not a regular file: ${input}`);
  if (st.size === 0) throw new InputError(`input is an empty file: ${input}`);
  const out = resolve(output);
  ensureLadderFolder(out);
  let dirSt;
  try {
    dirSt = statSync(dirname(out));
  } catch {
    throw new InputError(`output folder does not exist: ${dirname(out)}`);
  }
  if (!dirSt.isDirectory()) throw new InputError(`output folder is not a folder: ${dirname(out)}`);
  let outSt;
  try {
    outSt = statSync(out);
  } catch {
    outSt = undefined;
  }
  if (outSt?.isDirectory()) throw new InputError(`output is a directory: ${output}`);
  if (outSt && realpathSync(out) === realpathSync(source))
    throw new InputError('output path is the input file; choose another output path');
  if (outSt && !overwrite) throw new InputError(`output exists: ${output} (pass --overwrite to replace it)`);
  return { source, output: out };
}

/**
 * A ladder (DIR/master.m3u8) is written into its own folder: made here when it does not exist yet (its parent
 * must), so that a new folder per ladder needs no mkdir first.
 */
function ensureLadderFolder(out: string): void {
  if (!isLadderOutput(out) || statSync(dirname(out), { throwIfNoEntry: false })) return;
  if (!statSync(dirname(dirname(out)), { throwIfNoEntry: false })?.isDirectory())
    throw new InputError(`output folder does not exist: ${dirname(dirname(out))}`);
  mkdirSync(dirname(out));
}

/** Checks an input and output that may each be local or s3://; an s3:// location is checked by its backend. */
export function checkLocations(input: string, output: string, overwrite: boolean): { source: string; output: string } {
  const localIn = !isS3Uri(input);
  const localOut = !isS3Uri(output);
  if (isS3Uri(input)) parseS3Uri(input);
  if (isS3Uri(output)) parseS3Uri(output);
  if (localIn && localOut) return checkPaths(input, output, overwrite);
  if (localIn) {
    const st = statSync(resolve(input), { throwIfNoEntry: false });
    if (!st?.isFile() || st.size === 0) throw new InputError(`input not found or not a non-empty file: ${input}`);
  }
  if (localOut) {
    const out = resolve(output);
    ensureLadderFolder(out);
    if (!statSync(dirname(out), { throwIfNoEntry: false })?.isDirectory())
      throw new InputError(`output folder does not exist: ${dirname(out)}`);
    if (statSync(out, { throwIfNoEntry: false }) && !overwrite)
      throw new InputError(`output exists: ${output} (pass --overwrite to replace it)`);
  }
  return { source: localIn ? resolve(input) : input, output: localOut ? resolve(output) : output };
}
