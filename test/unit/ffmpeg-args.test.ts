/**
 * Table tests for the per-segment and audio ffmpeg command lines, input quoting and the concat list.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildAudioEncodeArgs,
  buildConcatList,
  buildSegmentEncodeArgs,
  inputArgs,
  literalInput,
  probeInput,
  type SegmentEncodeInput,
} from '../../src/core/ffmpeg-args.js';
import { buildProbeArgs, buildSegmentCheckArgs } from '../../src/core/probe-args.js';
import { buildSegmentScoreArgs, FrameScoreParser, vmafFilter } from '../../src/core/segment-score.js';
import { segmentReadOf } from '../../src/core/cut-policy.js';
import { buildAnalysis } from '../../src/core/probe-parse.js';
import { parsePacketScan } from '../../src/core/packet-scan.js';
import { resolveProfile } from '../../src/core/profile.js';
import type { ColorInfo, EncodeProfile, MediaAnalysis, PlannedSegment, StreamInfo } from '../../src/core/types.js';

function analysisOf(
  o: { start?: number; times?: number[]; color?: ColorInfo; streamIndex?: number; audio?: StreamInfo[] } = {},
): MediaAnalysis {
  const times = o.times ?? Array.from({ length: 900 }, (_, i) => i / 30);
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    startTime: o.start ?? 0,
    duration: 30,
    durationFromContainer: true,
    sizeBytes: 1,
    video: {
      streamIndex: o.streamIndex ?? 0,
      codec: 'h264',
      width: 1280,
      height: 720,
      pixelFormat: 'yuv420p',
      rotation: 0,
      color: o.color ?? {},
      frameRate: '30/1',
      avgFrameRate: '30/1',
      frameRateMode: 'cfr',
      timeBase: '1/15360',
      frameTimes: times,
      keyframeIndices: [0],
      lastFrameDuration: 1 / 30,
    },
    audio: o.audio ?? [],
    subtitles: [],
    others: [],
  };
}

function segmentOf(analysis: MediaAnalysis, startFrame: number, frameCount: number, index = 1): PlannedSegment {
  const t = analysis.video.frameTimes;
  return {
    index,
    startFrame,
    frameCount,
    startTime: t[startFrame]!,
    endTime: t[startFrame + frameCount] ?? t.at(-1)! + 1 / 30,
    startsOnKeyframe: startFrame === 0,
  };
}

/** The args of a segment, its read window worked out from the full analysis as planning does. */
function input(
  o: Partial<Omit<SegmentEncodeInput, 'analysis' | 'segment'>> & {
    analysis?: MediaAnalysis;
    segment?: PlannedSegment;
    profile?: EncodeProfile;
  } = {},
): SegmentEncodeInput {
  const analysis = o.analysis ?? analysisOf();
  const segment = o.segment ?? segmentOf(analysis, 300, 300);
  return {
    sourceLocation: '/media/in.mp4',
    analysis,
    segment,
    read: segmentReadOf(analysis, segment),
    profile: o.profile ?? resolveProfile({ container: 'mp4' }),
    threads: 1,
    outputPath: '/tmp/job/v00001.mp4',
    ...o,
  };
}

