/**
 * Damaged state: a ledger file truncated or overwritten, a done segment's file deleted or changed, a job
 * folder removed by hand. Each gives a clear one-line error or a re-encode of what is missing, never a crash
 * or a wrong output: resumed jobs come out byte-identical to an undisturbed run.
 */
import assert from 'node:assert/strict';
import { openSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cli, cliDetached, sleep, sha256Of, undisturbedSha } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';
import { exitOf } from '../support/processes.js';

const sha = sha256Of;
const OPTS = ['--preset', 'veryfast', '--segment-seconds', '1', '--workers', '2', '--no-progress'];

describe('damaged state', () => {
  const t = tempDir('shardcast-damaged-');
  let clip: string;
  let reference: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 8, size: '640x360', gop: 25 });
    reference = undisturbedSha(clip, join(t.dir, 'reference.mp4'), OPTS, join(t.dir, 'ref-state'));
  });
  after(t.cleanup);

  /** A job stopped with Ctrl-C after `n` segments are done: its id and the keys of its done segments. */
  async function stoppedJob(state: string, out: string, n = 2): Promise<{ id: string; done: string[] }> {
    const child = cliDetached(['transcode', clip, out, ...OPTS], { stateDir: state });
    let stderr = '';
    child.stderr!.on('data', (b) => (stderr += b));
    const exit = exitOf(child, 'shardcast transcode', 240_000, () => stderr);
    for (const deadline = Date.now() + 120_000; ;) {
      assert.ok(Date.now() < deadline, stderr);
      await sleep(100);
      const id = /job ([a-z0-9]+):/.exec(stderr)?.[1];
      if (!id) continue;
      const view = JSON.parse(cli(['status', id, '--json'], { stateDir: state }).stdout);
      if ((view.segmentsDone ?? 0) < n) continue;
      process.kill(-child.pid!, 'SIGINT');
      await exit;
      const after = JSON.parse(cli(['status', id, '--json'], { stateDir: state }).stdout);
      return { id, done: (after.segments as any[]).filter((s) => s.kind === 'video' && s.status === 'done').map((s) => s.key) };
    }
  }

  function events(state: string, id: string, type: string): string[] {
    const db = new Database(join(state, 'ledger.db'), { readonly: true });
    try {
      return (
        db.prepare('SELECT message FROM events WHERE job_id = ? AND type = ? ORDER BY seq').all(id, type) as Array<{ message: string }>
      ).map((e) => e.message);
    } finally {
      db.close();
    }
  }

  for (const [name, damage] of [
    ['truncated', (p: string) => truncateSync(p, 5000)],
    ['overwritten with other bytes', (p: string) => writeFileSync(p, Buffer.alloc(8192, 0x5a))],
  ] as const) {
    it(`a ledger file ${name}: one line naming it and what to do, for every command`, () => {
      const state = join(t.dir, `ledger-${name.split(' ')[0]}`);
      const r0 = cli(['transcode', clip, join(t.dir, `l-${name.length}.mp4`), ...OPTS], { stateDir: state });
      assert.equal(r0.status, 0, r0.stderr);
      const db = join(state, 'ledger.db');
      for (const f of ['-wal', '-shm']) rmSync(`${db}${f}`, { force: true });
      damage(db);
      for (const args of [['jobs'], ['status', 'abcdef123456'], ['transcode', clip, join(t.dir, 'never.mp4'), ...OPTS]]) {
        const r = cli(args, { stateDir: state });
        assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`^shardcast: error: the ledger ${db} is damaged \\(.+\\); move it aside to start a new one`));
      }
      renameSync(db, `${db}.damaged`);
      assert.equal(cli(['jobs'], { stateDir: state }).status, 0);
    });
  }

  for (const [name, damage] of [
    [
      'a done segment file deleted',
      (state: string, job: { id: string; done: string[] }) => rmSync(join(state, 'jobs', `${job.done[0]}.mp4`)),
    ],
    [
      'a done segment file changed',
      (state: string, job: { id: string; done: string[] }) => {
        const fd = openSync(join(state, 'jobs', `${job.done[0]}.mp4`), 'r+');
        writeSync(fd, Buffer.from('damaged'), 0, 7, 2000);
        closeSync(fd);
      },
    ],
    ['the job folder removed by hand', (state: string, job: { id: string }) => rmSync(join(state, 'jobs', job.id), { recursive: true })],
  ] as const) {
    it(`${name}: resume encodes it again, identical output`, async () => {
      const slug = name.replace(/\W+/g, '-');
      const state = join(t.dir, `state-${slug}`);
      const out = join(t.dir, `out-${slug}.mp4`);
      const job = await stoppedJob(state, out);
      assert.ok(job.done.length >= 2, 'segments were done before the damage');
      damage(state, job);
      const r = cli(['resume', job.id], { stateDir: state });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(sha(out), reference, 'byte-identical to an undisturbed run');
      const lost = events(state, job.id, 'task.lost');
      assert.ok(lost.length >= 1, 'the re-encode is told in the events');
      assert.match(lost[0]!, /^segment \d+: its file (is missing|changed) \(/);
    });
  }
});
