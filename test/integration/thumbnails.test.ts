/**
 * Thumbnails made inside the segments' encodes (issue 29 item 5), through the built CLI on a generated 6 s clip
 * cut into 3 segments, one thumbnail a second: their count, each one the source's frame at its time (against
 * the frame plain ffmpeg decodes there, and not its neighbour's), the sprite sheet's size and every WebVTT cue's
 * time and rectangle, the poster, no extra read of the source (every ffmpeg run is logged by a wrapper), and
 * the output itself byte for byte what it is without thumbnails. A ladder gets them in its folder too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, sha256Of } from '../support/cli.js';
import { ffmpeg, tempDir } from '../support/media.js';

const t = tempDir('shardcast-thumbs-');
after(t.cleanup);
const state = join(t.dir, 'state');
const src = join(t.dir, 'src.mp4');
const log = join(t.dir, 'ffmpeg.log');
const wrapper = join(t.dir, 'ffmpeg-logged');
const realFfmpeg = spawnSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).stdout.trim();

/** Runs the CLI with every ffmpeg it starts logged (one line of arguments per run) to `log`. */
function transcode(out: string, extra: string[]): any {
  const r = cli(['transcode', src, out, '--segment-seconds', '2', '--json', '--no-progress', ...extra], {
    stateDir: state,
    env: { FFMPEG_PATH: wrapper },
    timeoutMs: 180_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** PSNR (dB) of an image region against the source's frame at `at` s as plain ffmpeg seeks to it, both 160x90. */
function psnr(image: string, crop: { x: number; y: number; w: number; h: number }, at: number): number {
  const r = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      image,
      '-ss',
      String(at),
      '-i',
      src,
      '-filter_complex',
      `[0:v]crop=${crop.w}:${crop.h}:${crop.x}:${crop.y},format=yuv420p,setsar=1[a];[1:v]scale=${crop.w}:${crop.h},format=yuv420p,setsar=1[b];[a][b]psnr=stats_file=-`,
      '-frames:v',
      '1',
      '-f',
      'null',
      '-',
    ],
    { encoding: 'utf8' },
  );
  const m = /psnr_avg:(\S+)/.exec(r.stdout);
  assert.ok(m, r.stderr);
  return m[1] === 'inf' ? 99 : Number(m[1]);
}

function imageSize(p: string): [number, number] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', p], { encoding: 'utf8' });
  return r.stdout.trim().split(',').map(Number) as [number, number];
}

const ffmpegRuns = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

