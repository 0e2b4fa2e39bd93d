/**
 * Repair: a run killed with `kill -9` of its whole process group, or stopped with Ctrl-C (SIGINT), is
 * resumed with `shardcast resume`; only the segments not done are encoded again, and the output is byte
 * for byte the one an uninterrupted run gives.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cli, cliDetached, sleep, strayProcesses } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const OPTS = ['--preset', 'veryfast', '--segment-seconds', '1', '--workers', '2', '--no-progress'];

describe('CLI: resume after a crash or Ctrl-C', () => {
  const t = tempDir('shardcast-resume-');
  const state = join(t.dir, 'state');
  let clip: string;
  let reference: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 12, size: '640x360', gop: 30 });
    const out = join(t.dir, 'reference.mp4');
    const r = cli(['transcode', clip, out, ...OPTS], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    reference = sha(out);
  });
  after(t.cleanup);

  /** Starts a transcode in its own process group and waits until some (not all) segments are done. */
  async function startAndWait(out: string): Promise<{ child: ChildProcess; jobId: string }> {
    const child = cliDetached(['transcode', clip, out, ...OPTS], { stateDir: state });
    let stderr = '';
    child.stderr!.on('data', (b) => (stderr += b));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await sleep(150);
      const jobId = /job ([a-z0-9]+):/.exec(stderr)?.[1];
      if (!jobId) continue;
      const r = cli(['jobs', '--json'], { stateDir: state });
      assert.equal(r.status, 0, r.stderr);
      const job = (JSON.parse(r.stdout) as any[]).find((j) => j.id === jobId);
      assert.ok(job, 'the running job is listed');
      assert.equal(typeof job.segmentsDone, 'number');
      if (job.segmentsTotal > 0 && job.segmentsDone >= 2) {
        assert.ok(job.segmentsDone < job.segmentsTotal, 'interrupted before the end');
        return { child, jobId };
      }
    }
    throw new Error(`no progress: ${stderr}`);
  }

  function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
    return new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  }

  function doneTasks(jobId: string): Map<string, number> {
    const r = cli(['status', jobId, '--json'], { stateDir: state });
    const view = JSON.parse(r.stdout);
    return new Map((view.segments as any[]).filter((s) => s.status === 'done').map((s) => [s.key, s.finishedAt]));
  }

  it('kill -9 of the process group, then resume: only unfinished segments re-encoded, identical output', async () => {
    const out = join(t.dir, 'killed.mp4');
    const { child, jobId } = await startAndWait(out);
    // While the first process lives, a resume from another one is refused (the job-level lease).
    const racing = cli(['resume', jobId], { stateDir: state });
    assert.equal(racing.status, 2, racing.stderr);
    assert.match(racing.stderr, new RegExp(`^shardcast: error: job ${jobId} is \\w+ in another process \\(.+:${child.pid}\\) that is still running; stop it first`, 'm'));
    const exited = exitOf(child);
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    await sleep(200);
    assert.deepEqual(strayProcesses(t.dir), [], 'no ffmpeg left running');
    assert.equal(existsSync(out), false, 'no partial output');
    const before = doneTasks(jobId);
    assert.ok(before.size >= 2);

    const r = cli(['resume', jobId, '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.status, 'done');
    for (const s of view.segments as any[]) {
      if (before.has(s.key)) {
        assert.equal(s.finishedAt, before.get(s.key), `${s.key} was done before the crash and was not redone`);
        assert.equal(s.attempts, 1);
      }
    }
    assert.equal(sha(out), reference, 'byte-identical to an uninterrupted run');
  });

  it('Ctrl-C (SIGINT) stops every ffmpeg, leaves the job resumable, resume completes it', async () => {
    const out = join(t.dir, 'interrupted.mp4');
    const { child, jobId } = await startAndWait(out);
    const exited = exitOf(child);
    process.kill(-child.pid!, 'SIGINT');
    const { code } = await exited;
    assert.equal(code, 130);
    await sleep(200);
    assert.deepEqual(strayProcesses(t.dir), [], 'no ffmpeg left running');
    assert.equal(existsSync(out), false, 'no partial output');
    const st = JSON.parse(cli(['status', jobId, '--json'], { stateDir: state }).stdout);
    assert.equal(st.status, 'cancelled');
    assert.equal((st.segments as any[]).filter((s) => s.status === 'running').length, 0, 'no task left running');

    const r = cli(['resume', jobId, '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'done');
    assert.equal(sha(out), reference, 'byte-identical to an uninterrupted run');
  });
});
