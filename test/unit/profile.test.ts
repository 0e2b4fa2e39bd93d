/**
 * Table tests for encode profiles: defaults per container, codec/container conflicts, CRF and size checks,
 * the container from the output name, and the encoder preset options.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { containerFromPath, presetArgs, resolveProfile, type ProfileInput } from '../../src/core/profile.js';
import type { Container, EncodeProfile, VideoCodec } from '../../src/core/types.js';

describe('resolveProfile: defaults per container', () => {
  const cases: Array<[container: Container, expected: EncodeProfile]> = [
    ['mp4', { videoCodec: 'h264', crf: 23, preset: 'medium', audioCodec: 'aac', audioBitrateKbps: 128, container: 'mp4' }],
    ['mov', { videoCodec: 'h264', crf: 23, preset: 'medium', audioCodec: 'aac', audioBitrateKbps: 128, container: 'mov' }],
    ['mkv', { videoCodec: 'h264', crf: 23, preset: 'medium', audioCodec: 'aac', audioBitrateKbps: 128, container: 'mkv' }],
    ['webm', { videoCodec: 'vp9', crf: 33, preset: 'medium', audioCodec: 'opus', audioBitrateKbps: 128, container: 'webm' }],
  ];
  for (const [container, expected] of cases) {
    it(container, () => assert.deepEqual(resolveProfile({ container }), expected));
  }

  const crfDefaults: Array<[VideoCodec, number]> = [
    ['h264', 23],
    ['hevc', 28],
    ['vp9', 33],
    ['av1', 35],
  ];
  for (const [videoCodec, crf] of crfDefaults) {
    it(`default CRF for ${videoCodec} is ${crf}`, () => assert.equal(resolveProfile({ container: 'mkv', videoCodec }).crf, crf));
  }

  it('explicit values are kept; width/height only when given', () => {
    const p = resolveProfile({
      container: 'mkv',
      videoCodec: 'hevc',
      crf: 20,
      preset: 'slow',
      height: 480,
      audioCodec: 'opus',
      audioBitrateKbps: 96,
      pixelFormat: 'yuv420p10le',
    });
    assert.deepEqual(p, {
      videoCodec: 'hevc',
      crf: 20,
      preset: 'slow',
      height: 480,
      audioCodec: 'opus',
      audioBitrateKbps: 96,
      container: 'mkv',
      pixelFormat: 'yuv420p10le',
    });
    assert.ok(!('width' in p));
  });
});

describe('resolveProfile: what each container can hold', () => {
  const cases: Array<[input: ProfileInput, ok: boolean]> = [
    [{ container: 'mp4', videoCodec: 'h264' }, true],
    [{ container: 'mp4', videoCodec: 'hevc' }, true],
    [{ container: 'mp4', videoCodec: 'vp9' }, true],
    [{ container: 'mp4', videoCodec: 'av1' }, true],
    [{ container: 'mov', videoCodec: 'h264' }, true],
    [{ container: 'mov', videoCodec: 'hevc' }, true],
    [{ container: 'mov', videoCodec: 'vp9' }, false],
    [{ container: 'mov', videoCodec: 'av1' }, false],
    [{ container: 'mkv', videoCodec: 'av1' }, true],
    [{ container: 'webm', videoCodec: 'vp9' }, true],
    [{ container: 'webm', videoCodec: 'av1' }, true],
    [{ container: 'webm', videoCodec: 'h264' }, false],
    [{ container: 'webm', videoCodec: 'hevc' }, false],
    [{ container: 'mp4', audioCodec: 'opus' }, true],
    [{ container: 'mov', audioCodec: 'opus' }, false],
    [{ container: 'webm', audioCodec: 'aac' }, false],
    [{ container: 'webm', audioCodec: 'copy' }, true],
    [{ container: 'webm', audioCodec: 'none' }, true],
    [{ container: 'mov', audioCodec: 'copy' }, true],
  ];
  for (const [input, ok] of cases) {
    const label = `${input.videoCodec ?? 'default video'} + ${input.audioCodec ?? 'default audio'} in ${input.container}`;
    it(`${label}: ${ok ? 'ok' : 'UsageError'}`, () => {
      if (ok) assert.doesNotThrow(() => resolveProfile(input));
      else {
        assert.throws(
          () => resolveProfile(input),
          (err: unknown) => {
            assert.ok(err instanceof UsageError);
            assert.match(err.message, new RegExp(`\\.${input.container} output cannot hold`));
            assert.match(err.message, /choose one of/);
            return true;
          },
        );
      }
    });
  }
});

describe('resolveProfile: CRF range', () => {
  const cases: Array<[videoCodec: VideoCodec, crf: number, ok: boolean]> = [
    ['h264', 0, true],
    ['h264', 51, true],
    ['h264', 52, false],
    ['h264', -1, false],
    ['h264', 22.5, false],
    ['h264', NaN, false],
    ['hevc', 51, true],
    ['hevc', 52, false],
    ['vp9', 63, true],
    ['vp9', 64, false],
    ['vp9', 0, true],
    ['av1', 63, true],
    ['av1', 64, false],
  ];
  for (const [videoCodec, crf, ok] of cases) {
    it(`${videoCodec} crf ${crf}: ${ok ? 'ok' : 'UsageError'}`, () => {
      const run = () => resolveProfile({ container: 'mkv', videoCodec, crf });
      if (ok) assert.equal(run().crf, crf);
      else
        assert.throws(
          run,
          (err: unknown) => err instanceof UsageError && /--crf must be a whole number from 0 to (51|63)/.test(err.message),
        );
    });
  }
});

describe('resolveProfile: width and height', () => {
  const cases: Array<[dims: { width?: number; height?: number }, bad?: 'width' | 'height']> = [
    [{ width: 640 }],
    [{ height: 480 }],
    [{ width: 16, height: 8192 }],
    [{ width: 641 }, 'width'],
    [{ height: 479 }, 'height'],
    [{ width: 14 }, 'width'],
    [{ height: 8194 }, 'height'],
    [{ width: 640.5 }, 'width'],
    [{ width: 640, height: 7 }, 'height'],
  ];
  for (const [dims, bad] of cases) {
    it(`${JSON.stringify(dims)}: ${bad ? `UsageError naming --${bad}` : 'ok'}`, () => {
      const run = () => resolveProfile({ container: 'mp4', ...dims });
      if (!bad) {
        const p = run();
        assert.equal(p.width, dims.width);
        assert.equal(p.height, dims.height);
      } else {
        assert.throws(run, (err: unknown) => err instanceof UsageError && err.message.startsWith(`--${bad} must be an even whole number`));
      }
    });
  }
});

describe('containerFromPath', () => {
  const ok: Array<[path: string, container: Container]> = [
    ['out.mp4', 'mp4'],
    ['/a/b/OUT.MP4', 'mp4'],
    ['clip.m4v', 'mp4'],
    ['x.mkv', 'mkv'],
    ['x.webm', 'webm'],
    ['x.MOV', 'mov'],
    ['/dir.mkv/out.webm', 'webm'],
    ['my file (1).final.mp4', 'mp4'],
  ];
  for (const [path, container] of ok) {
    it(`${path} → ${container}`, () => assert.equal(containerFromPath(path), container));
  }
  const bad = ['out', 'out.avi', 'out.ts', '/a/b.mp4/', 'out.mp4.tmp', '.mp4x', ''];
  for (const path of bad) {
    it(`${JSON.stringify(path)} → UsageError that says which extensions work`, () => {
      assert.throws(
        () => containerFromPath(path),
        (err: unknown) => err instanceof UsageError && /\.mp4, \.mkv, \.webm or \.mov/.test(err.message),
      );
    });
  }
});

describe('presetArgs', () => {
  const ok: Array<[codec: VideoCodec, preset: string, args: string[]]> = [
    ['h264', 'medium', ['-preset', 'medium']],
    ['h264', 'ultrafast', ['-preset', 'ultrafast']],
    ['hevc', 'veryslow', ['-preset', 'veryslow']],
    ['vp9', 'medium', ['-deadline', 'good', '-cpu-used', '3']],
    ['vp9', 'ultrafast', ['-deadline', 'good', '-cpu-used', '8']],
    ['vp9', 'veryslow', ['-deadline', 'good', '-cpu-used', '0']],
    ['vp9', '5', ['-deadline', 'good', '-cpu-used', '5']],
    ['vp9', '0', ['-deadline', 'good', '-cpu-used', '0']],
    ['vp9', '8', ['-deadline', 'good', '-cpu-used', '8']],
    ['av1', 'medium', ['-preset', '7']],
    ['av1', 'ultrafast', ['-preset', '12']],
    ['av1', 'placebo', ['-preset', '1']],
    ['av1', '13', ['-preset', '13']],
    ['av1', '0', ['-preset', '0']],
  ];
  for (const [codec, preset, args] of ok) {
    it(`${codec} ${preset} → ${args.join(' ')}`, () => assert.deepEqual(presetArgs(codec, preset), args));
  }
  const bad: Array<[codec: VideoCodec, preset: string, message: RegExp]> = [
    ['h264', 'turbo', /--preset for h264 must be one of: ultrafast/],
    ['h264', '5', /--preset for h264/],
    ['hevc', 'Medium', /--preset for hevc/],
    ['vp9', '9', /--preset for vp9 must be an x264 preset name or a number 0-8/],
    ['vp9', 'turbo', /--preset for vp9/],
    ['av1', '14', /--preset for av1 must be an x264 preset name or a number 0-13/],
    ['av1', 'fastest', /--preset for av1/],
  ];
  for (const [codec, preset, message] of bad) {
    it(`${codec} ${preset} → UsageError`, () => {
      assert.throws(
        () => presetArgs(codec, preset),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }
});