/** The value following `flag` (first occurrence), or undefined. */
const valueOf = (args: string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
/** All values following each occurrence of `flag`. */
const valuesOf = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
/** True when `seq` appears contiguously in `args`. */
const hasSeq = (args: string[], seq: string[]): boolean => args.some((_, i) => seq.every((s, j) => args[i + j] === s));

describe('buildSegmentEncodeArgs: seeking', () => {
  const cases: Array<{ name: string; analysis: MediaAnalysis; startFrame: number; ss: string | undefined }> = [
    { name: 'first segment: no -ss', analysis: analysisOf(), startFrame: 0, ss: undefined },
    { name: 'frame 300 at 30 fps: halfway between 9.9667 and 10', analysis: analysisOf(), startFrame: 300, ss: '9.983333' },
    { name: 'frame 1', analysis: analysisOf(), startFrame: 1, ss: '0.016667' },
    {
      name: 'container start 1.4 s (MPEG-TS): seek relative to the container start',
      analysis: analysisOf({ start: 1.4, times: Array.from({ length: 500 }, (_, i) => 1.4 + i / 25) }),
      startFrame: 250,
      ss: '9.980000', // (11.36 + 11.40) / 2 - 1.4
    },
    {
      name: 'video starting after the container start (audio first)',
      analysis: analysisOf({ start: 0, times: Array.from({ length: 100 }, (_, i) => 0.5 + i / 25) }),
      startFrame: 50,
      ss: '2.480000', // (2.46 + 2.50) / 2
    },
    {
      name: 'times below 0 (edit list): relative to the negative start',
      analysis: analysisOf({ start: -2 / 30, times: Array.from({ length: 600 }, (_, i) => -2 / 30 + i / 30) }),
      startFrame: 300,
      ss: '9.983333',
    },
    {
      name: 'VFR: halfway between the two neighbouring frames',
      analysis: analysisOf({ times: [0, 0.1, 0.2, 3.2, 3.25] }),
      startFrame: 3,
      ss: '1.700000',
    },
  ];
  const keyframeCases: Array<{ name: string; analysis: MediaAnalysis; startFrame: number; ss: string }> = [
    {
      name: 'keyframe start, 1/15360 time base: a quarter tick before the keyframe (the demuxer lands on it)',
      analysis: analysisOf(),
      startFrame: 300,
      ss: '9.999984',
    },
    {
      name: 'keyframe start, container start 1.4 s, 1/90000: relative to the start',
      analysis: {
        ...analysisOf({ start: 1.4, times: Array.from({ length: 500 }, (_, i) => 1.4 + i / 25) }),
        video: { ...analysisOf().video, frameTimes: Array.from({ length: 500 }, (_, i) => 1.4 + i / 25), timeBase: '1/90000' },
      },
      startFrame: 250,
      ss: '9.999997',
    },
    {
      name: 'keyframe start, Matroska 1 ms: 0.25 ms before',
      analysis: { ...analysisOf(), video: { ...analysisOf().video, timeBase: '1/1000' } },
      startFrame: 300,
      ss: '9.999750',
    },
    {
      name: 'keyframe start, a 1 µs time base: the halfway point (too fine for the margin)',
      analysis: { ...analysisOf(), video: { ...analysisOf().video, timeBase: '1/1000000' } },
      startFrame: 300,
      ss: '9.983333',
    },
  ];
  for (const c of keyframeCases) {
    it(c.name, () => {
      const segment = { ...segmentOf(c.analysis, c.startFrame, 2), startsOnKeyframe: true };
      assert.equal(valueOf(buildSegmentEncodeArgs(input({ analysis: c.analysis, segment })), '-ss'), c.ss);
    });
  }

  for (const c of cases) {
    it(c.name, () => {
      const args = buildSegmentEncodeArgs(input({ analysis: c.analysis, segment: segmentOf(c.analysis, c.startFrame, 2) }));
      assert.equal(valueOf(args, '-ss'), c.ss);
      if (c.ss !== undefined) {
        assert.equal(valuesOf(args, '-ss').length, 1, 'one -ss');
        assert.ok(args.indexOf('-ss') < args.indexOf('-i'), '-ss comes before -i (input seeking)');
      } else {
        assert.ok(!args.includes('-ss'));
      }
    });
  }
});

describe('buildSegmentEncodeArgs: frames, timestamps, mapping, output', () => {
  it('-frames:v is the segment frame count', () => {
    for (const n of [1, 7, 300, 12345]) {
      const a = analysisOf({ times: Array.from({ length: 20000 }, (_, i) => i / 30) });
      const args = buildSegmentEncodeArgs(input({ analysis: a, segment: segmentOf(a, 10, n) }));
      assert.equal(valueOf(args, '-frames:v'), String(n));
    }
  });

  it('keeps source timestamps: -vsync passthrough -enc_time_base -1, rebased with setpts', () => {
    const args = buildSegmentEncodeArgs(input());
    assert.ok(hasSeq(args, ['-vsync', 'passthrough', '-enc_time_base', '-1']));
    assert.ok(valueOf(args, '-vf')!.includes(',setpts=PTS-STARTPTS,'));
  });

  it('keeps its frames by source time (a decode that starts late comes out short), seek or pre-roll', () => {
    for (const method of ['seek', 'preroll'] as const) {
      const args = buildSegmentEncodeArgs(input({ method }));
      assert.ok(args.includes('-copyts'), method);
      // Frames 300-599 at 30 fps: halfway to the frames either side.
      assert.ok(valueOf(args, '-vf')!.startsWith('trim=start=9.983333:end=19.983333,setpts=PTS-STARTPTS,'), valueOf(args, '-vf'));
    }
    const first = buildSegmentEncodeArgs(input({ segment: segmentOf(analysisOf(), 0, 300, 0) }));
    assert.ok(valueOf(first, '-vf')!.startsWith('trim=end=9.983333,setpts'), valueOf(first, '-vf'));
  });

  // ffmpeg 4.x (libavcodec 58, the npm-shipped build) drops a frame with -enc_time_base -1.
  const timeBaseCases: Array<[avcodecMajor: number | undefined, withEncTimeBase: boolean]> = [
    [undefined, true],
    [0, true],
    [59, true],
    [60, true],
    [61, true],
    [58, false],
    [57, false],
  ];
  for (const [avcodecMajor, withEncTimeBase] of timeBaseCases) {
    it(`libavcodec ${avcodecMajor ?? 'unknown'}: -enc_time_base -1 ${withEncTimeBase ? 'present' : 'absent'}, -vsync passthrough always`, () => {
      const args = buildSegmentEncodeArgs(input(avcodecMajor === undefined ? {} : { avcodecMajor }));
      assert.equal(hasSeq(args, ['-enc_time_base', '-1']), withEncTimeBase);
      assert.equal(args.includes('-enc_time_base'), withEncTimeBase);
      assert.ok(hasSeq(args, ['-vsync', 'passthrough']));
    });
  }

  it('maps the analysed video stream only, drops audio/subtitles/data and metadata', () => {
    const args = buildSegmentEncodeArgs(input({ analysis: analysisOf({ streamIndex: 2 }) }));
    assert.deepEqual(valuesOf(args, '-map'), ['0:2']);
    for (const f of ['-an', '-sn', '-dn']) assert.ok(args.includes(f), f);
    assert.equal(valueOf(args, '-map_metadata'), '-1');
  });

  it('writes MP4 to the output path, last; never prompts', () => {
    const args = buildSegmentEncodeArgs(input());
    assert.equal(args.at(-1), '/tmp/job/v00001.mp4');
    assert.deepEqual(args.slice(-3, -1), ['-f', 'mp4']);
    assert.ok(args.includes('-nostdin') && args.includes('-y'));
  });

  it('the source is one literal argument after -i', () => {
    const args = buildSegmentEncodeArgs(input({ sourceLocation: "/media/-x $(rm -rf ~) it's.mp4" }));
    assert.equal(valueOf(args, '-i'), "file:/media/-x $(rm -rf ~) it's.mp4");
  });
});

describe('inputs read over http(s) reconnect (regression: a dropped connection ended the read as if the file ended)', () => {
  const url = 'https://bucket.s3.us-east-1.amazonaws.com/in.mkv?X-Amz-Signature=abc';
  const reconnect = [
    '-reconnect',
    '1',
    '-reconnect_on_network_error',
    '1',
    '-reconnect_on_http_error',
    '5xx',
    '-reconnect_delay_max',
    '10',
  ];
  it('a presigned URL gets the reconnect options right before it, for ffmpeg and ffprobe', () => {
    assert.deepEqual(inputArgs(url), [...reconnect, '-i', url]);
    assert.deepEqual(probeInput(url), [...reconnect, url]);
    const args = buildSegmentEncodeArgs(input({ sourceLocation: url }));
    assert.ok(hasSeq(args, [...reconnect, '-i', url]));
    const probe = buildProbeArgs(url);
    assert.deepEqual(probe.slice(-reconnect.length - 1), [...reconnect, url]);
  });
  it('a local path gets none', () => {
    assert.deepEqual(inputArgs('/media/in.mkv'), ['-i', 'file:/media/in.mkv']);
    assert.ok(!buildSegmentEncodeArgs(input()).includes('-reconnect'));
  });
});

describe('buildSegmentEncodeArgs: scale filter', () => {
  const cases: Array<[name: string, dims: { width?: number; height?: number }, vf: string]> = [
    ['no size: setpts and the pixel format only', {}, 'setpts=PTS-STARTPTS,format=yuv420p'],
    ['height only: width follows, even', { height: 480 }, 'setpts=PTS-STARTPTS,scale=w=-2:h=480,format=yuv420p'],
    ['width only: height follows, even', { width: 640 }, 'setpts=PTS-STARTPTS,scale=w=640:h=-2,format=yuv420p'],
    [
      'both: fit inside, keep aspect, even',
      { width: 640, height: 480 },
      'setpts=PTS-STARTPTS,scale=w=640:h=480:force_original_aspect_ratio=decrease:force_divisible_by=2,format=yuv420p',
    ],
  ];
  for (const [name, dims, vf] of cases) {
    it(name, () => {
      const args = buildSegmentEncodeArgs(input({ profile: resolveProfile({ container: 'mp4', ...dims }) }));
      assert.equal(valueOf(args, '-vf'), `trim=start=9.983333:end=19.983333,${vf}`);
      assert.equal(valuesOf(args, '-vf').length, 1);
    });
  }
});

describe('buildSegmentEncodeArgs: encoder per codec', () => {
  const cases: Array<{ codec: 'h264' | 'hevc' | 'vp9' | 'av1'; threads: number; seqs: string[][]; absent?: string[] }> = [
    { codec: 'h264', threads: 1, seqs: [['-c:v', 'libx264', '-preset', 'medium', '-crf', '23', '-pix_fmt', 'yuv420p', '-threads', '1']] },
    {
      codec: 'h264',
      threads: 4,
      seqs: [
        ['-c:v', 'libx264'],
        ['-pix_fmt', 'yuv420p', '-threads', '4'],
      ],
    },
    {
      codec: 'hevc',
      threads: 2,
      seqs: [
        ['-c:v', 'libx265', '-preset', 'medium', '-crf', '28'],
        ['-x265-params', 'log-level=error:pools=2'],
      ],
    },
    {
      codec: 'vp9',
      threads: 1,
      seqs: [
        ['-c:v', 'libvpx-vp9', '-deadline', 'good', '-cpu-used', '3', '-crf', '33'],
        ['-pix_fmt', 'yuv420p', '-b:v', '0', '-g', '240', '-threads', '1'],
      ],
      absent: ['-row-mt'],
    },
    { codec: 'vp9', threads: 2, seqs: [['-b:v', '0', '-g', '240', '-threads', '2', '-row-mt', '1']] },
    {
      codec: 'av1',
      threads: 3,
      seqs: [
        ['-c:v', 'libsvtav1', '-preset', '7', '-crf', '35'],
        ['-svtav1-params', 'lp=3'],
      ],
    },
  ];
  for (const c of cases) {
    it(`${c.codec}, ${c.threads} thread(s)`, () => {
      const args = buildSegmentEncodeArgs(
        input({ profile: resolveProfile({ container: 'mkv', videoCodec: c.codec }), threads: c.threads }),
      );
      for (const s of c.seqs) assert.ok(hasSeq(args, s), `expected ${s.join(' ')} in ${args.join(' ')}`);
      for (const a of c.absent ?? []) assert.ok(!args.includes(a), `unexpected ${a}`);
      // The decoder side is limited to the same thread count (the -threads before -i).
      assert.equal(args[args.indexOf('-threads') + 1], String(c.threads));
      assert.ok(args.indexOf('-threads') < args.indexOf('-i'));
    });
  }

  it('decoder threads (before -i) default to the encoder threads and can be set apart', () => {
    const same = buildSegmentEncodeArgs(input({ threads: 2 }));
    assert.deepEqual(valuesOf(same, '-threads'), ['2', '2']);
    const apart = buildSegmentEncodeArgs(input({ threads: 2, decodeThreads: 1 }));
    assert.deepEqual(valuesOf(apart, '-threads'), ['1', '2']);
    assert.ok(apart.indexOf('-threads') < apart.indexOf('-i'), 'the first -threads is the input (decoder) option');
  });

  it('crf, preset and pixel format from the profile', () => {
    const args = buildSegmentEncodeArgs(
      input({ profile: resolveProfile({ container: 'mp4', crf: 18, preset: 'slow', pixelFormat: 'yuv420p10le' }) }),
    );
    assert.equal(valueOf(args, '-crf'), '18');
    assert.equal(valueOf(args, '-preset'), 'slow');
    assert.equal(valueOf(args, '-pix_fmt'), 'yuv420p10le');
  });
});

describe('buildSegmentEncodeArgs: color metadata', () => {
  const flags = ['-color_primaries', '-color_trc', '-colorspace', '-color_range'];
  const cases: Array<[name: string, color: ColorInfo, expected: Record<string, string>]> = [
    ['none known: no color args', {}, {}],
    [
      'HDR10',
      { primaries: 'bt2020', transfer: 'smpte2084', space: 'bt2020nc', range: 'tv' },
      { '-color_primaries': 'bt2020', '-color_trc': 'smpte2084', '-colorspace': 'bt2020nc', '-color_range': 'tv' },
    ],
    ['range only', { range: 'pc' }, { '-color_range': 'pc' }],
    [
      'bt709 without range',
      { primaries: 'bt709', transfer: 'bt709', space: 'bt709' },
      { '-color_primaries': 'bt709', '-color_trc': 'bt709', '-colorspace': 'bt709' },
    ],
  ];
  for (const [name, color, expected] of cases) {
    it(name, () => {
      const args = buildSegmentEncodeArgs(input({ analysis: analysisOf({ color }) }));
      const got: Record<string, string> = {};
      for (const f of flags) if (args.includes(f)) got[f] = valueOf(args, f)!;
      assert.deepEqual(got, expected);
    });
  }

  it('"unknown" and "reserved" from ffprobe never reach the command line', () => {
    const json = {
      streams: [
        {
          index: 0,
          codec_type: 'video',
          codec_name: 'h264',
          color_range: 'unknown',
          color_space: 'reserved',
          color_transfer: 'unknown',
          color_primaries: 'bt709',
        },
      ],
      format: { start_time: '0', duration: '1' },
    };
    const scan = parsePacketScan(
      'stream_index=0|pts_time=0|dts_time=0|duration_time=0.04|flags=K__\nstream_index=0|pts_time=0.04|dts_time=0.04|duration_time=0.04|flags=___\n',
      0,
    );
    const analysis = buildAnalysis(json, scan.video, 1);
    const args = buildSegmentEncodeArgs(input({ analysis, segment: segmentOf(analysis, 0, 2, 0) }));
    assert.deepEqual(
      flags.filter((f) => args.includes(f)),
      ['-color_primaries'],
    );
    assert.ok(!args.includes('unknown') && !args.includes('reserved'));
  });
});

describe('literalInput', () => {
  const cases: Array<[name: string, location: string, expected: string]> = [
    ['plain absolute path', '/media/in.mp4', 'file:/media/in.mp4'],
    ['leading dash', '-i.mp4', 'file:-i.mp4'],
    ['leading dash, looks like an option', '-y', 'file:-y'],
    ['spaces', '/media/my clip (1).mp4', 'file:/media/my clip (1).mp4'],
    ['single and double quotes', `/media/it's "quoted".mp4`, `file:/media/it's "quoted".mp4`],
    ['newline', '/media/two\nlines.mp4', 'file:/media/two\nlines.mp4'],
    ['command substitution', '/media/$(touch pwned).mp4', 'file:/media/$(touch pwned).mp4'],
    ['backticks and semicolon', '/media/`id`;rm.mp4', 'file:/media/`id`;rm.mp4'],
    ['non-ASCII letters', '/media/vidéo 日本語 ñ.mp4', 'file:/media/vidéo 日本語 ñ.mp4'],
    ['relative path with a colon', 'clips/a:b.mp4', 'file:clips/a:b.mp4'],
    ['http URL unchanged', 'http://127.0.0.1:9000/bucket/in.mp4', 'http://127.0.0.1:9000/bucket/in.mp4'],
    [
      'presigned https URL unchanged',
      'https://b.s3.amazonaws.com/k.mp4?X-Amz-Signature=abc&X-Amz-Date=1',
      'https://b.s3.amazonaws.com/k.mp4?X-Amz-Signature=abc&X-Amz-Date=1',
    ],
    ['upper-case scheme unchanged', 'HTTPS://example.com/x.mp4', 'HTTPS://example.com/x.mp4'],
  ];
  for (const [name, location, expected] of cases) {
    it(name, () => assert.equal(literalInput(location), expected));
  }
});

describe('buildAudioEncodeArgs', () => {
  const stereo: StreamInfo = { index: 1, type: 'audio', codec: 'aac', channels: 2 };
  const commentary: StreamInfo = { index: 3, type: 'audio', codec: 'ac3', channels: 6 };
  const base = { sourceLocation: '/media/-in.mkv', outputPath: '/tmp/job/audio.m4a' };

  const cases: Array<{
    name: string;
    audio: StreamInfo[];
    profile: EncodeProfile;
    seqs: string[][];
    maps: string[];
    format: string;
    absent?: string[];
  }> = [
    {
      name: 'aac 128k, one track',
      audio: [stereo],
      profile: resolveProfile({ container: 'mp4' }),
      seqs: [['-c:a', 'aac', '-b:a', '128k']],
      maps: ['0:1'],
      format: 'mp4',
      absent: ['-af'],
    },
    {
      name: 'aac 192k, every track mapped',
      audio: [stereo, commentary],
      profile: resolveProfile({ container: 'mkv', audioBitrateKbps: 192 }),
      seqs: [['-c:a', 'aac', '-b:a', '192k']],
      maps: ['0:1', '0:3'],
      format: 'mp4',
    },
    {
      name: 'opus into matroska, channel layouts libopus accepts',
      audio: [stereo, commentary],
      profile: resolveProfile({ container: 'webm' }),
      seqs: [
        ['-c:a', 'libopus', '-b:a', '128k'],
        ['-af', 'aformat=channel_layouts=7.1|5.1|stereo|mono'],
      ],
      maps: ['0:1', '0:3'],
      format: 'matroska',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const args = buildAudioEncodeArgs({ ...base, audio: c.audio, profile: c.profile });
      for (const s of c.seqs) assert.ok(hasSeq(args, s), `expected ${s.join(' ')}`);
      for (const a of c.absent ?? []) assert.ok(!args.includes(a));
      assert.deepEqual(valuesOf(args, '-map'), c.maps);
      assert.equal(valueOf(args, '-f'), c.format);
      assert.equal(valueOf(args, '-i'), 'file:/media/-in.mkv');
      assert.ok(args.includes('-vn') && args.includes('-sn') && args.includes('-dn'));
      assert.equal(args.at(-1), '/tmp/job/audio.m4a');
    });
  }

  for (const codec of ['copy', 'none'] as const) {
    it(`audio codec ${codec} is not encoded: throws`, () => {
      assert.throws(
        () => buildAudioEncodeArgs({ ...base, audio: [stereo], profile: resolveProfile({ container: 'mp4', audioCodec: codec }) }),
        /not encoded/,
      );
    });
  }
});

