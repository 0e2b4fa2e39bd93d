/**
 * Table tests for thumbnails (core/thumbnails.ts): which frame each thumbnail is and which segment makes it (one
 * per time, exactly one segment each, at segment edges too), the extra outputs of a segment's encode, the sprite
 * sheets, the WebVTT map's cues and rectangles, and where the files land.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSegmentEncodeArgs, type SegmentEncodeInput } from '../../src/core/ffmpeg-args.js';
import { buildLadderEncodeArgs } from '../../src/core/ladder-args.js';
import { resolveProfile } from '../../src/core/profile.js';
import {
  distinctFrames,
  frameSelect,
  frameShownAt,
  outputDuration,
  posterWidth,
  thumbnailOutputArgs,
  thumbnailsOfSegments,
  thumbnailTimes,
  withThumbnails,
  type ThumbnailOutputs,
} from '../../src/core/thumbnails.js';
import {
  buildSpriteArgs,
  spriteSheets,
  thumbnailCues,
  thumbnailsLocation,
  thumbnailsVtt,
  vttTime,
} from '../../src/core/thumbnail-sheets.js';
import type { AnalysisHead } from '../../src/core/types.js';

const cfr = (n: number, fps: number, start = 0) => Array.from({ length: n }, (_, i) => start + i / fps);
const segs = (...counts: number[]) => {
  let at = 0;
  return counts.map((frameCount, index) => {
    const s = { index, startFrame: at, frameCount };
    at += frameCount;
    return s;
  });
};

describe('thumbnails: the frame of each time', () => {
  const cases: Array<{ name: string; times: number[]; t: number; frame: number }> = [
    { name: 'a time on a frame is that frame', times: cfr(150, 25), t: 1, frame: 25 },
    { name: 'between two frames: the one on screen (the earlier)', times: cfr(150, 25), t: 1.03, frame: 25 },
    { name: 'just before a frame: still the one before', times: cfr(150, 25), t: 1.0399, frame: 25 },
    { name: 'a µs-rounded frame time counts as on time', times: [0, 0.033367, 0.066733, 0.1001], t: 0.1001 - 4e-7, frame: 3 },
    { name: 'the source timeline may not start at 0 (times are from its first frame)', times: cfr(150, 25, 1.4), t: 2, frame: 50 },
    { name: 'VFR: a long frame holds the time', times: [0, 0.5, 2.5, 2.6], t: 2, frame: 1 },
    { name: 'past the last frame: the last', times: [0, 0.5, 2.5, 2.6], t: 9, frame: 3 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(frameShownAt(c.times, c.t), c.frame));

  it('count is ceil(duration / every): one per time before the end', () => {
    const table: Array<[duration: number, every: number, times: number[]]> = [
      [6, 1, [0, 1, 2, 3, 4, 5]],
      [6.02, 1, [0, 1, 2, 3, 4, 5, 6]],
      [5.999, 1, [0, 1, 2, 3, 4, 5]],
      [6, 1.5, [0, 1.5, 3, 4.5]],
      [0.2, 10, [0]],
    ];
    for (const [d, e, times] of table) {
      assert.deepEqual(thumbnailTimes(d, e), times, `${d} s every ${e}`);
      assert.equal(times.length, Math.ceil(d / e));
    }
  });

  it("the output's duration runs from the first frame to the last one's end", () => {
    assert.ok(Math.abs(outputDuration({ frameTimes: cfr(150, 25, 1.4), lastFrameDuration: 0.04 }) - 6) < 1e-9);
  });
});

describe('thumbnails: shares of the segments', () => {
  const video = { frameTimes: cfr(150, 25), lastFrameDuration: 0.04 };

  it('6 s at 25 fps, 3 segments of 2 s, every 1 s: two each, the poster (0.6 s) in the first', () => {
    const m = thumbnailsOfSegments(video, { everySeconds: 1 }, segs(50, 50, 50));
    assert.deepEqual(
      [...m.entries()],
      [
        [0, { first: 0, frames: [0, 25], poster: 15 }],
        [1, { first: 2, frames: [0, 25] }],
        [2, { first: 4, frames: [0, 25] }],
      ],
    );
  });

  it('at a segment edge: a time on the first frame of a segment is that segment, just before it the one before', () => {
    // Cuts at frames 49 and 50; thumbnails at 0, 1.96 (frame 49) and 3.92 (frame 98).
    const m = thumbnailsOfSegments(video, { everySeconds: 1.96 }, segs(49, 1, 48, 52));
    assert.deepEqual(m.get(0), { first: 0, frames: [0], poster: 15 });
    assert.deepEqual(m.get(1), { first: 1, frames: [0] });
    assert.equal(m.has(2), false);
    assert.deepEqual(m.get(3), { first: 2, frames: [0, 49] });
    // Cut one frame later: 1.96 is the last frame of the first segment.
    const n = thumbnailsOfSegments(video, { everySeconds: 1.96 }, segs(50, 50, 50));
    assert.deepEqual(n.get(0), { first: 0, frames: [0, 49], poster: 15 });
    assert.deepEqual(n.get(1), { first: 2, frames: [48] });
  });

  it('every thumbnail is in exactly one segment, in order, whatever the cuts (seeded cuts)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 50; round++) {
      const counts: number[] = [];
      for (let left = 150; left > 0;) {
        const n = Math.min(left, 1 + Math.floor(rand() * 40));
        counts.push(n);
        left -= n;
      }
      const every = 0.5 + rand() * 2;
      const plan = segs(...counts);
      const m = thumbnailsOfSegments(video, { everySeconds: every }, plan);
      const frames = plan.flatMap((s) => (m.get(s.index)?.frames ?? []).map((f) => f + s.startFrame));
      const expected = thumbnailTimes(6, every).map((t) => frameShownAt(video.frameTimes, t));
      assert.deepEqual(frames, expected, `cuts ${counts.join(',')} every ${every}`);
      let next = 0;
      for (const s of plan) {
        const share = m.get(s.index);
        if (!share?.frames.length) continue;
        assert.equal(share.first, next);
        next += share.frames.length;
      }
      assert.equal([...m.values()].filter((s) => s.poster !== undefined).length, 1);
    }
  });

  it('a VFR gap longer than the interval: the same frame twice, written once', () => {
    const gap = { frameTimes: [0, 0.5, 2.5, 2.6], lastFrameDuration: 0.4 };
    const m = thumbnailsOfSegments(gap, { everySeconds: 1 }, segs(2, 2));
    assert.deepEqual(m.get(0), { first: 0, frames: [0, 1, 1], poster: 0 });
    assert.deepEqual(distinctFrames([0, 1, 1, 3, 3, 3]), [0, 1, 3]);
  });

  it('withThumbnails: video tasks get their share, the audio task none; no spec, no change', () => {
    const tasks = [
      { kind: 'video', index: 0, startFrame: 0, frameCount: 75 },
      { kind: 'video', index: 1, startFrame: 75, frameCount: 75 },
      { kind: 'audio', index: 0, startFrame: 0, frameCount: 0 },
    ];
    const out = withThumbnails(tasks, video, { everySeconds: 2, width: 160 });
    assert.deepEqual(
      out.map((t) => t.thumbnails),
      [{ first: 0, frames: [0, 50], poster: 15 }, { first: 2, frames: [25] }, undefined],
    );
    assert.equal(withThumbnails(tasks, video, undefined), tasks);
  });
});

describe('thumbnails: the outputs of a segment encode', () => {
  const outputs: ThumbnailOutputs = {
    thumbnails: { first: 2, frames: [0, 25], poster: 15 },
    width: 160,
    posterWidth: 640,
    pattern: '/s/v00001.mp4.thumb-%05d.jpg',
    posterPath: '/s/v00001.mp4.poster.jpg',
  };

  it('select of frames by number after the trim', () => {
    assert.equal(frameSelect([0, 25]), "select='eq(n\\,0)+eq(n\\,25)'");
  });

  it('a thumbnail output and a poster output, each reading the decoded stream through the trim', () => {
    const a = thumbnailOutputArgs(outputs, 0, 'trim=start=1.980000:end=4.020000', { deinterlace: false, fullRange: false });
    const vf = a.filter((_, i) => a[i - 1] === '-vf');
    assert.deepEqual(vf, [
      "trim=start=1.980000:end=4.020000,setpts=PTS-STARTPTS,select='eq(n\\,0)+eq(n\\,25)',scale=w=160:h='max(2\\,2*trunc(160/dar/2+0.5))':out_range=pc,setsar=1,format=yuvj420p",
      "trim=start=1.980000:end=4.020000,setpts=PTS-STARTPTS,select='eq(n\\,15)',scale=w=640:h='max(2\\,2*trunc(640/dar/2+0.5))':out_range=pc,setsar=1,format=yuvj420p",
    ]);
    assert.deepEqual(
      a.filter((_, i) => a[i - 1] === '-frames:v'),
      ['2', '1'],
    );
    assert.equal(a.filter((x) => x === '-map').length, 2);
    const thumbsEnd = a.indexOf('/s/v00001.mp4.thumb-%05d.jpg');
    assert.deepEqual(a.slice(thumbsEnd - 4, thumbsEnd + 1), ['-start_number', '0', '-f', 'image2', '/s/v00001.mp4.thumb-%05d.jpg']);
    assert.deepEqual(a.slice(-5), ['-update', '1', '-f', 'image2', '/s/v00001.mp4.poster.jpg']);
  });

  it('interlaced: deinterlaced as the encode is; full range: kept full', () => {
    const a = thumbnailOutputArgs({ ...outputs, thumbnails: { first: 0, frames: [3] } }, 2, 'null', { deinterlace: true, fullRange: true });
    const vf = a[a.indexOf('-vf') + 1]!;
    assert.equal(
      vf,
      "setpts=PTS-STARTPTS,bwdif=mode=send_frame:parity=auto:deint=all,select='eq(n\\,3)',scale=w=160:h='max(2\\,2*trunc(160/dar/2+0.5))':in_range=pc:out_range=pc,setsar=1,format=yuvj420p",
    );
    assert.deepEqual(a.slice(0, 2), ['-map', '0:2']);
    assert.equal(a.includes('-update'), false, 'no poster output where the segment holds no poster');
  });

  const analysis: AnalysisHead = {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    startTime: 0,
    duration: 6,
    durationFromContainer: true,
    sizeBytes: 1,
    video: {
      streamIndex: 0,
      codec: 'h264',
      width: 320,
      height: 180,
      pixelFormat: 'yuv420p',
      rotation: 0,
      color: {},
      frameRate: '25/1',
      avgFrameRate: '25/1',
      frameRateMode: 'cfr',
      timeBase: '1/12800',
      lastFrameDuration: 0.04,
    },
    audio: [],
    subtitles: [],
    others: [],
  };
  const input: SegmentEncodeInput = {
    sourceLocation: '/src.mp4',
    analysis,
    segment: { startFrame: 50, frameCount: 50 },
    read: { seekSeconds: 1.98, trim: 'trim=start=1.980000:end=4.020000' },
    profile: resolveProfile({ container: 'mp4' }),
    threads: 1,
    outputPath: '/s/v00001.mp4.partial',
  };

  it("a segment's encode: its own output unchanged, the thumbnails after it, the source read once", () => {
    const plain = buildSegmentEncodeArgs(input);
    const withThumbs = buildSegmentEncodeArgs({ ...input, thumbnails: outputs });
    assert.deepEqual(withThumbs.slice(0, plain.length), plain);
    assert.deepEqual(
      withThumbs.slice(plain.length),
      thumbnailOutputArgs(outputs, 0, input.read.trim, { deinterlace: false, fullRange: false }),
    );
    assert.equal(withThumbs.filter((x) => x === '-i').length, 1);
  });

  it("a quality probe's encode writes none", () => {
    const probe = { ...input, sample: { every: 10, run: 2 } };
    assert.deepEqual(buildSegmentEncodeArgs({ ...probe, thumbnails: outputs }), buildSegmentEncodeArgs(probe));
  });

  it("a ladder task's encode: every rung as before, the thumbnails after, one input", () => {
    const ladder = {
      ...input,
      rungs: [{ width: 320, height: 180, maxrateKbps: 800, outputPath: '/s/r180.mp4' }],
      segmentStarts: [0],
    };
    const plain = buildLadderEncodeArgs(ladder);
    const withThumbs = buildLadderEncodeArgs({ ...ladder, thumbnails: outputs });
    assert.deepEqual(withThumbs.slice(0, plain.length), plain);
    assert.equal(withThumbs.slice(plain.length).filter((x) => x === 'image2').length, 2);
    assert.equal(withThumbs.filter((x) => x === '-i').length, 1);
  });
});

describe('thumbnails: sprite sheets and their WebVTT map', () => {
  it('sheets of at most 100, 10 to a row', () => {
    assert.deepEqual(spriteSheets(6), [{ file: 'sprite-0.jpg', first: 0, count: 6, columns: 6, rows: 1 }]);
    assert.deepEqual(
      spriteSheets(250).map((s) => [s.file, s.first, s.count, s.columns, s.rows]),
      [
        ['sprite-0.jpg', 0, 100, 10, 10],
        ['sprite-1.jpg', 100, 100, 10, 10],
        ['sprite-2.jpg', 200, 50, 10, 5],
      ],
    );
    assert.deepEqual(
      spriteSheets(23).map((s) => [s.columns, s.rows]),
      [[10, 3]],
    );
  });

  it('a sheet is one tile of the JPEGs from its first, one image out', () => {
    const a = buildSpriteArgs({ file: 'sprite-1.jpg', first: 100, count: 5, columns: 5, rows: 1 }, '/s/in-%05d.jpg', '/s/sprite-1.jpg');
    assert.deepEqual(a.slice(a.indexOf('-start_number'), a.indexOf('-start_number') + 6), [
      '-start_number',
      '100',
      '-i',
      '/s/in-%05d.jpg',
      '-vf',
      'tile=5x1',
    ]);
    assert.equal(a[a.length - 1], '/s/sprite-1.jpg');
  });

  it('cues: from each time to the next, the last to the end; xywh in its sheet', () => {
    const cues = thumbnailCues(5.5, 1, 160, 90);
    assert.equal(cues.length, 6);
    assert.deepEqual(cues[1], { start: 1, end: 2, sheet: 'sprite-0.jpg', x: 160, y: 0, w: 160, h: 90 });
    assert.deepEqual(cues[5], { start: 5, end: 5.5, sheet: 'sprite-0.jpg', x: 800, y: 0, w: 160, h: 90 });
    const many = thumbnailCues(105, 1, 160, 90);
    assert.deepEqual(many[13], { start: 13, end: 14, sheet: 'sprite-0.jpg', x: 480, y: 90, w: 160, h: 90 });
    assert.deepEqual(many[99], { start: 99, end: 100, sheet: 'sprite-0.jpg', x: 1440, y: 810, w: 160, h: 90 });
    assert.deepEqual(many[104], { start: 104, end: 105, sheet: 'sprite-1.jpg', x: 640, y: 0, w: 160, h: 90 });
  });

  it('the WebVTT text', () => {
    assert.equal(
      thumbnailsVtt(thumbnailCues(1.5, 1, 160, 90)),
      'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nsprite-0.jpg#xywh=0,0,160,90\n\n00:00:01.000 --> 00:00:01.500\nsprite-0.jpg#xywh=160,0,160,90\n',
    );
    assert.equal(vttTime(3661.5), '01:01:01.500');
    assert.equal(vttTime(59.9996), '00:01:00.000');
  });
});

describe('thumbnails: where they land', () => {
  const table: Array<[output: string, ladder: boolean, expected: string]> = [
    ['/out/movie.mp4', false, '/out/movie.thumbs/poster.jpg'],
    ['/out/my.movie.mkv', false, '/out/my.movie.thumbs/poster.jpg'],
    ['s3://bucket/outputs/movie.mp4', false, 's3://bucket/outputs/movie.thumbs/poster.jpg'],
    ['/out/noext', false, '/out/noext.thumbs/poster.jpg'],
    ['/out/hls/master.m3u8', true, '/out/hls/thumbs/poster.jpg'],
    ['s3://bucket/hls/master.m3u8', true, 's3://bucket/hls/thumbs/poster.jpg'],
  ];
  for (const [output, ladder, expected] of table)
    it(`${output} -> ${expected}`, () => assert.equal(thumbnailsLocation(output, ladder, 'poster.jpg'), expected));

  it('the poster is at most 640 wide, and no wider than the output (even)', () => {
    assert.deepEqual([posterWidth(1920), posterWidth(320), posterWidth(321)], [640, 320, 320]);
  });
});
