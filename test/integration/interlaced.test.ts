/**
 * An interlaced transport stream (issue 27): by default its frames are encoded as they are, as plain ffmpeg does,
 * and the job says so with the option that changes it; with --deinterlace every frame becomes a progressive
 * picture (bwdif), the frame count and times staying the source's, across segment cuts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli } from '../support/cli.js';
import { ffmpeg, tempDir } from '../support/media.js';

/** Frame count and the pts of each frame, as ffprobe decodes them. */
function frames(path: string): number[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path], {
    encoding: 'utf8',
  });
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => /\d/.test(l)) // the side data's empty lines
    .map((l) => Number(l.replace(/,$/, '')));
}

/** idet's multi-frame counts: frames that look interlaced (TFF + BFF) and progressive. */
function interlaceDetection(path: string): { interlaced: number; progressive: number } {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-i', path, '-vf', 'idet', '-f', 'null', '-'], { encoding: 'utf8' });
  const m = /Multi frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { interlaced: Number(m[1]) + Number(m[2]), progressive: Number(m[3]) };
}

describe('interlaced sources', () => {
  const t = tempDir('shardcast-interlaced-');
  const state = join(t.dir, 'state');
  let source: string;
  before(() => {
    source = join(t.dir, 'tt.ts');
    // MPEG-2 480i, top field first, coded as interlaced (field DCT and motion): ffprobe says field_order tt.
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=720x480:rate=30000/1001:duration=3',
      '-vf',
      'setfield=tff',
      '-c:v',
      'mpeg2video',
      '-flags',
      '+ilme+ildct',
      '-top',
      '1',
      '-b:v',
      '4M',
      '-f',
      'mpegts',
      source,
    ]);
  });
  after(t.cleanup);

  /** A transcode of the source cut in 1 s segments; the job as --json prints it. */
  function transcode(name: string, ...extra: string[]) {
    const args = ['transcode', source, join(t.dir, name), '--preset', 'ultrafast', '--segment-seconds', '1', '--accept-cut-cost'];
    const r = cli([...args, ...extra, '--json', '--no-progress'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  it('is encoded as plain ffmpeg does, with a note naming --deinterlace', () => {
    const job = transcode('kept.mp4');
    assert.match(job.picture.notices.join('\n'), /interlaced \(top field first\).*--deinterlace/);
  });

  it("with --deinterlace: a progressive picture per frame, at the source frames' times", () => {
    const out = join(t.dir, 'deint.mp4');
    const job = transcode('deint.mp4', '--deinterlace');
    assert.equal(job.verify.ok, true);
    assert.deepEqual(job.picture.notices, []);
    assert.ok(job.segmentsTotal >= 3, 'cut into segments');
    const src = frames(source);
    const got = frames(out);
    assert.equal(got.length, src.length);
    const start = src[0]!;
    got.forEach((pts, i) => assert.ok(Math.abs(pts - (src[i]! - start)) < 0.002, `frame ${i} at ${pts}, source ${src[i]! - start}`));
    // ffmpeg's interlace detector: combing in the frames encoded as they are, none once deinterlaced.
    const kept = interlaceDetection(join(t.dir, 'kept.mp4'));
    const deint = interlaceDetection(out);
    assert.ok(kept.interlaced > kept.progressive, JSON.stringify(kept));
    assert.ok(deint.progressive > 10 * deint.interlaced, JSON.stringify(deint));
  });
});