describe('thumbnails made inside the segment encodes', () => {
  let plain: any;
  let job: any;
  let plainRuns: string[];
  let runs: string[];
  const out = join(t.dir, 'movie.mp4');
  const thumbs = join(t.dir, 'movie.thumbs');

  before(() => {
    // 6 s, 25 fps, a picture that moves every frame (a frame counter and moving shapes); no noise.
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', src]);
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realFfmpeg}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    plain = transcode(join(t.dir, 'plain.mp4'), []);
    plainRuns = ffmpegRuns();
    writeFileSync(log, '');
    job = transcode(out, ['--thumbnails', '1']);
    runs = ffmpegRuns();
  });

  it('ceil(duration / 1 s) = 6 thumbnails, recorded in the result with the files beside the output', () => {
    assert.equal(plain.thumbnails, undefined);
    assert.deepEqual(job.thumbnails, {
      count: 6,
      everySeconds: 1,
      width: 160,
      height: 90,
      poster: join(thumbs, 'poster.jpg'),
      sprites: [join(thumbs, 'sprite-0.jpg')],
      vtt: join(thumbs, 'thumbnails.vtt'),
    });
    assert.equal(job.segmentsTotal, 3);
  });

  it('every WebVTT cue: its second of the output, its tile of the sheet; the sheet is 6 tiles of 160x90', () => {
    assert.deepEqual(imageSize(join(thumbs, 'sprite-0.jpg')), [960, 90]);
    const text = readFileSync(join(thumbs, 'thumbnails.vtt'), 'utf8');
    const cues = [...text.matchAll(/^(\S+) --> (\S+)\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)$/gm)].map((m) => m.slice(1));
    assert.ok(text.startsWith('WEBVTT\n'));
    assert.deepEqual(
      cues,
      [0, 1, 2, 3, 4, 5].map((k) => [`00:00:0${k}.000`, `00:00:0${k + 1}.000`, 'sprite-0.jpg', String(160 * k), '0', '160', '90']),
    );
  });

  it("each thumbnail is the source's frame at its time, not the next frame's nor its neighbour thumbnail's", () => {
    const sheet = join(thumbs, 'sprite-0.jpg');
    for (let k = 0; k < 6; k++) {
      const tile = { x: 160 * k, y: 0, w: 160, h: 90 };
      const own = psnr(sheet, tile, k);
      assert.ok(own > 30, `thumbnail ${k}: ${own} dB against the frame at ${k} s`);
      const nextFrame = psnr(sheet, tile, k + 0.04);
      assert.ok(nextFrame < own, `thumbnail ${k}: ${nextFrame} dB against the frame after, ${own} against its own`);
      const neighbour = psnr(sheet, tile, k === 5 ? 4 : k + 1);
      assert.ok(neighbour < own - 3, `thumbnail ${k}: ${neighbour} dB against its neighbour's frame, ${own} against its own`);
    }
  });

  it('the poster: the frame at 10% of the duration (0.6 s), at the source width', () => {
    const poster = join(thumbs, 'poster.jpg');
    assert.deepEqual(imageSize(poster), [320, 180]);
    const own = psnr(poster, { x: 0, y: 0, w: 320, h: 180 }, 0.6);
    assert.ok(own > 30, `${own} dB`);
    assert.ok(psnr(poster, { x: 0, y: 0, w: 320, h: 180 }, 0.64) < own);
  });

  it('no second decode: the same ffmpeg runs read the source as without thumbnails; the segment encodes write them', () => {
    const readers = (lines: string[]) => lines.filter((l) => l.includes(`-i file:${src}`));
    assert.equal(readers(runs).length, readers(plainRuns).length);
    const writers = readers(runs).filter((l) => /thumb-%05d\.jpg/.test(l));
    assert.equal(writers.length, 3, runs.join('\n'));
    for (const w of writers) {
      assert.match(w, / -f mp4 /, 'the thumbnails are outputs of the segment encode');
      assert.equal(w.split(' -i ').length, 2, 'one input');
    }
    // The sheet is made from the JPEGs alone.
    const sheets = runs.filter((l) => /tile=/.test(l));
    assert.equal(sheets.length, 1);
    assert.doesNotMatch(sheets[0]!, new RegExp(src.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  it('the output is the same bytes as without thumbnails', () => {
    assert.equal(sha256Of(out), sha256Of(join(t.dir, 'plain.mp4')));
  });

  it('a VFR gap longer than the interval: the frame on screen, the same one for two thumbnails', () => {
    // 10 fps, frames 0-9 at 0-0.9 s, then frames 10-29 at 3.1-5.0 s (a 2.2 s gap after frame 9).
    const vfr = join(t.dir, 'gap.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      "testsrc2=size=320x180:rate=10:duration=3,setpts='if(gte(N,10),PTS+21/(10*TB),PTS)'",
      '-fps_mode',
      'passthrough',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      vfr,
    ]);
    const r = cli(
      ['transcode', vfr, join(t.dir, 'gap-out.mp4'), '--segment-seconds', '2', '--thumbnails', '1', '--json', '--no-progress'],
      {
        stateDir: state,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.thumbnails.count, 6);
    const picked = (view.segments as any[]).flatMap((s) => (s.thumbnails?.frames ?? []).map((f: number) => f + s.startFrame));
    assert.deepEqual(picked, [0, 9, 9, 9, 19, 29]);
    // Thumbnails 1 to 3 are the same picture (the frame at 0.9 s), 4 is another.
    const sheet = join(t.dir, 'gap-out.thumbs', 'sprite-0.jpg');
    const same = (a: number, b: number) =>
      spawnSync(
        'ffmpeg',
        [
          '-v',
          'error',
          '-i',
          sheet,
          '-i',
          sheet,
          '-filter_complex',
          `[0:v]crop=160:90:${160 * a}:0[a];[1:v]crop=160:90:${160 * b}:0[b];[a][b]psnr=stats_file=-`,
          '-f',
          'null',
          '-',
        ],
        { encoding: 'utf8' },
      ).stdout;
    assert.match(same(1, 2), /psnr_avg:inf/);
    assert.match(same(1, 3), /psnr_avg:inf/);
    assert.doesNotMatch(same(3, 4), /psnr_avg:inf/);
  });

  it('a ladder: the same thumbnails in its folder', () => {
    const lad = join(t.dir, 'hls', 'master.m3u8');
    const r = transcode(lad, ['--thumbnails', '2', '--thumbnail-width', '96']);
    assert.equal(r.thumbnails.count, 3);
    assert.equal(r.thumbnails.width, 96);
    assert.equal(r.thumbnails.height, 54);
    assert.deepEqual(imageSize(join(t.dir, 'hls', 'thumbs', 'sprite-0.jpg')), [288, 54]);
    assert.match(
      readFileSync(join(t.dir, 'hls', 'thumbs', 'thumbnails.vtt'), 'utf8'),
      /00:00:04\.000 --> 00:00:06\.000\nsprite-0\.jpg#xywh=192,0,96,54/,
    );
    const own = psnr(join(t.dir, 'hls', 'thumbs', 'sprite-0.jpg'), { x: 96, y: 0, w: 96, h: 54 }, 2);
    assert.ok(own > 30, `${own} dB`);
  });
});
