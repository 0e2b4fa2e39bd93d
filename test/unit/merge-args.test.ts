/**
 * Table tests for the merge command line, the subtitle plan and the audio-copy check.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { audioCopyConflicts, buildMergeArgs, planSubtitles, type MergeInput } from '../../src/core/merge-args.js';
import { mergeReadErrors } from '../../src/app/outputs/single-file/merge-job.js';
import { resolveProfile, type ProfileInput } from '../../src/core/profile.js';
import type { Container, MediaAnalysis, StreamInfo } from '../../src/core/types.js';

const aac: StreamInfo = { index: 1, type: 'audio', codec: 'aac', channels: 2 };
const srt: StreamInfo = { index: 2, type: 'subtitle', codec: 'subrip', language: 'eng' };
const ass: StreamInfo = { index: 3, type: 'subtitle', codec: 'ass' };
const pgs: StreamInfo = { index: 4, type: 'subtitle', codec: 'hdmv_pgs_subtitle' };
const dvdsub: StreamInfo = { index: 5, type: 'subtitle', codec: 'dvd_subtitle' };
const movText: StreamInfo = { index: 6, type: 'subtitle', codec: 'mov_text' };
const webvtt: StreamInfo = { index: 7, type: 'subtitle', codec: 'webvtt' };
const font: StreamInfo = { index: 8, type: 'attachment', codec: 'ttf' };

function analysisOf(
  o: { start?: number; firstFrame?: number; audio?: StreamInfo[]; subtitles?: StreamInfo[]; others?: StreamInfo[] } = {},
): MediaAnalysis {
  const first = o.firstFrame ?? o.start ?? 0;
  return {
    formatName: 'matroska,webm',
    startTime: o.start ?? 0,
    duration: 10,
    durationFromContainer: true,
    sizeBytes: 1,
    video: {
      streamIndex: 0,
      codec: 'h264',
      width: 1280,
      height: 720,
      pixelFormat: 'yuv420p',
      rotation: 0,
      color: {},
      frameRate: '25/1',
      avgFrameRate: '25/1',
      frameRateMode: 'cfr',
      timeBase: '1/1000',
      frameTimes: Array.from({ length: 250 }, (_, i) => first + i / 25),
      keyframeIndices: [0],
      lastFrameDuration: 0.04,
    },
    audio: o.audio ?? [aac],
    subtitles: o.subtitles ?? [],
    others: o.others ?? [],
  };
}

function merge(
  o: { analysis?: MediaAnalysis; profile?: Partial<ProfileInput>; container?: Container; audioPath?: string | null } = {},
): string[] {
  const container = o.container ?? 'mp4';
  const m: MergeInput = {
    analysis: o.analysis ?? analysisOf(),
    profile: resolveProfile({ container, ...o.profile }),
    concatListPath: '/tmp/job/concat.txt',
    sourceLocation: '/media/in put.mkv',
    outputPath: '/tmp/job/out.tmp',
  };
  if (o.audioPath !== null) m.audioPath = o.audioPath ?? '/tmp/job/audio.m4a';
  return buildMergeArgs(m);
}

const valueOf = (args: string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const valuesOf = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
const hasSeq = (args: string[], seq: string[]): boolean => args.some((_, i) => seq.every((s, j) => args[i + j] === s));

/** The inputs in order: each `-i` value with the options written just before it (after the previous input). */
function inputsOf(args: string[]): Array<{ url: string; options: string[] }> {
  const out: Array<{ url: string; options: string[] }> = [];
  let from = args.indexOf('-y') + 1;
  args.forEach((a, i) => {
    if (a !== '-i') return;
    out.push({ url: args[i + 1]!, options: args.slice(from, i).filter((x) => x !== '-copyts') });
    from = i + 2;
  });
  return out;
}

