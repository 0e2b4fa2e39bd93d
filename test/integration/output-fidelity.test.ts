/**
 * What the source is, the output is: full range stays full (in values, not only the tag), 10-bit stays 10-bit,
 * 4:2:2 stays 4:2:2, HDR10 mastering display and content light level reach the bitstream, and a long last
 * frame keeps its duration. Generated clips, tiny; each test asserts the property itself. A real full-range
 * phone clip from the corpus is in test/corpus/output-fidelity-corpus.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { ffmpeg, ffprobeJson, tempDir } from '../support/media.js';
import { transcodeWith, videoStream } from '../support/fidelity.js';

const t = tempDir('shardcast-fidelity-');
const state = join(t.dir, 'state');

const transcode = (src: string, out: string, extra: string[] = []): any => transcodeWith(state, src, out, extra);

/** Lowest and highest luma code value of the decoded video (its own values, no range conversion). */
function lumaRange(p: string): [number, number] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', p, '-map', '0:v:0', '-vf', 'signalstats,metadata=print:file=-', '-f', 'null', '-'], {
    encoding: 'utf8',
  });
  const lo = [...r.stdout.matchAll(/YMIN=([\d.]+)/g)].map((m) => Number(m[1]));
  const hi = [...r.stdout.matchAll(/YMAX=([\d.]+)/g)].map((m) => Number(m[1]));
  assert.ok(lo.length > 0 && hi.length > 0, r.stderr);
  return [Math.min(...lo), Math.max(...hi)];
}

/** PSNR (dB) of every frame of `a` against `b`, frames paired by index, as the judge pairs them. */
function framePsnr(a: string, b: string): number[] {
  const norm = 'settb=1/25,setpts=N';
  const r = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      a,
      '-i',
      b,
      '-lavfi',
      `[0:v:0]${norm}[a];[1:v:0]${norm}[b];[a][b]psnr=shortest=1:stats_file=-`,
      '-f',
      'null',
      '-',
    ],
    {
      encoding: 'utf8',
    },
  );
  const v = [...r.stdout.matchAll(/psnr_avg:(\S+)/g)].map((m) => Number(m[1]));
  assert.ok(v.length > 0, r.stderr);
  return v;
}

/**
 * The Matroska file at `src` with its H.264 blocks in Annex-B (each 4-byte NAL length replaced by a start code,
 * the same size), written to `dst`: what some screen recorders write (the CodecPrivate still says avcC). ffmpeg's
 * decoder reads every frame of it; its parser logs errors, as on the real files.
 */
function toAnnexBMatroska(src: string, dst: string): void {
  const b = readFileSync(src);
  const width = (first: number): number => {
    let n = 1;
    for (let mask = 0x80; n <= 8 && !(first & mask); mask >>= 1) n++;
    return n;
  };
  const size = (p: number): [number, number] => {
    const n = width(b[p]!);
    let v = b[p]! & ((0x100 >> n) - 1);
    for (let k = 1; k < n; k++) v = v * 256 + b[p + k]!;
    return [v, n];
  };
  const masters = new Set([0x18538067, 0x1f43b675, 0xa0]); // Segment, Cluster, BlockGroup
  let blocks = 0;
  const walk = (start: number, end: number): void => {
    for (let p = start; p < end;) {
      const idLen = width(b[p]!);
      const id = b.readUIntBE(p, idLen);
      const [len, lenLen] = size(p + idLen);
      const data = p + idLen + lenLen;
      const stop = len === 2 ** (7 * lenLen) - 1 ? end : data + len;
      if (masters.has(id)) walk(data, stop);
      else if (id === 0xa3 || id === 0xa1) {
        // SimpleBlock / Block: track number, 2-byte timecode, flags, then the NAL units.
        for (let q = data + size(data)[1] + 3; q + 4 <= stop;) {
          const nal = b.readUInt32BE(q);
          b.writeUInt32BE(1, q);
          q += 4 + nal;
        }
        blocks++;
      }
      p = stop;
    }
  };
  walk(0, b.length);
  assert.ok(blocks > 0, 'no blocks found');
  writeFileSync(dst, b);
}

function frameSideData(p: string): any[] {
  const j = ffprobeJson(p, 'frame=side_data_list:frame_side_data', ['-select_streams', 'v:0', '-read_intervals', '%+#3']);
  return (j.frames as any[]).flatMap((f) => f.side_data_list ?? []);
}

