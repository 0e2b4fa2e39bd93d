/**
 * `--video-codec` takes the other names people type for a codec: h265/x265 for hevc, avc/x264 for h264 (issue
 * 27, item 7), in any case; a name that is no codec is refused with the names it takes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { parseVideoCodec, VIDEO_CODEC_ALIASES } from '../../src/core/profile.js';
import { jobOptionsProperties } from '../../src/server/schemas.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';

describe('--video-codec names', () => {
  const cases: Array<[string, string]> = [
    ['h264', 'h264'],
    ['avc', 'h264'],
    ['x264', 'h264'],
    ['libx264', 'h264'],
    ['hevc', 'hevc'],
    ['h265', 'hevc'],
    ['H265', 'hevc'],
    ['x265', 'hevc'],
    ['libx265', 'hevc'],
    ['vp9', 'vp9'],
    ['av1', 'av1'],
  ];
  for (const [name, codec] of cases) {
    it(`${name} is ${codec}`, () => {
      assert.equal(parseVideoCodec(name), codec);
      assert.equal(parseTranscodeOptions({ videoCodec: name }, 'out.mkv').profile.videoCodec, codec);
    });
  }

  it("h265 gets hevc's default CRF and fits an mp4", () => {
    const p = parseTranscodeOptions({ videoCodec: 'h265' }, 'out.mp4').profile;
    assert.equal(p.videoCodec, 'hevc');
    assert.equal(p.crf, 28);
  });

  it('h265 is a ladder codec like hevc', () => {
    assert.equal(parseTranscodeOptions({ videoCodec: 'h265' }, 'hls/master.m3u8').profile.videoCodec, 'hevc');
  });

  for (const bad of ['h266', 'mpeg2', '', 'toString', 'constructor']) {
    it(`"${bad}" is refused`, () => {
      assert.equal(parseVideoCodec(bad), undefined);
      assert.throws(
        () => parseTranscodeOptions({ videoCodec: bad }, 'out.mkv'),
        (e: unknown) => {
          assert.ok(e instanceof UsageError);
          assert.match(e.message, /--video-codec must be one of h264 \(avc, x264\), hevc \(h265, x265\), vp9, av1/);
          return true;
        },
      );
    });
  }
});

describe('the API takes the names the CLI takes', () => {
  it("POST /api/jobs's videoCodec enum is the alias table's names", () => {
    assert.deepEqual([...jobOptionsProperties.videoCodec.enum].sort(), Object.keys(VIDEO_CODEC_ALIASES).sort());
  });
});
