/**
 * Table tests for the output picture format: bit depth, chroma and range kept from the source, HDR10 static
 * metadata written where the encoder can, and a notice for everything that is not kept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pictureFilters, colorArgs } from '../../src/core/ffmpeg-args.js';
import {
  checkPixelOptions,
  chooseOutputFormat,
  describePixelFormat,
  hdrEncoderParams,
  pixelFormatsFor,
} from '../../src/core/output-format.js';
import { hdrFromSideData, parseFirstFrames } from '../../src/core/hdr-side-data.js';
import { resolveProfile } from '../../src/core/profile.js';
import type { ColorInfo, HdrMetadata, MediaAnalysis, VideoCodec, VideoInfo } from '../../src/core/types.js';

function video(pixelFormat: string, color: ColorInfo = {}, extra: Partial<VideoInfo> = {}): VideoInfo {
  return {
    streamIndex: 0,
    codec: 'hevc',
    width: 1920,
    height: 1080,
    pixelFormat,
    rotation: 0,
    color,
    frameRate: '30/1',
    avgFrameRate: '30/1',
    frameRateMode: 'cfr',
    timeBase: '1/30',
    frameTimes: [0],
    keyframeIndices: [0],
    lastFrameDuration: 1 / 30,
    ...extra,
  };
}
const profile = (videoCodec: VideoCodec, o: { pixelFormat?: string; bitDepth?: number } = {}) =>
  resolveProfile({ container: 'mkv', videoCodec, ...o });

const HDR: HdrMetadata = {
  masteringDisplay: {
    red: [0.68, 0.32],
    green: [0.265, 0.69],
    blue: [0.15, 0.06],
    whitePoint: [0.3127, 0.329],
    minLuminance: 0.0001,
    maxLuminance: 1000,
  },
  contentLight: { maxCll: 1000, maxFall: 400 },
};

describe('describePixelFormat', () => {
  const cases: Array<[string, string, number, boolean, boolean]> = [
    ['yuv420p', '420', 8, false, false],
    ['yuvj420p', '420', 8, false, true],
    ['yuv422p10le', '422', 10, false, false],
    ['yuv444p12be', '444', 12, false, false],
    ['yuva420p', '420', 8, true, false],
    ['yuv411p', '420', 8, false, false],
    ['nv12', '420', 8, false, false],
    ['p010le', '420', 10, false, false],
    ['nv16', '422', 8, false, false],
    ['gray10le', 'gray', 10, false, false],
    ['rgb24', 'rgb', 8, false, false],
    ['rgba', 'rgb', 8, true, false],
    ['gbrp10le', 'rgb', 10, false, false],
    ['rgb48le', 'rgb', 16, false, false],
  ];
  for (const [name, chroma, depth, alpha, full] of cases) {
    it(name, () => assert.deepEqual(describePixelFormat(name), { chroma, depth, alpha, fullRangeFormat: full }));
  }
});

describe('chooseOutputFormat: the source kept where the encoder can hold it', () => {
  const cases: Array<
    [name: string, src: string, codec: VideoCodec, opts: { pixelFormat?: string; bitDepth?: number }, out: string, notices: number]
  > = [
    ['8-bit 4:2:0 stays', 'yuv420p', 'h264', {}, 'yuv420p', 0],
    ['10-bit stays 10-bit in x264, with a notice (High 10 plays in few browsers)', 'yuv420p10le', 'h264', {}, 'yuv420p10le', 1],
    ['10-bit stays 10-bit in vp9', 'yuv420p10le', 'vp9', {}, 'yuv420p10le', 0],
    ['10-bit stays 10-bit in av1', 'yuv420p10le', 'av1', {}, 'yuv420p10le', 0],
    ['4:2:2 10-bit stays in hevc', 'yuv422p10le', 'hevc', {}, 'yuv422p10le', 0],
    ['4:2:2 into av1: 4:2:0 with a notice', 'yuv422p10le', 'av1', {}, 'yuv420p10le', 1],
    ['12-bit into x264: 10-bit with notices (depth, High 10)', 'yuv420p12le', 'h264', {}, 'yuv420p10le', 2],
    ['12-bit stays in hevc', 'yuv420p12le', 'hevc', {}, 'yuv420p12le', 0],
    ['full-range yuvj420p: yuv420p (range kept apart)', 'yuvj420p', 'h264', {}, 'yuv420p', 0],
    ['nv12 is 4:2:0 8-bit', 'nv12', 'h264', {}, 'yuv420p', 0],
    ['p010 is 10-bit', 'p010le', 'hevc', {}, 'yuv420p10le', 0],
    ['gray: 4:2:0', 'gray', 'h264', {}, 'yuv420p', 0],
    ['RGB: 4:2:0 with a notice', 'rgb24', 'h264', {}, 'yuv420p', 1],
    ['alpha dropped with a notice', 'yuva420p', 'vp9', {}, 'yuv420p', 1],
    ['--bit-depth 8 is the way down', 'yuv420p10le', 'h264', { bitDepth: 8 }, 'yuv420p', 0],
    ['--bit-depth 10 keeps 4:2:2', 'yuv422p', 'h264', { bitDepth: 10 }, 'yuv422p10le', 0],
    ['--pix-fmt overrides', 'yuv420p10le', 'hevc', { pixelFormat: 'yuv444p' }, 'yuv444p', 0],
  ];
  for (const [name, src, codec, opts, out, notices] of cases) {
    it(name, () => {
      const f = chooseOutputFormat(video(src), profile(codec, opts));
      assert.equal(f.pixelFormat, out);
      assert.equal(f.notices.length, notices, f.notices.join(' / '));
    });
  }

  it('10-bit or 4:2:2 H.264 kept as plain ffmpeg keeps it, with the option that makes it play everywhere', () => {
    const high10 = chooseOutputFormat(video('yuv420p10le'), profile('h264')).notices;
    assert.match(high10.join(), /10-bit 4:2:0 H\.264 \(High 10\).*--bit-depth 8/);
    const high422 = chooseOutputFormat(video('yuv422p'), profile('h264')).notices;
    assert.match(high422.join(), /High 4:2:2.*--pix-fmt yuv420p/);
    assert.deepEqual(chooseOutputFormat(video('yuv420p10le'), profile('h264', { bitDepth: 10 })).notices, [], 'asked for: no notice');
  });

  it('an interlaced source: encoded as plain ffmpeg does, with a notice naming --deinterlace; deinterlaced when asked', () => {
    const interlaced = video('yuv420p', {}, { fieldOrder: 'tt' });
    const kept = chooseOutputFormat(interlaced, profile('h264'));
    assert.equal(kept.deinterlace, undefined);
    assert.match(kept.notices.join(), /interlaced \(top field first\).*--deinterlace/);
    const asked = chooseOutputFormat(interlaced, resolveProfile({ container: 'mkv', videoCodec: 'h264', deinterlace: true }));
    assert.equal(asked.deinterlace, true);
    assert.deepEqual(asked.notices, []);
    assert.equal(pictureFilters(profile('h264'), asked)[0], 'bwdif=mode=send_frame:parity=auto:deint=all');
    assert.deepEqual(pictureFilters(profile('h264'), kept), ['format=yuv420p'], 'no deinterlacer unless asked');
    const progressive = chooseOutputFormat(video('yuv420p'), resolveProfile({ container: 'mkv', videoCodec: 'h264', deinterlace: true }));
    assert.match(progressive.notices.join(), /not interlaced/);
  });

  it('full range: from the tag, or from a yuvj format without a tag', () => {
    assert.equal(chooseOutputFormat(video('yuv420p', { range: 'pc' }), profile('h264')).fullRange, true);
    assert.equal(chooseOutputFormat(video('yuvj420p'), profile('h264')).fullRange, true);
    assert.equal(chooseOutputFormat(video('yuv420p', { range: 'tv' }), profile('h264')).fullRange, false);
    assert.equal(chooseOutputFormat(video('yuv420p'), profile('h264')).fullRange, false);
  });

  it('HDR10 metadata: written by x265 and SVT-AV1, dropped with a notice by x264 and libvpx', () => {
    const v = video('yuv420p10le', { primaries: 'bt2020', transfer: 'smpte2084', space: 'bt2020nc', range: 'tv' }, { hdr: HDR });
    for (const c of ['hevc', 'av1'] as const) {
      const f = chooseOutputFormat(v, profile(c));
      assert.deepEqual(f.hdr, HDR);
      assert.deepEqual(f.notices, []);
    }
    for (const c of ['h264', 'vp9'] as const) {
      const f = chooseOutputFormat(v, profile(c));
      assert.equal(f.hdr, undefined);
      assert.match(f.notices.join('\n'), /HDR10 static metadata .* dropped/);
    }
  });

  it('Dolby Vision: a notice for every codec', () => {
    const f = chooseOutputFormat(video('yuv420p10le', {}, { dolbyVision: true }), profile('hevc'));
    assert.match(f.notices.join('\n'), /Dolby Vision .* dropped/);
  });
});

describe('hdrEncoderParams', () => {
  it('x265: units of 0.00002 and 0.0001 cd/m², hdr10 on', () => {
    assert.deepEqual(hdrEncoderParams('hevc', HDR), [
      'hdr10=1',
      'master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)',
      'max-cll=1000,400',
    ]);
  });
  it('SVT-AV1: decimal chromaticities and cd/m²', () => {
    assert.deepEqual(hdrEncoderParams('av1', HDR), [
      'mastering-display=G(0.265,0.69)B(0.15,0.06)R(0.68,0.32)WP(0.3127,0.329)L(1000,0.0001)',
      'content-light=1000,400',
    ]);
  });
  it('content light alone; nothing without metadata or for other codecs', () => {
    assert.deepEqual(hdrEncoderParams('hevc', { contentLight: { maxCll: 500, maxFall: 100 } }), ['hdr10=1', 'max-cll=500,100']);
    assert.deepEqual(hdrEncoderParams('hevc', undefined), []);
    assert.deepEqual(hdrEncoderParams('h264', HDR), []);
  });
});

describe('hdrFromSideData (ffprobe side data of the stream and the first frames)', () => {
  const frames = JSON.stringify({
    frames: [
      {
        side_data_list: [
          {
            side_data_type: 'Mastering display metadata',
            red_x: '34000/50000',
            red_y: '16000/50000',
            green_x: '13250/50000',
            green_y: '34500/50000',
            blue_x: '7500/50000',
            blue_y: '3000/50000',
            white_point_x: '15635/50000',
            white_point_y: '16450/50000',
            min_luminance: '1/10000',
            max_luminance: '10000000/10000',
          },
          { side_data_type: 'Content light level metadata', max_content: 1000, max_average: 400 },
          { side_data_type: 'H.26[45] User Data Unregistered SEI message' },
        ],
      },
    ],
  });
  it('mastering display and content light level', () => {
    const r = hdrFromSideData(parseFirstFrames(frames));
    assert.deepEqual(r, { hdr: HDR, dolbyVision: false });
  });
  it('Dolby Vision configuration record', () => {
    assert.deepEqual(hdrFromSideData([{ side_data_type: 'DOVI configuration record', dv_profile: 8 }]), { dolbyVision: true });
  });
  it('nothing: no hdr', () => {
    assert.deepEqual(hdrFromSideData(parseFirstFrames('not json')), { dolbyVision: false });
  });
});

describe('checkPixelOptions (validated at the edge)', () => {
  it('accepts what the encoder takes, refuses the rest in one line', () => {
    assert.doesNotThrow(() => checkPixelOptions('h264', 'yuv422p10le', undefined));
    assert.throws(() => checkPixelOptions('av1', 'yuv422p', undefined), /--pix-fmt for av1 must be one of: yuv420p, yuv420p10le$/);
    assert.throws(() => checkPixelOptions('h264', undefined, 12), /--bit-depth for h264 must be one of: 8, 10/);
    assert.throws(() => checkPixelOptions('h264', 'yuv420p', 8), /not both/);
    assert.throws(() => resolveProfile({ container: 'mp4', pixelFormat: 'rgb24' }), /--pix-fmt for h264/);
  });
  it('pixelFormatsFor lists depth × chroma', () => {
    assert.deepEqual(pixelFormatsFor('av1'), ['yuv420p', 'yuv420p10le']);
    assert.equal(pixelFormatsFor('vp9').length, 12);
  });
});

describe('pictureFilters and colorArgs: full range kept full', () => {
  const analysis = (color: ColorInfo, pixelFormat = 'yuv420p') => ({ video: video(pixelFormat, color) }) as unknown as MediaAnalysis;
  it('full range: converted full to full, tagged pc', () => {
    const a = analysis({ range: 'pc' }, 'yuvj420p');
    const f = chooseOutputFormat(a.video, profile('h264'));
    assert.deepEqual(pictureFilters(profile('h264'), f), ['scale=in_range=pc:out_range=pc', 'format=yuv420p']);
    assert.deepEqual(colorArgs(a, f), ['-color_range', 'pc']);
  });
  it('full range with a resize: one scale filter', () => {
    const p = resolveProfile({ container: 'mp4', height: 720 });
    const f = chooseOutputFormat(video('yuvj420p'), p);
    assert.deepEqual(pictureFilters(p, f), ['scale=w=-2:h=720:in_range=pc:out_range=pc', 'format=yuv420p']);
  });
  it('limited or unknown range: no range options, the tag as the source has it', () => {
    const a = analysis({ range: 'tv', transfer: 'smpte2084' }, 'yuv420p10le');
    const f = chooseOutputFormat(a.video, profile('hevc'));
    assert.deepEqual(pictureFilters(profile('hevc'), f), ['format=yuv420p10le']);
    assert.deepEqual(colorArgs(a, f), ['-color_trc', 'smpte2084', '-color_range', 'tv']);
    assert.deepEqual(colorArgs(analysis({}), chooseOutputFormat(video('yuv420p'), profile('h264'))), []);
  });
});