describe('buildConcatList', () => {
  const cases: Array<[name: string, entries: Array<{ location: string; duration: number }>, expected: string]> = [
    ['empty', [], 'ffconcat version 1.0\n'],
    [
      'two segments with durations to the microsecond',
      [
        { location: '/tmp/j/v00000.mp4', duration: 10 },
        { location: '/tmp/j/v00001.mp4', duration: 1 / 3 },
      ],
      "ffconcat version 1.0\nfile '/tmp/j/v00000.mp4'\nduration 10.000000\nfile '/tmp/j/v00001.mp4'\nduration 0.333333\n",
    ],
    [
      'a single quote is closed, escaped, reopened',
      [{ location: "/tmp/it's.mp4", duration: 2 }],
      "ffconcat version 1.0\nfile '/tmp/it'\\''s.mp4'\nduration 2.000000\n",
    ],
    ['two quotes', [{ location: "/a'b'c", duration: 1 }], "ffconcat version 1.0\nfile '/a'\\''b'\\''c'\nduration 1.000000\n"],
    [
      'spaces and dollar signs stay inside the quotes',
      [{ location: '/tmp/a b/$x.mp4', duration: 1 }],
      "ffconcat version 1.0\nfile '/tmp/a b/$x.mp4'\nduration 1.000000\n",
    ],
  ];
  for (const [name, entries, expected] of cases) {
    it(name, () => assert.equal(buildConcatList(entries), expected));
  }
  it('an http(s) entry carries the reconnect options, as its own (regression: a reset mid-read cut the merge short)', () => {
    const url = 'https://b.s3.amazonaws.com/j/v00001.mp4?X-Amz-Signature=abc';
    assert.equal(
      buildConcatList([
        { location: '/tmp/j/v00000.mp4', duration: 1 },
        { location: url, duration: 1 },
      ]),
      [
        'ffconcat version 1.0',
        "file '/tmp/j/v00000.mp4'",
        'duration 1.000000',
        `file '${url}'`,
        'option reconnect 1',
        'option reconnect_on_network_error 1',
        'option reconnect_on_http_error 5xx',
        'option reconnect_delay_max 10',
        'duration 1.000000',
        '',
      ].join('\n'),
    );
  });
});