describe('output fidelity', () => {
  after(t.cleanup);

  it('full-range 8-bit (yuvj420p, as phones record) stays full range in values and tags', () => {
    const src = join(t.dir, 'full.mp4');
    // A black-to-white ramp: full range reaches 0 and 255; squeezed into limited it would reach 16 and 235.
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'gradients=s=320x240:c0=black:c1=white:x0=0:y0=0:x1=320:y1=0:d=2:r=25',
      '-vf',
      'format=yuvj420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-qp',
      '0',
      '-color_range',
      'pc',
      src,
    ]);
    const out = join(t.dir, 'full.out.mp4');
    transcode(src, out);
    const v = videoStream(out);
    assert.equal(v.color_range, 'pc');
    const [lo, hi] = lumaRange(out);
    // Squeezed into limited range the ramp would run from 16 to 235.
    assert.ok(lo <= 4 && hi >= 251, `luma ${lo}-${hi} in the output (source ${lumaRange(src).join('-')}): the values were squeezed`);
  });

  it('10-bit 4:2:0 stays 10-bit; --bit-depth 8 is the way down', () => {
    const src = join(t.dir, 'ten.mkv');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=25:d=2',
      '-pix_fmt',
      'yuv420p10le',
      '-c:v',
      'libx265',
      '-x265-params',
      'log-level=error',
      '-preset',
      'ultrafast',
      src,
    ]);
    const out = join(t.dir, 'ten.mp4');
    const job = transcode(src, out);
    assert.equal(videoStream(out).pix_fmt, 'yuv420p10le');
    assert.equal(videoStream(out).profile, 'High 10');
    assert.equal(job.picture.pixelFormat, 'yuv420p10le');
    const eight = join(t.dir, 'ten-8.mp4');
    transcode(src, eight, ['--bit-depth', '8']);
    assert.equal(videoStream(eight).pix_fmt, 'yuv420p');
  });

  it('4:2:2 10-bit into MKV stays 4:2:2 10-bit (x264 High 4:2:2)', () => {
    const src = join(t.dir, 'four22.mkv');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=2', '-pix_fmt', 'yuv422p10le', '-c:v', 'libx264', '-preset', 'ultrafast', src]);
    const out = join(t.dir, 'four22.out.mkv');
    transcode(src, out);
    assert.equal(videoStream(out).pix_fmt, 'yuv422p10le');
  });

  it('4:2:2 into AV1 (4:2:0 only): encoded 4:2:0 with a notice in the events', () => {
    const src = join(t.dir, 'four22.mkv');
    const out = join(t.dir, 'four22.av1.mkv');
    const job = transcode(src, out, ['--video-codec', 'av1', '--preset', '12']);
    assert.equal(videoStream(out).pix_fmt, 'yuv420p10le');
    assert.match(job.picture.notices.join('\n'), /4:2:2 chroma/);
  });

  it('HDR10: x265 mastering display and content light level reach the HEVC output; H.264 drops them with a notice', () => {
    const src = join(t.dir, 'hdr10.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=25:d=2',
      '-pix_fmt',
      'yuv420p10le',
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error:hdr10=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400',
      '-color_primaries',
      'bt2020',
      '-color_trc',
      'smpte2084',
      '-colorspace',
      'bt2020nc',
      src,
    ]);
    const out = join(t.dir, 'hdr10.out.mp4');
    transcode(src, out, ['--video-codec', 'hevc']);
    const v = videoStream(out);
    assert.equal(v.pix_fmt, 'yuv420p10le');
    assert.equal(v.color_transfer, 'smpte2084');
    const sd = frameSideData(out);
    const md = sd.find((d) => d.side_data_type === 'Mastering display metadata');
    assert.ok(md, 'mastering display metadata in the output');
    assert.equal(md.max_luminance, '10000000/10000');
    assert.equal(md.red_x, '34000/50000');
    const cll = sd.find((d) => d.side_data_type === 'Content light level metadata');
    assert.deepEqual([cll?.max_content, cll?.max_average], [1000, 400]);

    const h264 = join(t.dir, 'hdr10.h264.mp4');
    const job = transcode(src, h264);
    assert.equal(videoStream(h264).color_transfer, 'smpte2084');
    assert.match(job.picture.notices.join('\n'), /HDR10 static metadata/);
  });

  it('VFR with a 2 s last frame: the video still ends 2 s after the last frame starts', () => {
    const src = join(t.dir, 'longlast.mp4');
    // 50 frames at 25 fps without B-frames, then (remuxed) the last frame shown for 2 s.
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=2', '-c:v', 'libx264', '-preset', 'ultrafast', src]);
    const base = join(t.dir, 'longlast-2s.mp4');
    ffmpeg(['-i', src, '-c', 'copy', '-bsf:v', 'setts=pts=PTS:dts=DTS:duration=if(eq(N\\,49)\\,2/TB\\,DURATION)', base]);
    assert.equal(Number(videoStream(base).duration), 3.96, 'the generated source lasts 3.96 s');
    const out = join(t.dir, 'longlast.out.mp4');
    transcode(base, out);
    const dur = Number(videoStream(out).duration);
    assert.ok(Math.abs(dur - (49 / 25 + 2)) < 0.01, `video track lasts ${dur} s, source ${49 / 25 + 2} s`);
  });

  it('VFR cut every second, held frames first and two last frames after a gap: the MP4 still ends at the source end (regression: 7.38 s of 8.58)', () => {
    // Frames 0.6 s apart first (the first segment's encoder holds back 1.2 s of them: its decode delay), then 25 fps,
    // then the last two frames 1.5 s later, the last shown for 1.5 s, with a source keyframe every 24 frames and on
    // the first of the two. Cut every second, the last segment is those two frames, I then P: the P's packet is both
    // the last decoded and the last shown, with a decode delay of one frame interval, not 1.2 s.
    const base = join(t.dir, 'heldfirst.base.mp4');
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=4'],
      ...['-vf', "setpts='(if(lt(N,4),N*0.6,1.8+(N-4)*0.04)+if(gte(N,98),1.5,0))/TB'", '-fps_mode', 'passthrough'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-force_key_frames', 'expr:eq(mod(n,24),0)+eq(n,98)', base],
    ]);
    const src = join(t.dir, 'heldfirst.mp4');
    ffmpeg(['-i', base, '-c', 'copy', '-bsf:v', 'setts=pts=PTS:dts=DTS:duration=if(eq(N\\,99)\\,1.5/TB\\,DURATION)', src]);
    assert.equal(Number(videoStream(src).duration), 8.58, 'the generated source lasts 8.58 s');
    const out = join(t.dir, 'heldfirst.out.mp4');
    const job = transcode(src, out, ['--preset', 'veryfast']);
    const counts = (job.segments as Array<{ kind: string; frameCount: number }>).filter((x) => x.kind === 'video').map((x) => x.frameCount);
    assert.equal(counts.at(-1), 2, `the last segment is the two frames after the gap: ${counts.join(', ')}`);
    const dur = Number(videoStream(out).duration);
    assert.ok(Math.abs(dur - 8.58) < 0.01, `video track lasts ${dur} s, source 8.58 s`);
  });

  it('a VFR Annex-B MKV with a timing gap, cut every second: the frame before the gap is coded as one pass codes it (regression: 7.8 dB below)', () => {
    // 30 fps (time base 1/30, so whole ticks: no two frames at one time), then 1.5 s without a frame (a screen
    // recording that had nothing to show), a keyframe every second, blocks in Annex-B: cut every second, a segment
    // ends on the frame before the gap. x264 weighs a frame by how long it shows and learns that from the next
    // frame's timestamp, which a segment that ends there did not have.
    const base = join(t.dir, 'gap.base.mkv');
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30:d=5'],
      ...['-vf', "setpts='N+if(gte(N,60),45,0)'", '-fps_mode', 'passthrough'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-g', '30', base],
    ]);
    const src = join(t.dir, 'gap.mkv');
    toAnnexBMatroska(base, src);
    const errorLines = (p: string): number =>
      spawnSync('ffmpeg', ['-v', 'error', '-i', p, '-f', 'null', '-'], { encoding: 'utf8' }).stderr.split('\n').filter(Boolean).length;
    assert.ok(errorLines(src) > 0, 'ffmpeg reads the Annex-B blocks with errors, as it reads the real files');
    const ref = join(t.dir, 'gap.ref.mp4');
    ffmpeg(['-i', src, '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', ref]);
    const out = join(t.dir, 'gap.out.mp4');
    const job = transcode(src, out, ['--preset', 'veryfast']);
    const starts = (job.segments as Array<{ kind: string; startFrame: number }>).filter((x) => x.kind === 'video').map((x) => x.startFrame);
    assert.ok(starts.includes(60), `a segment starts after the gap: ${starts.join(', ')}`);
    assert.equal(errorLines(out), 0, 'the output decodes cleanly');
    const ours = framePsnr(out, src);
    const one = framePsnr(ref, src);
    assert.equal(ours.length, 150);
    for (let f = 55; f < 60; f++) {
      // Before: frame 59 at 39.96 dB against the one-pass encode's 47.73.
      assert.ok(ours[f]! > one[f]! - 3, `frame ${f}: ${ours[f]} dB, one pass ${one[f]} dB`);
    }
  });

  it('B-frames at the end: the MP4 track lasts the video span and Matroska its source (regressions: 23.90 fps for 24, a 10 s MKV of 4 minutes)', () => {
    const src = join(t.dir, 'bframes24.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=24:d=4', '-c:v', 'libx264', '-preset', 'veryfast', src]);
    // veryfast keeps 3 B-frames: the last packet decoded is not the last frame shown.
    const mp4 = join(t.dir, 'bframes24.out.mp4');
    transcode(src, mp4, ['--preset', 'veryfast']);
    const v = ffprobeJson(mp4, 'stream=avg_frame_rate,duration', ['-select_streams', 'v:0']).streams[0];
    assert.equal(v.avg_frame_rate, '24/1');
    assert.equal(Number(v.duration), 4);
    const mkv = join(t.dir, 'bframes24.out.mkv');
    transcode(src, mkv, ['--preset', 'veryfast']);
    const f = Number(ffprobeJson(mkv, 'format=duration').format.duration);
    assert.ok(Math.abs(f - 4) < 0.05, `the Matroska output lasts ${f} s, its source 4 s`);
  });
});