describe('buildMergeArgs: inputs and offsets', () => {
  it('concat list first, stream-copied video, source last for metadata and chapters', () => {
    const args = merge();
    const inputs = inputsOf(args);
    assert.deepEqual(
      inputs.map((i) => i.url),
      ['file:/tmp/job/concat.txt', 'file:/tmp/job/audio.m4a', 'file:/media/in put.mkv'],
    );
    assert.ok(hasSeq(inputs[0]!.options, ['-f', 'concat', '-safe', '0']));
    assert.ok(hasSeq(args, ['-c:v', 'copy']));
    assert.ok(hasSeq(args, ['-map', '0:v:0']));
    assert.equal(valueOf(args, '-map_metadata'), '2');
    assert.equal(valueOf(args, '-map_chapters'), '2');
    assert.ok(args.includes('-copyts'));
    assert.equal(args.at(-1), '/tmp/job/out.tmp');
  });

  const offsetCases: Array<{ name: string; start: number; firstFrame: number; video: string | undefined; source: string | undefined }> = [
    { name: 'video at the container start: no offsets', start: 0, firstFrame: 0, video: undefined, source: undefined },
    { name: 'video starts 0.5 s after the container start (audio first)', start: 0, firstFrame: 0.5, video: '0.500000', source: undefined },
    {
      name: 'MPEG-TS start 1.4 s, video first: source shifted back, video not',
      start: 1.4,
      firstFrame: 1.4,
      video: undefined,
      source: '-1.400000',
    },
    { name: 'MPEG-TS start 1.4 s, video at 1.5 s', start: 1.4, firstFrame: 1.5, video: '0.100000', source: '-1.400000' },
    { name: 'negative start (edit list), video first', start: -0.066, firstFrame: -0.066, video: undefined, source: '0.066000' },
  ];
  for (const c of offsetCases) {
    it(c.name, () => {
      const inputs = inputsOf(merge({ analysis: analysisOf({ start: c.start, firstFrame: c.firstFrame }) }));
      assert.equal(valueOf(inputs[0]!.options, '-itsoffset'), c.video, 'segments input offset');
      assert.equal(valueOf(inputs[1]!.options, '-itsoffset'), undefined, 'encoded audio is never shifted');
      assert.equal(valueOf(inputs.at(-1)!.options, '-itsoffset'), c.source, 'source input offset');
    });
  }
});

describe('buildMergeArgs: audio', () => {
  const cases: Array<{
    name: string;
    audioCodec: 'aac' | 'opus' | 'copy' | 'none';
    audio: StreamInfo[];
    audioPath?: string | null;
    container?: Container;
    inputs: number;
    audioMaps: string[];
    audioCopy: boolean;
  }> = [
    {
      name: 'aac encoded once: the audio file is input 1, all its tracks mapped',
      audioCodec: 'aac',
      audio: [aac],
      inputs: 3,
      audioMaps: ['1:a'],
      audioCopy: true,
    },
    {
      name: 'opus in mkv',
      audioCodec: 'opus',
      audio: [aac],
      container: 'mkv',
      audioPath: '/tmp/job/audio.mka',
      inputs: 3,
      audioMaps: ['1:a'],
      audioCopy: true,
    },
    {
      name: 'audio none: no audio input, source is input 1',
      audioCodec: 'none',
      audio: [aac],
      audioPath: null,
      inputs: 2,
      audioMaps: [],
      audioCopy: false,
    },
    {
      name: 'aac but the source has no audio: no audio input even if a path is given',
      audioCodec: 'aac',
      audio: [],
      inputs: 2,
      audioMaps: [],
      audioCopy: false,
    },
    {
      name: 'audio copy: every source audio stream mapped from the source input',
      audioCodec: 'copy',
      container: 'mkv',
      audioPath: null,
      audio: [aac, { index: 3, type: 'audio', codec: 'ac3' }],
      inputs: 2,
      audioMaps: ['1:1', '1:3'],
      audioCopy: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const args = merge({
        analysis: analysisOf({ audio: c.audio }),
        profile: { audioCodec: c.audioCodec },
        ...(c.container ? { container: c.container } : {}),
        ...(c.audioPath !== undefined ? { audioPath: c.audioPath } : {}),
      });
      assert.equal(inputsOf(args).length, c.inputs);
      const maps = valuesOf(args, '-map').filter((m) => m !== '0:v:0');
      assert.deepEqual(maps, c.audioMaps);
      assert.equal(hasSeq(args, ['-c:a', 'copy']), c.audioCopy);
      assert.equal(valueOf(args, '-map_metadata'), String(c.inputs - 1), 'metadata from the source, the last input');
    });
  }
});

