/**
 * A full disk, for real: the state dir and the output folder on small tmpfs mounts (this runs as root, as CI
 * does). Before any encode, a job that does not fit is refused with the folder and the space it needs; a disk
 * that fills while a segment, the merge or the ledger is written fails the job in one line, leaves nothing at
 * the output path, and once space is freed `resume` finishes byte-identical to a run that had room.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, cliDetached, sleep, sha256Of, undisturbedSha } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';
import { exitOf } from '../support/processes.js';

const sha = sha256Of;
// --accept-cut-cost: the plan must not depend on whether the cut-cost check could write its sample.
const OPTS = ['--preset', 'veryfast', '--segment-seconds', '1', '--accept-cut-cost', '--workers', '2', '--no-progress'];

function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount tmpfs on ${dir} (needs root): ${r.stderr}`);
}

function resize(dir: string, size: string): void {
  const r = spawnSync('mount', ['-o', `remount,size=${size}`, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Fills the file system of `dir` with a ballast file until `leaveBytes` or less are free. */
function fill(dir: string, leaveBytes: number): string {
  const path = join(dir, 'ballast');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (;;) {
      const st = statfsSync(dir);
      const free = st.bavail * st.bsize;
      if (free <= leaveBytes) break;
      writeSync(fd, chunk, 0, Math.min(chunk.length, Math.max(st.bsize, free - leaveBytes)));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('a full disk', () => {
  const t = tempDir('shardcast-diskfull-');
  const mounts: string[] = [];
  let clip: string;
  let reference: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 8, size: '640x360', gop: 25 });
    reference = undisturbedSha(clip, join(t.dir, 'reference.mp4'), OPTS, join(t.dir, 'ref-state'));
  });
  after(() => {
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    t.cleanup();
  });

  function mounted(name: string, size: string): string {
    const dir = join(t.dir, name);
    mountTmpfs(dir, size);
    mounts.push(dir);
    return dir;
  }

  /** Starts a transcode and waits until `segments` segments are done; returns its job id and exit. */
  async function startAndWait(state: string, out: string, segments: number) {
    const child = cliDetached(['transcode', clip, out, ...OPTS], { stateDir: state });
    let stderr = '';
    child.stderr!.on('data', (b) => (stderr += b));
    const exit = exitOf(child, 'shardcast transcode', 240_000, () => stderr).then(({ code }) => code);
    const deadline = Date.now() + 120_000;
    for (;;) {
      assert.ok(Date.now() < deadline, `no progress: ${stderr}`);
      await sleep(100);
      const id = /job ([a-z0-9]+):/.exec(stderr)?.[1];
      if (!id) continue;
      const view = JSON.parse(cli(['status', id, '--json'], { stateDir: state }).stdout);
      if ((view.segmentsDone ?? 0) >= segments) return { id, exit, stderr: () => stderr };
    }
  }

  /** The one error line the CLI printed (asserted to be one). */
  function oneErrorLine(stderr: string): string {
    const lines = stderr.split('\n').filter((l) => l.startsWith('shardcast: '));
    assert.equal(lines.length, 1, stderr);
    return lines[0]!;
  }

  /** `resume` finishes the job with the reference's bytes. */
  function resumesIdentical(state: string, id: string, out: string): void {
    const r = cli(['resume', id], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(sha(out), reference);
  }

  it('refuses a job that does not fit before encoding, naming the folder and the space; resume once there is room', () => {
    const state = mounted('small-state', '1m');
    const out = join(t.dir, 'refused.mp4');
    const r = cli(['transcode', clip, out, ...OPTS], { stateDir: state });
    assert.equal(r.status, 1, r.stderr);
    const line = oneErrorLine(r.stderr);
    assert.match(
      line,
      new RegExp(
        `^shardcast: error: not enough space in ${state}/jobs/[a-z0-9]+/scratch: [\\d.]+ [KM]?B free, the job needs about [\\d.]+ MB there \\(segments and audio\\); free space \\(or use a --state-dir on a larger disk\\), then run \`shardcast resume [a-z0-9]+\`$`,
      ),
    );
    assert.equal(existsSync(out), false);
    const id = /resume ([a-z0-9]+)`/.exec(line)![1]!;
    const view = JSON.parse(cli(['status', id, '--json'], { stateDir: state }).stdout);
    assert.equal(view.segmentsDone, 0, 'nothing was encoded');
    resize(state, '64m');
    resumesIdentical(state, id, out);
  });

  it('a disk that fills while segments are written: the job fails in one line, resume finishes it identical', async () => {
    const state = mounted('state', '64m');
    const out = join(t.dir, 'segments.mp4');
    const run = await startAndWait(state, out, 2);
    // Room for the ledger's small writes, not for a segment (though the other worker's segment may take it
    // first: then the ledger write that found the disk full is the one reported).
    const ballast = fill(state, 96 * 1024);
    const code = await run.exit;
    assert.equal(code, 1, run.stderr());
    const line = oneErrorLine(run.stderr());
    assert.match(
      line,
      new RegExp(
        `^shardcast: error: (segment \\d+|the audio track) failed after 1 attempts: (no space left in ${state}/jobs/${run.id}/scratch writing .* \\([\\d.]+ [KM]?B free; the job needs about [\\d.]+ MB there\\); free space \\(or use a --state-dir on a larger disk\\)|the ledger ${state}/ledger.db cannot be written: no space left in ${state}; free space there, then run the command again)( \\(and \\d+ more\\))?; fix the cause, then run \`shardcast retry ${run.id}\`$`,
      ),
    );
    assert.equal(existsSync(out), false, 'nothing at the output path');
    rmSync(ballast);
    resumesIdentical(state, run.id, out);
  });

  it('an output folder that fills before the merge: nothing partial there, resume finishes it identical', async () => {
    const state = join(t.dir, 'merge-state');
    const outDir = mounted('out', '32m');
    const out = join(outDir, 'merged.mp4');
    const run = await startAndWait(state, out, 1);
    const ballast = fill(outDir, 64 * 1024);
    const code = await run.exit;
    assert.equal(code, 1, run.stderr());
    const line = oneErrorLine(run.stderr());
    assert.match(
      line,
      new RegExp(
        `^shardcast: error: no space left in ${outDir} writing the merged output \\([\\d.]+ [KM]?B free; the job needs about [\\d.]+ MB there\\); free space \\(or use a --state-dir on a larger disk\\), then run \`shardcast resume ${run.id}\`$`,
      ),
    );
    assert.deepEqual(readdirSync(outDir).sort(), ['ballast'], 'no output and no merge temp left');
    rmSync(ballast);
    resumesIdentical(state, run.id, out);
  });

  it('a state dir filled to the last byte (the ledger too): one line, no output, resume finishes it identical', async () => {
    const state = mounted('full-state', '64m');
    const out = join(t.dir, 'ledger.mp4');
    const run = await startAndWait(state, out, 2);
    const ballast = fill(state, 0);
    const code = await run.exit;
    assert.notEqual(code, 0, run.stderr());
    const line = oneErrorLine(run.stderr());
    assert.match(line, /^shardcast: error: .*no space left in /);
    assert.equal(existsSync(out), false);
    rmSync(ballast);
    resumesIdentical(state, run.id, out);
  });
});
