/**
 * A targeted job end to end (issue 28): `transcode --target-quality psnr:.. --quality-report` through the CLI,
 * real ffmpeg. The JSON view carries the target's count and each segment's search; the quality report gets a row
 * per segment whose CRF, score and bytes are the task's and whose PSNR mean, measured apart over the merged
 * output, agrees with the search's PSNR; `status` prints the count, the trials and the report's table.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';

const t = tempDir('shardcast-target-report-');
const state = join(t.dir, 'state');

describe('a targeted job’s view and quality report', () => {
  after(t.cleanup);
  const src = makeClip(join(t.dir, 'src.mp4'), { seconds: 4, rate: 25, gop: 25, noise: 8 });

  it('report rows per segment match the tasks’ searches; status prints them', { timeout: 240_000 }, () => {
    const out = join(t.dir, 'out.mp4');
    const r = cli(
      [
        'transcode',
        src,
        out,
        ...['--preset', 'ultrafast', '--segment-seconds', '2', '--accept-cut-cost', '--workers', '2'],
        ...['--target-quality', 'psnr:38', '--quality-report', '--json', '--no-progress'],
      ],
      { stateDir: state },
    );
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    const videos = view.segments.filter((s: any) => s.kind === 'video');
    assert.equal(videos.length, 2);
    assert.equal(view.target.segments, 2);
    assert.equal(view.target.scored, 2);
    assert.equal(view.target.inBand + view.target.outside.length, 2);
    const rows = view.quality.segments;
    assert.equal(rows.length, 2);
    for (const [i, row] of rows.entries()) {
      const q = videos[i].quality;
      assert.ok(q.trials.length >= 1 && q.crf !== undefined, JSON.stringify(q));
      assert.deepEqual(
        [row.index, row.metric, row.target, row.crf, row.score, row.inBand, row.bytes],
        [i, 'psnr', 38, q.crf, q.score, q.inBand, videos[i].sizeBytes],
      );
      // Two measurements of the same frames: the search's (the encode against the source through its filters)
      // and the report's (the merged output decoded beside the source).
      assert.ok(Math.abs(row.psnrMean - q.score) < 0.5, `report ${row.psnrMean} dB, search ${q.score} dB`);
    }

    const status = cli(['status', view.id], { stateDir: state });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^ {2}quality target: \d of 2 segments in band \(psnr 38 ±0\.5 dB\); crf \d+-\d+$/m);
    assert.match(status.stdout, /^ {10}trials \(crf → psnr\): (probe|encode) \d+ → \d+\.\d\d \(\d+ KB, \d+\.\d s\)/m);
    assert.match(status.stdout, /^ {2}per segment \(target psnr 38 ±0\.5 dB\):$/m);
    assert.match(status.stdout, /^ {4}segment +crf +psnr \(search\) +psnr dB +ssim +bytes +band$/m);
  });
});