describe('buildMergeArgs: subtitles, attachments, container flags', () => {
  const cases: Array<{ container: Container; subtitles: StreamInfo[]; expected: Array<[map: string, codec: string]> }> = [
    { container: 'mp4', subtitles: [srt], expected: [['2:2', 'mov_text']] },
    {
      container: 'mp4',
      subtitles: [srt, pgs, ass],
      expected: [
        ['2:2', 'mov_text'],
        ['2:3', 'mov_text'],
      ],
    },
    { container: 'mov', subtitles: [movText, dvdsub], expected: [['2:6', 'mov_text']] },
    {
      container: 'mkv',
      subtitles: [srt, pgs, dvdsub],
      expected: [
        ['2:2', 'copy'],
        ['2:4', 'copy'],
        ['2:5', 'copy'],
      ],
    },
    {
      container: 'webm',
      subtitles: [srt, pgs, webvtt],
      expected: [
        ['2:2', 'webvtt'],
        ['2:7', 'webvtt'],
      ],
    },
    { container: 'mp4', subtitles: [pgs, dvdsub], expected: [] },
  ];
  for (const c of cases) {
    it(`${c.container}: ${c.subtitles.map((s) => s.codec).join(', ')}`, () => {
      const audioPath = c.container === 'webm' ? '/tmp/job/audio.mka' : '/tmp/job/audio.m4a';
      const args = merge({ container: c.container, analysis: analysisOf({ subtitles: c.subtitles }), audioPath });
      const subMaps = valuesOf(args, '-map').filter((m) => m !== '0:v:0' && m !== '1:a');
      assert.deepEqual(
        subMaps,
        c.expected.map(([m]) => m),
      );
      c.expected.forEach(([, codec], i) => assert.equal(valueOf(args, `-c:s:${i}`), codec, `-c:s:${i}`));
      assert.equal(valueOf(args, `-c:s:${c.expected.length}`), undefined);
    });
  }

  it('attachments (fonts) are copied into mkv only', () => {
    const a = analysisOf({ others: [font, { index: 9, type: 'data', codec: 'bin_data' }] });
    const mkv = merge({ container: 'mkv', analysis: a });
    assert.ok(valuesOf(mkv, '-map').includes('2:8'));
    assert.ok(!valuesOf(mkv, '-map').includes('2:9'), 'data streams are not copied');
    assert.ok(hasSeq(mkv, ['-c:t', 'copy']));
    const mp4 = merge({ container: 'mp4', analysis: a });
    assert.ok(!valuesOf(mp4, '-map').includes('2:8'));
    assert.ok(!mp4.includes('-c:t'));
  });

  const flagCases: Array<{
    container: Container;
    videoCodec: 'h264' | 'hevc' | 'vp9' | 'av1';
    faststart: boolean;
    hvc1: boolean;
    muxer: string;
  }> = [
    { container: 'mp4', videoCodec: 'h264', faststart: true, hvc1: false, muxer: 'mp4' },
    { container: 'mp4', videoCodec: 'hevc', faststart: true, hvc1: true, muxer: 'mp4' },
    { container: 'mov', videoCodec: 'hevc', faststart: true, hvc1: true, muxer: 'mov' },
    { container: 'mov', videoCodec: 'h264', faststart: true, hvc1: false, muxer: 'mov' },
    { container: 'mp4', videoCodec: 'vp9', faststart: true, hvc1: false, muxer: 'mp4' },
    { container: 'mkv', videoCodec: 'hevc', faststart: false, hvc1: false, muxer: 'matroska' },
    { container: 'mkv', videoCodec: 'h264', faststart: false, hvc1: false, muxer: 'matroska' },
    { container: 'webm', videoCodec: 'vp9', faststart: false, hvc1: false, muxer: 'webm' },
    { container: 'webm', videoCodec: 'av1', faststart: false, hvc1: false, muxer: 'webm' },
  ];
  for (const c of flagCases) {
    it(`${c.videoCodec} in ${c.container}: faststart ${c.faststart}, hvc1 ${c.hvc1}, muxer ${c.muxer}`, () => {
      const audioPath = c.container === 'webm' ? '/tmp/job/audio.mka' : '/tmp/job/audio.m4a';
      const args = merge({ container: c.container, profile: { videoCodec: c.videoCodec }, audioPath });
      assert.equal(hasSeq(args, ['-movflags', '+faststart']), c.faststart);
      assert.equal(hasSeq(args, ['-tag:v', 'hvc1']), c.hvc1);
      assert.deepEqual(args.slice(-3), ['-f', c.muxer, '/tmp/job/out.tmp']);
    });
  }
});

