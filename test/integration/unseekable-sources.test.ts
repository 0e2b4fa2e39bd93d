/**
 * Sources that cannot be cut by seeking: MPEG-TS seeks by timestamp (not on keyframes) and its keyframe flags
 * may mark intra-refresh recovery points or open-GOP I-frames. Segments decode from the third flagged keyframe
 * before their start and keep their frames by time (core/cut-policy.ts cutMethodFor). An MP4 flags intra-refresh
 * recovery points as sync samples too: there a seek read comes out short, and the segment is read again by
 * pre-roll. With a lossless encode every decoded frame of the output must hash the same as the source's.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { transcodeLossless } from '../support/frame-exact.js';
import { ffmpeg, frameHashes, tempDir } from '../support/media.js';

const t = tempDir('shardcast-unseekable-');
const state = join(t.dir, 'state');

function losslessSame(src: string, name: string, segmentSeconds: string): any {
  const out = join(t.dir, `${name}.mkv`);
  const job = transcodeLossless(src, out, segmentSeconds, state, ['--audio-codec', 'none']);
  assert.equal(job.cutting.method, 'preroll');
  assert.ok(job.segmentsTotal >= 3, `several segments, got ${job.segmentsTotal}`);
  const a = frameHashes(src);
  const b = frameHashes(out);
  assert.equal(b.length, a.length, 'frame count');
  const firstDiff = a.findIndex((h, i) => h !== b[i]);
  assert.equal(firstDiff, -1, `first differing frame: ${firstDiff} (a seek that landed late)`);
  return job;
}

const lavfi = (seconds: number) => ['-f', 'lavfi', '-i', `testsrc2=size=192x108:rate=30:duration=${seconds}`];

describe('sources that cannot be cut by seeking', () => {
  after(t.cleanup);

  it('intra-refresh H.264 in MPEG-TS (regression: "segment 4 (frames 480-539) has NaN frames, expected 60")', () => {
    const src = join(t.dir, 'ir.ts');
    ffmpeg([...lavfi(10), '-c:v', 'libx264', '-preset', 'ultrafast', '-x264-params', 'keyint=60:intra-refresh=1', '-f', 'mpegts', src]);
    losslessSame(src, 'ir', '1.5');
  });

  it('intra-refresh H.264 with B-frames in MPEG-TS (regression: "segment 1 (frames 124-246) has 121 frames, expected 123")', () => {
    // With B-frames the recovery (41 reference frames) spans more than one flag interval.
    const src = join(t.dir, 'ir-bf.ts');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=30:duration=12',
      '-c:v',
      'libx264',
      '-preset',
      'fast',
      '-x264-params',
      'keyint=60:intra-refresh=1',
      '-f',
      'mpegts',
      src,
    ]);
    losslessSame(src, 'ir-bf', '4');
  });

  it('closed-GOP H.264 in MPEG-TS cut inside its GOPs (a cut there started at the next GOP, with the right count)', () => {
    const src = join(t.dir, 'idr150.ts');
    // Noise makes a keyframe cost little more than a P frame, so the planner cuts inside the 5 s GOPs.
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=192x108:rate=30:duration=10,noise=alls=30:allf=t',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '150',
      '-f',
      'mpegts',
      src,
    ]);
    const job = losslessSame(src, 'idr150', '1.3');
    assert.ok(
      job.segments.some((s: any) => s.kind === 'video' && s.startFrame % 150 !== 0),
      'a cut inside a GOP',
    );
  });

  it('open-GOP MPEG-2 with 4 B-frames in MPEG-TS (cut on its keyframes it came out one GOP late)', () => {
    const src = join(t.dir, 'mpeg2-bf4.ts');
    ffmpeg([...lavfi(8), '-c:v', 'mpeg2video', '-q:v', '4', '-g', '15', '-bf', '4', '-flags', '-cgop', '-f', 'mpegts', src]);
    losslessSame(src, 'mpeg2-bf4', '1');
  });

  it('intra-refresh H.264 in MP4 (regression: "segment 3 (frames 184-239, 6.133-8.000 s) has 15 frames, expected 56")', () => {
    // The MP4 muxer marks every recovery point a sync sample: a seek lands there and the decoder shows frames
    // only once the refresh completes, 41 frames on.
    const src = join(t.dir, 'ir.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=30:duration=8',
      '-c:v',
      'libx264',
      '-preset',
      'fast',
      '-x264-params',
      'keyint=60:intra-refresh=1',
      src,
    ]);
    const job = losslessSame(src, 'ir-mp4', '1');
    assert.match(job.cutting.reason, /^segment \d .* has \d+ frames, expected \d+ when read by seeking/);
    const events = cli(['status', job.id], { stateDir: state }).stdout;
    assert.match(events, /cutting: preroll \(segment \d/);
  });

  it('timestamps that jump forward by 10 s mid-stream', () => {
    const a = join(t.dir, 'jump-a.ts');
    const b = join(t.dir, 'jump-b.ts');
    ffmpeg([...lavfi(3), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-f', 'mpegts', a]);
    ffmpeg([...lavfi(3), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-output_ts_offset', '13', '-f', 'mpegts', b]);
    const src = join(t.dir, 'jump.ts');
    ffmpeg(['-i', `concat:${a}|${b}`, '-c', 'copy', '-f', 'mpegts', src]);
    const job = losslessSame(src, 'jump', '1');
    assert.equal(job.frames, 180);
  });
});
