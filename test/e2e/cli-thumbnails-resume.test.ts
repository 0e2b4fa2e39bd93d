/**
 * Thumbnails survive a crash (issue 29 item 5): a run with --thumbnails killed with `kill -9` after some
 * segments are done is resumed; the segments done before the crash are not encoded again, yet every thumbnail
 * is there at the end (those segments stored theirs before they were done), each the source's frame at its time.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, cliDetached, sleep } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';
import { exitOf } from '../support/processes.js';

const OPTS = [
  '--preset',
  'veryfast',
  '--segment-seconds',
  '1',
  '--workers',
  '1',
  '--no-progress',
  '--thumbnails',
  '1',
  '--thumbnail-width',
  '96',
];

/** PSNR (dB) of a tile of the sheet against the source's frame at `at` s (plain ffmpeg's seek), both 96x54. */
function tilePsnr(sheet: string, k: number, src: string, at: number): number {
  const graph = `[0:v]crop=96:54:${96 * (k % 10)}:${54 * Math.floor(k / 10)},format=yuv420p,setsar=1[a];[1:v]scale=96:54,format=yuv420p,setsar=1[b];[a][b]psnr=stats_file=-`;
  const r = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-i', sheet, '-ss', String(at), '-i', src, '-filter_complex', graph, '-frames:v', '1', '-f', 'null', '-'],
    {
      encoding: 'utf8',
    },
  );
  const m = /psnr_avg:(\S+)/.exec(r.stdout);
  assert.ok(m, r.stderr);
  return m[1] === 'inf' ? 99 : Number(m[1]);
}

describe('CLI: thumbnails of a resumed job', () => {
  const t = tempDir('shardcast-thumbs-resume-');
  const state = join(t.dir, 'state');
  let clip: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 8, size: '640x360', rate: 25, gop: 25, noise: 0 });
  });
  after(t.cleanup);

  it('kill -9 after some segments, then resume: those are not redone and all 8 thumbnails are there', { timeout: 300_000 }, async () => {
    const out = join(t.dir, 'out.mp4');
    const child = cliDetached(['transcode', clip, out, ...OPTS], { stateDir: state });
    let stderr = '';
    child.stderr!.on('data', (b) => (stderr += b));
    let jobId: string | undefined;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(100)) {
      jobId = /job ([a-z0-9]+):/.exec(stderr)?.[1];
      if (!jobId) continue;
      const job = (JSON.parse(cli(['jobs', '--json'], { stateDir: state }).stdout) as any[]).find((j) => j.id === jobId);
      if (job?.segmentsTotal > 0 && job.segmentsDone >= 2) {
        assert.ok(job.segmentsDone < job.segmentsTotal, 'interrupted before the end');
        break;
      }
    }
    assert.ok(jobId, stderr);
    const exited = exitOf(child, 'the transcode');
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const done = new Map(
      (JSON.parse(cli(['status', jobId, '--json'], { stateDir: state }).stdout).segments as any[])
        .filter((s) => s.status === 'done' && s.kind === 'video')
        .map((s) => [s.key, s.finishedAt]),
    );
    assert.ok(done.size >= 2);

    const r = cli(['resume', jobId, '--json'], { stateDir: state, timeoutMs: 240_000 });
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.status, 'done');
    for (const s of view.segments as any[]) if (done.has(s.key)) assert.equal(s.finishedAt, done.get(s.key), `${s.key} was not redone`);
    assert.equal(view.thumbnails?.count, 8, JSON.stringify(view.thumbnails));
    const sheet = join(t.dir, 'out.thumbs', 'sprite-0.jpg');
    for (let k = 0; k < 8; k++) {
      const own = tilePsnr(sheet, k, clip, k);
      assert.ok(own > 30, `thumbnail ${k}: ${own} dB`);
      assert.ok(tilePsnr(sheet, k, clip, k === 7 ? 6 : k + 1) < own - 3, `thumbnail ${k} is not its neighbour's frame`);
    }
  });
});