describe('planSubtitles', () => {
  const all = [srt, ass, pgs, dvdsub, movText, webvtt];
  const cases: Array<[container: Container, keep: Array<[index: number, codec: string]>, dropped: number[]]> = [
    [
      'mp4',
      [
        [2, 'mov_text'],
        [3, 'mov_text'],
        [6, 'mov_text'],
        [7, 'mov_text'],
      ],
      [4, 5],
    ],
    [
      'mov',
      [
        [2, 'mov_text'],
        [3, 'mov_text'],
        [6, 'mov_text'],
        [7, 'mov_text'],
      ],
      [4, 5],
    ],
    [
      'mkv',
      [
        [2, 'copy'],
        [3, 'copy'],
        [4, 'copy'],
        [5, 'copy'],
        [6, 'copy'],
        [7, 'copy'],
      ],
      [],
    ],
    [
      'webm',
      [
        [2, 'webvtt'],
        [3, 'webvtt'],
        [6, 'webvtt'],
        [7, 'webvtt'],
      ],
      [4, 5],
    ],
  ];
  for (const [container, keep, dropped] of cases) {
    it(`${container}: text kept (converted as needed), bitmap ${dropped.length ? 'dropped' : 'copied'}`, () => {
      const plan = planSubtitles(analysisOf({ subtitles: all }), container);
      assert.deepEqual(
        plan.keep.map((k) => [k.stream.index, k.codec]),
        keep,
      );
      assert.deepEqual(
        plan.dropped.map((d) => d.index),
        dropped,
      );
    });
  }

  it('no subtitles: nothing kept, nothing dropped', () => {
    assert.deepEqual(planSubtitles(analysisOf(), 'mp4'), { keep: [], dropped: [] });
  });
});

describe('audioCopyConflicts', () => {
  const a = (...codecs: string[]): StreamInfo[] => codecs.map((codec, i) => ({ index: i + 1, type: 'audio', codec }));
  const cases: Array<[codecs: string[], container: Container, conflicts: string[]]> = [
    [['aac'], 'mp4', []],
    [['aac', 'ac3', 'eac3', 'mp3', 'opus', 'flac', 'alac'], 'mp4', []],
    [['vorbis'], 'mp4', ['vorbis']],
    [['dts', 'truehd'], 'mp4', ['dts', 'truehd']],
    [['pcm_s16le'], 'mov', []],
    [['opus'], 'mov', ['opus']],
    [['dts', 'vorbis', 'truehd', 'pcm_s24le'], 'mkv', []],
    [['opus', 'vorbis'], 'webm', []],
    [['aac', 'opus'], 'webm', ['aac']],
    [[], 'webm', []],
  ];
  for (const [codecs, container, conflicts] of cases) {
    it(`${codecs.join('+') || 'no audio'} into ${container} → ${conflicts.join(', ') || 'fits'}`, () => {
      assert.deepEqual(audioCopyConflicts(analysisOf({ audio: a(...codecs) }), container), conflicts);
    });
  }
});

