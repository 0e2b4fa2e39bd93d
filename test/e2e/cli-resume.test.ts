/**
 * Repair: a run killed with `kill -9` of its whole process group (also when the killed process stays an
 * unreaped zombie, as under a container's PID 1), or stopped with Ctrl-C, SIGTERM or SIGHUP, is resumed with
 * `shardcast resume`; only the segments not done are encoded again, and the output is byte for byte the one
 * an uninterrupted run gives.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { BIN, cli, cliDetached, sleep, strayProcesses, sha256Of, undisturbedSha } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';
import { exitOf as exitWithin, spawnGroup } from '../support/processes.js';
import { isLocalWorkerAlive, localWorkerId } from '../../src/runtime/process-identity.js';

const sha = sha256Of;
const OPTS = ['--preset', 'veryfast', '--segment-seconds', '1', '--workers', '2', '--no-progress'];

describe('CLI: resume after a crash or Ctrl-C', () => {
  const t = tempDir('shardcast-resume-');
  const state = join(t.dir, 'state');
  let clip: string;
  let reference: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 12, size: '640x360', gop: 30 });
    reference = undisturbedSha(clip, join(t.dir, 'reference.mp4'), OPTS, state);
  });
  after(t.cleanup);

  /** Starts a transcode in its own process group and waits until some (not all) segments are done. */
  async function startAndWait(out: string, started?: ChildProcess): Promise<{ child: ChildProcess; jobId: string }> {
    const child = started ?? cliDetached(['transcode', clip, out, ...OPTS], { stateDir: state });
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
    return exitWithin(child, 'the transcode');
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
    assert.match(
      racing.stderr,
      new RegExp(
        `^shardcast: error: job ${jobId} is \\w+ in another process \\(.+:${child.pid}\\) that is still running; stop it first`,
        'm',
      ),
    );
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

  it('kill -9 that leaves an unreaped zombie (regression: resume refused 3 of 3 "still running" in a container)', async () => {
    // The transcode's parent is a process that never reaps (`sleep`), as a container's PID 1 may be: killed,
    // the transcode stays a zombie, which kill(pid, 0) counts as alive.
    const out = join(t.dir, 'zombie.mp4');
    const q = (x: string) => `'${x.replace(/'/g, "'\\''")}'`;
    const cmd = [process.execPath, BIN, '--state-dir', state, 'transcode', clip, out, ...OPTS].map(q).join(' ');
    const holder = spawnGroup('sh', ['-c', `${cmd} & echo $!; exec sleep 300`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    holder.stdout!.on('data', (b) => (stdout += b));
    try {
      const { jobId } = await startAndWait(out, holder);
      const pid = Number(stdout.trim().split('\n')[0]);
      assert.ok(pid > 0, `transcode pid from ${stdout}`);
      const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
        .stdout.trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
      process.kill(pid, 'SIGKILL');
      for (const p of children) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // An ffmpeg that ended its segment after ps listed it (seen beside two CPU hogs).
        }
      }
      let state_ = '';
      for (let i = 0; i < 50 && state_ !== 'Z'; i++) {
        await sleep(20);
        state_ = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
          .stdout.trim()
          .slice(0, 1);
      }
      assert.equal(state_, 'Z', 'the killed transcode is a zombie');
      // At once, with the zombie still there.
      const r = cli(['resume', jobId, '--json'], { stateDir: state });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).status, 'done');
      assert.equal(sha(out), reference, 'byte-identical to an uninterrupted run');
    } finally {
      try {
        process.kill(-holder.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });

  it('tells a live lease holder from a dead one: zombie, pid reused by a later process, another host', async () => {
    assert.equal(isLocalWorkerAlive(localWorkerId()), true);
    assert.match(localWorkerId(), new RegExp(`^${hostname()}:${process.pid}/\\d+$`));
    // This pid, but a process that started at another time: the holder is gone and its pid was reused.
    assert.equal(isLocalWorkerAlive(`${hostname()}:${process.pid}/1`), false);
    assert.equal(isLocalWorkerAlive(`${hostname()}:${process.pid}`), true, 'a lease taken before start times were recorded');
    assert.equal(isLocalWorkerAlive('another-host:1'), undefined);
    // A zombie: `sleep 0.1` exits under a parent (`sleep 5`) that never reaps it.
    const z = spawnGroup('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((r) => z.stdout!.once('data', (b) => r(String(b)))));
      await sleep(400);
      assert.equal(
        spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
          .stdout.trim()
          .slice(0, 1),
        'Z',
      );
      assert.doesNotThrow(() => process.kill(pid, 0), 'kill(pid, 0) counts a zombie alive');
      assert.equal(isLocalWorkerAlive(`${hostname()}:${pid}`), false);
    } finally {
      z.kill('SIGKILL');
    }
  });

  it('a runner on another host holds the job while it was heard from; resume --force takes it over and says so', async () => {
    const out = join(t.dir, 'far.mp4');
    const { child, jobId } = await startAndWait(out);
    const exited = exitOf(child);
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    // As if another host had driven the job until a moment ago.
    const db = new Database(join(state, 'ledger.db'));
    db.prepare("UPDATE jobs SET data = json_set(data, '$.runner', 'far-host:4242'), updated_at = ? WHERE id = ?").run(Date.now(), jobId);
    db.close();
    const refused = cli(['resume', jobId], { stateDir: state });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `^shardcast: error: job ${jobId} is encoding in far-host:4242, which this host cannot check, last heard from \\d+ s ago; if it is gone, run \`shardcast resume ${jobId} --force\`$`,
        'm',
      ),
    );
    const r = cli(['resume', jobId, '--force', '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'done');
    assert.equal(sha(out), reference, 'byte-identical to an uninterrupted run');
    const db2 = new Database(join(state, 'ledger.db'), { readonly: true });
    const takeover = db2.prepare("SELECT message FROM events WHERE job_id = ? AND type = 'job.takeover'").all(jobId) as Array<{
      message: string;
    }>;
    db2.close();
    assert.equal(takeover.length, 1, 'one takeover event');
    assert.match(takeover[0]!.message, /^resume: taken over with --force from far-host:4242, which this host cannot check/);
  });

  for (const phase of ['merging', 'verifying'] as const) {
    it(`kill -9 while ${phase === 'merging' ? 'the segments are merged' : 'the output is verified and renamed into place'}, then resume: identical output`, async () => {
      const out = join(t.dir, `killed-${phase}.mp4`);
      const child = cliDetached(['transcode', clip, out, ...OPTS], { stateDir: state });
      let stderr = '';
      child.stderr!.on('data', (b) => (stderr += b));
      const exited = exitOf(child);
      // Read the ledger directly, every 2 ms: the phase lasts a fraction of a second.
      const db = new Database(join(state, 'ledger.db'), { readonly: true, timeout: 5000 });
      let jobId: string | undefined;
      let seen: string | undefined;
      try {
        for (const deadline = Date.now() + 120_000; Date.now() < deadline && !seen;) {
          jobId ??= /job ([a-z0-9]+):/.exec(stderr)?.[1];
          const row = jobId ? (db.prepare('SELECT status FROM jobs WHERE id = ?').get(jobId) as { status: string } | undefined) : undefined;
          if (row?.status === phase) {
            process.kill(-child.pid!, 'SIGKILL');
            seen = row.status;
          } else if (row?.status === 'done') break;
          else await sleep(2);
        }
      } finally {
        db.close();
      }
      await exited;
      assert.equal(seen, phase, `killed while ${phase} (${stderr})`);
      const st = JSON.parse(cli(['status', jobId!, '--json'], { stateDir: state }).stdout);
      assert.equal(st.status, phase, 'the kill left the job where it was');
      const r = cli(['resume', jobId!, '--json'], { stateDir: state });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).status, 'done');
      assert.equal(sha(out), reference, 'byte-identical to an uninterrupted run');
      assert.deepEqual(
        readdirSync(t.dir).filter((f) => f.includes('.shardcast-')),
        [],
        'no merge temp left beside the output',
      );
    });
  }

  for (const [signal, expected] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} (${signal === 'SIGINT' ? 'Ctrl-C' : signal === 'SIGTERM' ? 'docker stop, systemd' : 'a closed terminal'}) stops every ffmpeg, exits ${expected} naming the resume command, resume completes it`, async () => {
      const out = join(t.dir, `stopped-${signal}.mp4`);
      const { child, jobId } = await startAndWait(out);
      let stderr = '';
      child.stderr!.on('data', (b) => (stderr += b));
      const exited = exitOf(child);
      process.kill(-child.pid!, signal);
      const { code } = await exited;
      assert.equal(code, expected, stderr);
      assert.match(stderr, new RegExp(`shardcast: interrupted: stopped; run \`shardcast resume ${jobId}\` to continue`));
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
  }
});
