/**
 * An ffmpeg started by shardcast dies with the process that started it, also when that process is killed with
 * `kill -9` and ffmpeg writes nothing (so no SIGPIPE would ever reach it): the kernel's parent-death signal,
 * set through setpriv. Without it, this ffmpeg ran on for its whole 60 s input.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { childPids, exited, isAlive, spawnGroup } from '../support/processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ffmpeg dies with its parent', { skip: process.platform !== 'linux' ? 'parent-death signals are Linux only' : false }, () => {
  it("a silent ffmpeg is gone within 1 s of its parent's kill -9", async (t) => {
    const moduleUrl = new URL('../../src/adapters/local/ffmpeg-process.ts', import.meta.url).href;
    // Real time, no stats, no log: ffmpeg writes nothing to its pipes for the 60 s it runs.
    const script = `
      const { FfmpegProcess, resolveToolPaths } = await import(${JSON.stringify(moduleUrl)});
      const tool = new FfmpegProcess(resolveToolPaths(process.env));
      const run = tool.run('ffmpeg', ['-nostdin', '-v', 'quiet', '-nostats', '-re', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=5:duration=60', '-f', 'null', '-']);
      process.stdout.write('started\\n');
      await run;`;
    const parent = spawnGroup(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      parent.stdout!.once('data', () => resolve());
      parent.once('exit', (code) => reject(new Error(`the parent exited with ${code} before starting ffmpeg`)));
    });
    let ffmpegs: number[] = [];
    for (let i = 0; i < 100 && !ffmpegs.length; i++) {
      ffmpegs = childPids(parent.pid!, 'ffmpeg'); // (tsx has an esbuild child too)
      if (!ffmpegs.length) await sleep(20);
    }
    assert.equal(ffmpegs.length, 1, 'the parent runs one ffmpeg');
    await sleep(300);
    assert.ok(isAlive(ffmpegs[0]!), 'ffmpeg runs');
    parent.kill('SIGKILL');
    await exited(parent);
    const killed = Date.now();
    while (isAlive(ffmpegs[0]!) && Date.now() - killed < 1000) await sleep(10);
    t.diagnostic(`ffmpeg gone ${Date.now() - killed} ms after its parent's kill -9`);
    assert.equal(isAlive(ffmpegs[0]!), false, `ffmpeg ${ffmpegs[0]} still runs ${Date.now() - killed} ms after its parent was killed`);
  });
});