describe('buildMergeArgs: the last frame keeps its duration', () => {
  // 250 frames at 25 fps from 1.5 s in a file starting at 1 s: the video starts 0.5 s in; last frame 2 s long.
  const a = analysisOf({ start: 1, firstFrame: 1.5 });
  a.video.lastFrameDuration = 2;
  // end = offset 0.5 + 249/25 s + the 2 s last frame; the last frame shown is at 10.46 s, the one before it
  // 0.04 s earlier: halfway is 10.44.
  const shown = 'gte(PTS\\,10.440000/TB)\\,12.460000/TB-PTS';
  const decoded = 'eq(N\\,249)\\,12.460000/TB-STARTPTS-DTS+STARTDTS';
  // Matroska's packets are in milliseconds by then, whatever the filter's TB says.
  const shownMs = shown.replace(/TB/g, '0.001');
  const decodedMs = decoded.replace(/TB/g, '0.001');
  const cases: Array<[Container, string]> = [
    // The last frame shown ends at the source's end; in MP4/MOV the last packet in decode order, when it is
    // another one, closes the track's decode-time length at the presentation span. When one packet is both, the
    // first test decides: the presentation's end (a VFR decode delay would cut it short).
    ['mp4', `setts=pts=PTS:dts=DTS:duration=if(${shown}\\,if(${decoded}\\,DURATION))`],
    ['mov', `setts=pts=PTS:dts=DTS:duration=if(${shown}\\,if(${decoded}\\,DURATION))`],
    // Matroska: the same, in milliseconds.
    ['mkv', `setts=pts=PTS:dts=DTS:duration=if(${shownMs}\\,if(${decodedMs}\\,DURATION))`],
    ['webm', `setts=pts=PTS:dts=DTS:duration=if(${shownMs}\\,if(${decodedMs}\\,DURATION))`],
  ];
  for (const [container, bsf] of cases) {
    it(`${container}: the last frame shown and the last packet decoded both end the video at the source's end`, () => {
      const args = merge({
        analysis: a,
        container,
        ...(container === 'webm' ? { profile: { videoCodec: 'vp9', audioCodec: 'opus' } } : {}),
      });
      assert.equal(args[args.indexOf('-bsf:v') + 1], bsf);
      assert.ok(args.indexOf('-bsf:v') > args.lastIndexOf('-i'), 'an output option');
    });
  }
});

describe('buildMergeArgs: ffmpeg 4.x has no setts filter', () => {
  it('libavcodec 58: no -bsf:v', () => {
    const m: MergeInput = {
      analysis: analysisOf(),
      profile: resolveProfile({ container: 'mp4' }),
      concatListPath: '/c',
      sourceLocation: '/s',
      outputPath: '/o',
      avcodecMajor: 58,
    };
    assert.equal(buildMergeArgs(m).includes('-bsf:v'), false);
    assert.equal(buildMergeArgs({ ...m, avcodecMajor: 59 }).includes('-bsf:v'), true);
  });
});

describe('mergeReadErrors: a segment read cut short, told from a merge that read everything', () => {
  it("finds ffmpeg's read failures in the merge's stderr, and nothing in a clean one", () => {
    const cut = [
      '[https @ 0x5581] Stream ends prematurely at 2000, should be 48211',
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55c0] stream 0, offset 0x7d0: partial file',
      "[concat @ 0x55a] Impossible to open 'https://b.s3/j/v00001.mp4?X-Amz-Signature=x'",
      '[https @ 0x55] HTTP error 503 Service Unavailable',
      '[https @ 0x56] https://b.s3/j/v00001.mp4?(presigned): Server returned 5XX Server Error reply',
    ];
    assert.deepEqual(mergeReadErrors(cut.join('\n')), cut);
    assert.deepEqual(mergeReadErrors(''), []);
    assert.deepEqual(mergeReadErrors('[mp4 @ 0x1] Non-monotonous DTS in output stream 0:0; previous: 1, current: 1; changing to 2.\n'), []);
  });
});
