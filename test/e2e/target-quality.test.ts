/**
 * `--target-quality` through the CLI: every segment of generated mixed content lands in its band, and the output
 * is smaller than one pass at the CRF its worst segment needed; the emulated AWS home makes the same bytes; a
 * kill -9 mid-search and a resume re-use the trials already scored (no probe encoded twice); VMAF where this
 * ffmpeg has no libvmaf is refused before any job exists.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cli, cliDetached, sha256Of, sleep } from '../support/cli.js';
import { makeClip, makeMixedClip, tempDir } from '../support/media.js';
import { exitOf } from '../support/processes.js';

const TARGET = [
  '--target-quality',
  'psnr:38',
  '--segment-seconds',
  '1',
  '--workers',
  '2',
  '--preset',
  'veryfast',
  '--no-progress',
  '--json',
];

describe('CLI: --target-quality', () => {
  const t = tempDir('shardcast-target-');
  const state = join(t.dir, 'state');
  let clip: string;
  let local: any;
  let localSha: string;

  before(() => {
    clip = makeMixedClip(join(t.dir, 'mixed.mp4'));
  });
  after(t.cleanup);

  it('every segment lands in the band, and the output is smaller than one pass at the CRF its worst segment needed', () => {
    const out = join(t.dir, 'target.mp4');
    const r = cli(['transcode', clip, out, ...TARGET], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    local = JSON.parse(r.stdout);
    localSha = sha256Of(out);
    assert.equal(local.status, 'done');
    assert.equal(local.verify.ok, true);
    const video = (local.segments as any[]).filter((s) => s.kind === 'video');
    assert.equal(video.length, 4);
    for (const s of video) {
      const q = s.quality;
      assert.equal(q.inBand, true, `segment ${s.index}: ${JSON.stringify(q)}`);
      assert.ok(Math.abs(q.score - 38) <= 0.5, `segment ${s.index} scored ${q.score}`);
      assert.equal(q.trials.at(-1).crf, q.crf, 'the last encode is the one kept');
      assert.ok(
        q.trials.every((x: any) => x.kind === 'encode'),
        'a 24-frame segment has no probes: its encodes are its trials',
      );
    }
    const crfs = video.map((s) => s.quality.crf as number);
    assert.ok(Math.max(...crfs) - Math.min(...crfs) >= 8, `the scenes need different CRFs: ${crfs.join(', ')}`);
    // One pass at the lowest CRF any segment needed: every segment at least as good, and more bytes.
    const plain = join(t.dir, 'plain.mp4');
    const p = cli(['transcode', clip, plain, '--crf', String(Math.min(...crfs)), ...TARGET.slice(2)], { stateDir: state });
    assert.equal(p.status, 0, p.stderr);
    const [targeted, onePass] = [statSync(out).size, statSync(plain).size];
    assert.ok(targeted < onePass * 0.97, `targeted ${targeted} bytes against ${onePass} at CRF ${Math.min(...crfs)}`);
    const text = cli(['status', local.id], { stateDir: state });
    assert.match(text.stdout, /4 of 4 segments in band/);
  });

  it('the emulated AWS home searches the same CRFs and makes the same bytes', () => {
    const out = join(t.dir, 'aws.mp4');
    const r = cli(['transcode', clip, out, ...TARGET, '--backend', 'aws-emulated'], { stateDir: state, timeoutMs: 240_000 });
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    const crfs = (v: any) => (v.segments as any[]).filter((s) => s.kind === 'video').map((s) => s.quality.crf);
    assert.deepEqual(crfs(view), crfs(local));
    assert.equal(sha256Of(out), localSha, 'byte-identical to the local home');
  });

  it('kill -9 mid-search, then resume: the trials already scored are re-used, no probe is encoded twice', async () => {
    // One segment of 192 frames: long enough for probes.
    const long = makeClip(join(t.dir, 'long.mp4'), { seconds: 8, size: '320x180', rate: 24, noise: 20, gop: 48 });
    const st = join(t.dir, 'state-kill');
    const args = ['--target-quality', 'psnr:40', '--segment-seconds', '10', '--workers', '1', '--preset', 'medium', '--no-progress'];
    const child = cliDetached(['transcode', long, join(t.dir, 'long-out.mp4'), ...args], { stateDir: st });
    const exit = exitOf(child, 'transcode', 120_000);
    let killedAt: any[] | undefined;
    try {
      for (let i = 0; i < 600 && !killedAt; i++) {
        await sleep(100);
        const trials = readTrials(join(st, 'ledger.db'));
        if (trials && trials.length >= 1) {
          process.kill(-child.pid!, 'SIGKILL');
          killedAt = trials;
        }
      }
    } finally {
      if (!killedAt) process.kill(-child.pid!, 'SIGKILL');
      await exit.catch(() => undefined);
    }
    assert.ok(killedAt, 'a trial was scored before the job ended');
    const id = jobIdOf(join(st, 'ledger.db'));
    const before = cli(['status', id, '--json'], { stateDir: st });
    assert.notEqual(JSON.parse(before.stdout).status, 'done', 'killed before the end');
    const r = cli(['resume', id, '--json', '--no-progress'], { stateDir: st });
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.status, 'done');
    const seg = (view.segments as any[]).find((s) => s.kind === 'video');
    const trials = seg.quality.trials as any[];
    assert.deepEqual(trials.slice(0, killedAt.length), killedAt, 'the trials before the kill are the first of the search');
    assert.ok(trials.filter((x) => x.kind === 'probe').length === 2, JSON.stringify(trials));
    const events = JSON.parse(cli(['status', id, '--json'], { stateDir: st }).stdout).events as any[];
    const probes = events.filter((e) => e.type === 'task.trial' && e.data?.kind === 'probe').map((e) => e.data.crf);
    assert.deepEqual(probes, [...new Set(probes)], `each probe encoded once: ${probes.join(', ')}`);
    assert.equal(probes.length, 2);
  });

  it('VMAF on an ffmpeg without libvmaf is refused before any job, in one line that names the way out', () => {
    const st = join(t.dir, 'state-vmaf');
    const r = cli(['transcode', clip, join(t.dir, 'vmaf.mp4'), '--target-quality', 'vmaf:93', '--no-progress'], { stateDir: st });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0]!,
      /has no libvmaf, so --target-quality vmaf:93 cannot be scored; .*ssim:0\.985 or psnr:42, which work with any ffmpeg/,
    );
    assert.deepEqual(JSON.parse(cli(['jobs', '--json'], { stateDir: st }).stdout), [], 'no job was made');
  });

  it('bad target flags: one line, exit 2', () => {
    const st = join(t.dir, 'state-bad');
    for (const [flags, re] of [
      [['--target-quality', 'vmaf'], /--target-quality must be METRIC:VALUE/],
      [['--target-quality', 'psnr:40', '--min-crf', '30', '--max-crf', '20'], /--min-crf \(30\) must be below --max-crf \(20\)/],
      [['--max-crf', '30'], /go with --target-quality/],
    ] as const) {
      const r = cli(['transcode', clip, join(t.dir, 'bad.mp4'), ...flags], { stateDir: st });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
    }
  });
});

/** The trials of the first video task in a local ledger, or undefined before there is one. */
function readTrials(dbPath: string): any[] | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    const row = db.prepare("SELECT data FROM tasks WHERE kind = 'video' ORDER BY idx LIMIT 1").get() as { data: string } | undefined;
    return row ? JSON.parse(row.data).quality?.trials : undefined;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

function jobIdOf(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM jobs LIMIT 1').get() as { id: string }).id;
  } finally {
    db.close();
  }
}