describe('buildSegmentCheckArgs', () => {
  it('decodes one thread, without the deblocking filter, counting frames of the first video stream', () => {
    const a = buildSegmentCheckArgs('/tmp/-seg 1.mp4');
    assert.deepEqual(a.slice(0, 7), ['-v', 'error', '-threads', '1', '-skip_loop_filter', 'all', '-count_frames']);
    assert.equal(a.at(-1), 'file:/tmp/-seg 1.mp4', 'the path is read literally (a leading dash is no option)');
  });
});

describe('buildSegmentEncodeArgs: later segments start warm (x264)', () => {
  it('a segment after the first: its keyframe gets the mid-stream ipratio and the info SEI is not repeated', () => {
    const args = buildSegmentEncodeArgs(input());
    assert.equal(valueOf(args, '-x264-params'), 'zones=0,0,b=1.4');
    assert.equal(valueOf(args, '-bsf:v'), 'filter_units=remove_types=6');
  });
  it('the first segment is the stream start: neither', () => {
    const a = analysisOf();
    const args = buildSegmentEncodeArgs(input({ analysis: a, segment: segmentOf(a, 0, 300, 0) }));
    assert.equal(args.includes('-x264-params'), false);
    assert.equal(args.includes('-bsf:v'), false);
  });
  it('other encoders: untouched', () => {
    const args = buildSegmentEncodeArgs(input({ profile: resolveProfile({ container: 'mkv', videoCodec: 'vp9' }) }));
    assert.equal(args.includes('-bsf:v'), false);
  });
});

