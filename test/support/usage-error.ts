/**
 * The bad-input check shared by test/e2e/cli-bad-input.test.ts and test/corpus/bad-input-corpus.test.ts: the CLI
 * exits with `status` (2 by default) and one line on stderr matching `message`, no stack trace, and no ffmpeg
 * left running whose command line names `dir`.
 */
import assert from 'node:assert/strict';
import { cli, strayProcesses, type CliResult } from './cli.js';

export function usageErrorCheck(dir: string, stateDir: string): (args: string[], message: RegExp, status?: number) => CliResult {
  return (args, message, status = 2) => {
    const r = cli(args, { stateDir });
    assert.equal(r.status, status, `exit status; stderr: ${r.stderr}`);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('job '));
    assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
    assert.match(lines[0]!, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(strayProcesses(dir), [], 'no ffmpeg left running');
    return r;
  };
}
