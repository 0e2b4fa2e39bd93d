/**
 * CLI flag normalization: defaults, and every bad value is a UsageError whose message names the flag.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';

const cores = availableParallelism();

describe('parseTranscodeOptions: defaults and good values', () => {
  it('no flags: default profile for the container, one worker per core, 3 attempts, verify on', () => {
    const o = parseTranscodeOptions({}, '/out/x.mp4');
    assert.deepEqual(o, {
      profile: { videoCodec: 'h264', crf: 23, preset: 'medium', audioCodec: 'aac', audioBitrateKbps: 128, container: 'mp4' },
      workers: cores,
      threadsPerWorker: 1,
      tailThreads: Math.min(cores, 8),
      maxAttempts: 3,
      verify: true,
    });
  });

  it('.webm defaults to vp9 + opus', () => {
    const o = parseTranscodeOptions({}, 'x.webm');
    assert.equal(o.profile.videoCodec, 'vp9');
    assert.equal(o.profile.audioCodec, 'opus');
  });

  it('every flag given as the CLI gives it (strings)', () => {
    const o = parseTranscodeOptions(
      {
        videoCodec: 'hevc',
        crf: '20',
        preset: 'slow',
        height: '720',
        width: '1280',
        audioCodec: 'copy',
        audioBitrate: '192',
        segmentSeconds: '2.5',
        workers: '1',
        maxAttempts: '5',
        verify: false,
      },
      'x.mkv',
    );
    assert.deepEqual(o.profile, {
      videoCodec: 'hevc',
      crf: 20,
      preset: 'slow',
      width: 1280,
      height: 720,
      audioCodec: 'copy',
      audioBitrateKbps: 192,
      container: 'mkv',
    });
    assert.equal(o.segmentSeconds, 2.5);
    assert.equal(o.workers, 1);
    assert.equal(o.threadsPerWorker, cores, 'one worker gets every core');
    assert.equal(o.maxAttempts, 5);
    assert.equal(o.verify, false);
  });

  const threadCases: Array<[workers: number, threads: number]> = [
    [1, cores],
    [cores, 1],
    [cores * 4, 1],
  ];
  for (const [workers, threads] of threadCases) {
    it(`${workers} workers on ${cores} cores → ${threads} thread(s) each`, () => {
      assert.equal(parseTranscodeOptions({ workers: String(workers) }, 'x.mp4').threadsPerWorker, threads);
    });
  }

  it('segment seconds left out stays unset (the planner picks it from duration and workers)', () => {
    assert.ok(!('segmentSeconds' in parseTranscodeOptions({}, 'x.mp4')));
  });
});

describe('parseTranscodeOptions: bad values → UsageError naming the flag', () => {
  const cases: Array<[flags: Record<string, unknown>, output: string, message: RegExp]> = [
    [{ videoCodec: 'h266' }, 'x.mp4', /^--video-codec must be one of h264 \(avc, x264\), hevc \(h265, x265\), vp9, av1$/],
    [{ videoCodec: 'vp9' }, 'x.mov', /\.mov output cannot hold vp9 video/],
    [{ videoCodec: 'h264' }, 'x.webm', /\.webm output cannot hold h264 video/],
    [{ crf: 'abc' }, 'x.mp4', /^--crf must be a whole number$/],
    [{ crf: '-1' }, 'x.mp4', /^--crf must be a whole number$/],
    [{ crf: '23.5' }, 'x.mp4', /^--crf must be a whole number$/],
    [{ crf: '64' }, 'x.mp4', /^--crf must be from 0 to 63$/],
    [{ crf: '52' }, 'x.mp4', /^--crf must be a whole number from 0 to 51 for h264$/],
    [{ crf: '' }, 'x.mp4', /^--crf must be a whole number$/],
    [{ preset: 'Fast!' }, 'x.mp4', /^--preset must be a preset name or number$/],
    [{ height: '10' }, 'x.mp4', /^--height must be from 16 to 8192$/],
    [{ height: '721' }, 'x.mp4', /^--height must be an even whole number/],
    [{ height: '1e3' }, 'x.mp4', /^--height must be a whole number$/],
    [{ width: '99999' }, 'x.mp4', /^--width must be from 16 to 8192$/],
    [{ width: '641' }, 'x.mp4', /^--width must be an even whole number/],
    [{ audioCodec: 'mp3' }, 'x.mp4', /^--audio-codec must be one of aac, opus, copy, none$/],
    [{ audioCodec: 'aac' }, 'x.webm', /\.webm output cannot hold aac audio/],
    [{ audioCodec: 'opus' }, 'x.mov', /\.mov output cannot hold opus audio/],
    [{ audioBitrate: '8' }, 'x.mp4', /^--audio-bitrate must be from 16 to 512$/],
    [{ audioBitrate: '128k' }, 'x.mp4', /^--audio-bitrate must be a whole number$/],
    [{ segmentSeconds: '0.1' }, 'x.mp4', /^--segment-seconds must be from 0.5 to 3600$/],
    [{ segmentSeconds: '-2' }, 'x.mp4', /^--segment-seconds must be a number of seconds$/],
    [{ segmentSeconds: '10s' }, 'x.mp4', /^--segment-seconds must be a number of seconds$/],
    [{ segmentSeconds: '4000' }, 'x.mp4', /^--segment-seconds must be from 0.5 to 3600$/],
    [{ workers: '0' }, 'x.mp4', /^--workers must be from 1 to 256$/],
    [{ workers: 'all' }, 'x.mp4', /^--workers must be a whole number$/],
    [{ workers: '257' }, 'x.mp4', /^--workers must be from 1 to 256$/],
    [{ maxAttempts: '0' }, 'x.mp4', /^--max-attempts must be from 1 to 20$/],
    [{ maxAttempts: '21' }, 'x.mp4', /^--max-attempts must be from 1 to 20$/],
    [{}, 'x.avi', /cannot tell the output container from "x\.avi"/],
    [{}, 'x', /cannot tell the output container/],
  ];
  for (const [flags, output, message] of cases) {
    it(`${JSON.stringify(flags)} → ${output}`, () => {
      assert.throws(
        () => parseTranscodeOptions(flags, output),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, `UsageError, got ${String(err)}`);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
