/**
 * Sources whose packets do not say what decodes (issue 25): one that begins where no decoder can, one whose
 * container holds decode times only. Generated clips, tiny; each case is named after the class of real file that
 * failed, and asserts what plain ffmpeg makes of the same source.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { ffmpeg, tempDir } from '../support/media.js';
import { cli } from '../support/cli.js';

const t = tempDir('shardcast-odd-starts-');
const state = join(t.dir, 'state');

/** Decoded video frames of a file, and the first one's time (s), as plain ffmpeg decodes it. */
function decoded(p: string): { frames: number; first: number } {
  const r = spawnSync('ffprobe', ['-v', 'quiet', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', p], {
    encoding: 'utf8',
  });
  const times = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(',')[0]));
  return { frames: times.length, first: Math.min(...times) };
}

/**
 * The MP4 at `src` without its first sync-sample entry (`stss`), written to `dst`: its first frame, an IRAP in
 * the bitstream, is no longer flagged as one (as in a file whose edit list starts where no sync sample is before
 * it). The boxes holding `stss` shrink by the entry; `moov` must come after `mdat` (ffmpeg's default), so no
 * chunk offset moves.
 */
function withoutFirstSyncSample(src: string, dst: string): void {
  const b = readFileSync(src);
  const at = b.indexOf('stss') - 4;
  assert.ok(at > 0 && b.indexOf('moov') > b.indexOf('mdat'), 'an MP4 with stss and moov after mdat');
  const parents: number[] = [];
  const walk = (start: number, end: number): void => {
    for (let p = start; p < end; p += b.readUInt32BE(p)) {
      if (at < p || at >= p + b.readUInt32BE(p)) continue;
      parents.push(p);
      if (['moov', 'trak', 'mdia', 'minf', 'stbl'].includes(b.toString('latin1', p + 4, p + 8))) walk(p + 8, p + b.readUInt32BE(p));
      return;
    }
  };
  walk(0, b.length);
  const out = Buffer.concat([b.subarray(0, at + 16), b.subarray(at + 20)]);
  out.writeUInt32BE(b.readUInt32BE(at + 12) - 1, at + 12);
  for (const p of parents) out.writeUInt32BE(b.readUInt32BE(p) - 4, p);
  writeFileSync(dst, out);
}

describe('sources whose packets do not say what decodes', () => {
  after(t.cleanup);

  it('a TS cut mid-GOP: the frames before the first that decodes are not planned; every mode makes what plain ffmpeg makes', () => {
    const full = join(t.dir, 'full.ts');
    // 4 s at 25 fps, a keyframe every 2 s, B-frames, in-band parameter sets (as a broadcast capture has them).
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=4', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=4'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-bf', '2', '-c:a', 'aac', '-b:a', '64k', '-f', 'mpegts', full],
    ]);
    // Cut 0.6 s in, keeping the non-keyframes: the file begins with packets whose parameter sets and references
    // came before it (a capture, an HLS segment cut from a stream).
    const src = join(t.dir, 'midgop.ts');
    ffmpeg(['-i', full, '-ss', '0.6', '-c', 'copy', '-copyinkf', '-f', 'mpegts', src]);
    const source = decoded(src);
    const packets = spawnSync(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', src],
      {
        encoding: 'utf8',
      },
    );
    assert.ok(
      parseInt(packets.stdout.trim(), 10) > source.frames + 10,
      `the cut left undecodable packets first: ${packets.stdout} vs ${source.frames}`,
    );
    for (const [name, extra] of [
      ['defaults', []],
      ['1 s segments', ['--segment-seconds', '1']],
    ] as const) {
      const out = join(t.dir, `midgop-${name.replace(/\W/g, '')}.mp4`);
      // Before: "segment 0 (frames 0-82, ...) has 50 frames, expected 83", three attempts, the job failed.
      const r = cli(['transcode', src, out, '--preset', 'ultrafast', '--json', '--no-progress', ...extra], { stateDir: state });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      const got = decoded(out);
      assert.equal(got.frames, source.frames, `${name}: ${r.stdout}`);
    }
  });

  it('MPEG-4 ASP with B-frames and MP3 in AVI, cut every second: the frames at their decoded times', () => {
    const src = join(t.dir, 'asp.avi');
    // AVI stores decode times: with B-frames, a decoder's frames come one frame later than the packets' times.
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3'],
      ...['-c:v', 'mpeg4', '-vtag', 'XVID', '-bf', '2', '-g', '12', '-q:v', '4', '-c:a', 'libmp3lame', '-b:a', '64k', src],
    ]);
    const source = decoded(src);
    const out = join(t.dir, 'asp.mp4');
    // Before: "segment 0 (frames 0-21, 0.000-0.880 s) has 21 frames, expected 22", three attempts, the job failed.
    const r = cli(['transcode', src, out, '--preset', 'ultrafast', '--segment-seconds', '1', '--json', '--no-progress'], {
      stateDir: state,
    });
    assert.equal(r.status, 0, r.stderr);
    const got = decoded(out);
    assert.equal(got.frames, source.frames, r.stdout);
  });

  it('an MP4 whose edit list starts where no sync sample is before it (HEVC 10-bit HLG), cut every second: every frame that decodes, at its time', () => {
    // 2.6 s at 29.97 fps, a keyframe every 30 frames, B-frames; trimmed 0.3 s in without re-encoding (an edit list
    // starting 9 frames into the media), then the first frame's sync flag removed: ffmpeg warns "Missing key
    // frame while searching for timestamp", decodes from the first sample and discards the 9 frames before the edit.
    const enc = join(t.dir, 'hlg.mp4');
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30000/1001:duration=2.6,noise=alls=20:allf=t', '-pix_fmt', 'yuv420p10le'],
      ...['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=30:min-keyint=30:bframes=3', '-tag:v', 'hvc1'],
      ...['-color_trc', 'arib-std-b67', '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc', enc],
    ]);
    const trimmed = join(t.dir, 'hlg-trimmed.mp4');
    ffmpeg(['-ss', '0.3', '-i', enc, '-c', 'copy', trimmed]);
    const src = join(t.dir, 'hlg-edit-no-sync.mp4');
    withoutFirstSyncSample(trimmed, src);
    const warn = spawnSync('ffprobe', ['-v', 'warning', '-show_entries', 'format=duration', '-of', 'csv=p=0', src], { encoding: 'utf8' });
    assert.match(warn.stderr, /Missing key frame while searching for timestamp/);
    const source = decoded(src);
    const out = join(t.dir, 'hlg-edit-no-sync.out.mp4');
    const r = cli(
      ['transcode', src, out, '--preset', 'ultrafast', '--segment-seconds', '1', '--accept-cut-cost', '--json', '--no-progress'],
      {
        stateDir: state,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const job = JSON.parse(r.stdout);
    assert.ok(job.segmentsTotal >= 3, `cut every second: ${job.segmentsTotal} segments`);
    const got = decoded(out);
    assert.equal(got.frames, source.frames, r.stdout);
    assert.ok(Math.abs(got.first - source.first) < 0.001, `first frame at ${got.first} s, source ${source.first} s`);
  });
});
