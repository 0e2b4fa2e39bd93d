/**
 * The quality report end to end: `transcode --quality-report` stores whole-output and per-seam PSNR/SSIM in
 * the ledger (checked against an independent ffmpeg PSNR run), `status` prints the worst seam, and
 * `shardcast quality` on a done job finds a seam that was damaged by hand.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli } from '../support/cli.js';
import { ffmpeg, makeClip, tempDir } from '../support/media.js';

const t = tempDir('shardcast-quality-');
const state = join(t.dir, 'state');

/** Mean per-frame PSNR of A against B, the way ../shared/tools/verify_output.py pairs frames (by index). */
function meanPsnr(a: string, b: string): number {
  const stats = join(t.dir, 'psnr.log');
  const norm = 'format=yuv420p,settb=1/25,setpts=N';
  const r = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-i', a, '-i', b, '-lavfi', `[0:v:0]${norm}[a];[1:v:0]${norm}[b];[a][b]psnr=stats_file=${stats}`, '-f', 'null', '-'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const vals = [...spawnSync('cat', [stats], { encoding: 'utf8' }).stdout.matchAll(/psnr_avg:(\S+)/g)].map((m) =>
    m[1] === 'inf' ? 100 : Number(m[1]),
  );
  return vals.reduce((s, v) => s + v, 0) / vals.length;
}

describe('quality report', () => {
  after(t.cleanup);
  const src = makeClip(join(t.dir, 'src.mp4'), { seconds: 4, rate: 25, gop: 25, noise: 0 });
  const out = join(t.dir, 'out.mp4');
  let jobId = '';

  it('transcode --quality-report keeps PSNR/SSIM, whole and per seam, in the job', () => {
    const r = cli(
      ['transcode', src, out, '--preset', 'ultrafast', '--segment-seconds', '1', '--quality-report', '--json', '--no-progress'],
      { stateDir: state },
    );
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    jobId = view.id;
    const q = view.quality;
    assert.ok(q, 'no quality report in the job');
    assert.equal(q.frames, 100);
    assert.deepEqual(
      q.seams.map((s: any) => s.frame),
      [25, 50, 75],
    );
    assert.deepEqual(
      q.seams.map((s: any) => s.time),
      [1, 2, 3],
    );
    assert.ok(Math.abs(q.psnrMean - meanPsnr(out, src)) < 0.05, `report ${q.psnrMean} dB, ffmpeg psnr ${meanPsnr(out, src)} dB`);
    assert.ok(q.ssimMean > 0.9 && q.ssimMean <= 1 && q.ssimMin <= q.ssimMean);
    assert.ok(view.timings.qualityMs > 0);
    const status = cli(['status', jobId], { stateDir: state });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /quality: PSNR \d+\.\d\d dB mean/);
    assert.match(status.stdout, /worst seam: before segment [123] at /);
  });

  it('shardcast quality on a done job finds the seam that was damaged', () => {
    // Blur the two frames either side of the cut at frame 50 (losslessly re-encoded, every other frame kept).
    const damaged = join(t.dir, 'damaged.mp4');
    ffmpeg([
      '-i',
      out,
      '-vf',
      "boxblur=8:enable='between(n,49,50)'",
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-qp',
      '0',
      '-an',
      damaged,
    ]);
    copyFileSync(damaged, out);
    const r = cli(['quality', jobId, '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    const q = JSON.parse(r.stdout);
    assert.equal(q.worstSeam, 2, JSON.stringify(q.seams));
    const worst = q.seams.find((s: any) => s.index === 2);
    assert.ok(worst.dipDb > 5, JSON.stringify(worst));
    const text = cli(['status', jobId], { stateDir: state }).stdout;
    assert.match(text, /worst seam: before segment 2 at 2\.000 s \(frame 50\)/);
  });

  it('refuses a job that is not there, in one line', () => {
    const r = cli(['quality', 'abcdef123456'], { stateDir: state });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), 'shardcast: error: no job abcdef123456');
  });
});