describe('buildSegmentEncodeArgs: a last frame that lasts unlike the one before (a VFR gap)', () => {
  // 30 fps with a 1.5 s gap after frame 599: frames 300-599 end on the frame before the gap.
  const gap = analysisOf({ times: Array.from({ length: 900 }, (_, i) => i / 30 + (i >= 600 ? 1.5 : 0)) });
  const afterGap = 600 / 30 + 1.5;

  it('the read keeps the frame after the gap; x264 encodes it as an IDR and its packet is dropped', () => {
    const args = buildSegmentEncodeArgs(input({ analysis: gap, segment: segmentOf(gap, 300, 300) }));
    assert.equal(valueOf(args, '-frames:v'), '301');
    const end = Number(/end=([\d.]+)/.exec(valueOf(args, '-vf')!)![1]);
    assert.ok(end > afterGap && end < afterGap + 1 / 30, `trim end ${end}`);
    assert.equal(valueOf(args, '-force_key_frames'), 'expr:eq(n,300)');
    assert.equal(valueOf(args, '-forced-idr'), '1');
    assert.equal(valueOf(args, '-bsf:v'), 'filter_units=remove_types=6,noise=drop=gte(n\\,300)');
  });

  it('the first segment too (no other bitstream filter)', () => {
    const args = buildSegmentEncodeArgs(input({ analysis: gap, segment: segmentOf(gap, 0, 600, 0) }));
    assert.equal(valueOf(args, '-frames:v'), '601');
    assert.equal(valueOf(args, '-bsf:v'), 'noise=drop=gte(n\\,600)');
  });

  it('a segment that does not end on the gap, a CFR source and the last segment: none of it', () => {
    const cases: Array<[MediaAnalysis, number, number]> = [
      [gap, 300, 200],
      [gap, 600, 300],
      [analysisOf(), 300, 300],
    ];
    for (const [a, start, count] of cases) {
      const args = buildSegmentEncodeArgs(input({ analysis: a, segment: segmentOf(a, start, count) }));
      assert.equal(valueOf(args, '-frames:v'), String(count), `${start}+${count}`);
      assert.equal(args.includes('-force_key_frames'), false);
      assert.ok(!(valueOf(args, '-bsf:v') ?? '').includes('noise'));
    }
  });

  it('ms-rounded CFR timestamps are not a gap; a lone frame is weighed against the frame rate', () => {
    const rounded = analysisOf({ times: Array.from({ length: 900 }, (_, i) => Math.round((i * 1000) / 30) / 1000) });
    assert.equal(segmentReadOf(rounded, segmentOf(rounded, 300, 300)).tailFrame, undefined);
    assert.equal(segmentReadOf(gap, segmentOf(gap, 599, 1)).tailFrame, true);
    assert.equal(segmentReadOf(gap, segmentOf(gap, 598, 1)).tailFrame, undefined);
  });

  it('encoders that take no durations from timestamps, and ffmpeg 4.x (no drop expression), read it but leave it', () => {
    for (const o of [{ profile: resolveProfile({ container: 'mkv', videoCodec: 'vp9' }) }, { avcodecMajor: 58 }]) {
      const args = buildSegmentEncodeArgs(input({ analysis: gap, segment: segmentOf(gap, 300, 300), ...o }));
      assert.equal(valueOf(args, '-frames:v'), '300');
      assert.equal(args.includes('-force_key_frames'), false);
    }
  });
});

describe('quality probes and segment scoring (--target-quality)', () => {
  it('a probe encodes runs of the segment at the asked CRF, with no tail frame', () => {
    const a = buildSegmentEncodeArgs(
      input({ sample: { run: 24, every: 120 }, profile: { ...resolveProfile({ container: 'mp4' }), crf: 31.5 } }),
    );
    assert.equal(valueOf(a, '-crf'), '31.5');
    assert.equal(valueOf(a, '-frames:v'), '72'); // 300 frames: runs at 0, 120, 240 (the last cut to 24 by the count)
    assert.match(valueOf(a, '-vf')!, /,select=lt\(mod\(n\\,120\)\\,24\)$/);
  });

  it("the score reads the source through the encode's own filters and pairs frames by index", () => {
    const base = input({ profile: resolveProfile({ container: 'mp4', height: 360 }) });
    const enc = buildSegmentEncodeArgs(base);
    const score = buildSegmentScoreArgs({ ...base, encoded: '/tmp/job/v1.c23', metric: 'ssim' });
    const graph = valueOf(score, '-filter_complex')!;
    // The same seek and input as the encode, then the encoded file.
    assert.deepEqual(score.slice(0, score.indexOf('-filter_complex') - 2), enc.slice(0, enc.indexOf('-map')));
    assert.deepEqual(score.slice(score.indexOf('-filter_complex') - 2, score.indexOf('-filter_complex')), ['-i', 'file:/tmp/job/v1.c23']);
    assert.ok(graph.startsWith(`[0:0]${valueOf(enc, '-vf')},trim=end_frame=300,settb=AVTB,setpts=N[ref]`), graph);
    assert.match(graph, /\[1:v:0\]settb=AVTB,setpts=N\[out\];\[out\]\[ref\]ssim=shortest=1,metadata=mode=print:file=-$/);
    const vmaf = valueOf(
      buildSegmentScoreArgs({
        ...base,
        encoded: '/e',
        metric: 'vmaf',
        vmaf: { api: 1, modelPath: '/m/vmaf v0.6.1.pkl' },
        vmafLog: '/tmp/job/v1.c23.vmaf.json',
      }),
      '-filter_complex',
    )!;
    assert.match(
      vmaf,
      /\[out\]\[ref\]libvmaf=model_path='\/m\/vmaf v0\.6\.1\.pkl':log_fmt=json:log_path='\/tmp\/job\/v1\.c23\.vmaf\.json':n_threads=1$/,
    );
    assert.match(vmafFilter({ api: 2 }, 4, '/l.json'), /^libvmaf=model=version=vmaf_v0\.6\.1:.*n_threads=4$/);
  });

  it('per-frame scores from metadata lines and from a libvmaf JSON log', () => {
    const p = new FrameScoreParser('psnr');
    for (const l of ['frame:0    pts:0', 'lavfi.psnr.mse_avg=1.2', 'lavfi.psnr.psnr_avg=41.5', 'frame:1 pts:1', 'lavfi.psnr.psnr_avg=inf'])
      p.line(l);
    assert.deepEqual(p.scores, [41.5, 100]);
    const v = new FrameScoreParser('vmaf');
    for (const l of [
      '  "frames":[',
      '        "motion2":0.0,',
      '        "vmaf":97.42804',
      '        "vmaf": 91.5,',
      '  "VMAF score":94.4,',
      '    "vmaf": {',
    ])
      v.line(l);
    assert.deepEqual(v.scores, [97.42804, 91.5]);
  });
});
