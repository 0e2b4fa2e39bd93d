/**
 * Step Functions' 256 KiB limit on a state's input and output, which the emulators do not enforce: the
 * aws-emulated runtime fails an oversized payload as AWS would (States.DataLimitExceeded), and a 2 h source in
 * 1 s segments (7,200 of them) keeps every payload of the workflow inside it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSegments } from '../../src/core/plan-segments.js';
import { mapModeFor, payloadOverLimit, STATE_PAYLOAD_LIMIT_BYTES } from '../../src/core/state-limits.js';
import { planLimits } from '../../src/adapters/aws/plan-limits.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import type { MediaAnalysis } from '../../src/core/types.js';

describe('state payload limits', () => {
  it('a payload over 256 KiB fails as Step Functions fails it', () => {
    const err = payloadOverLimit('Analyze', 'output', { segments: Array.from({ length: 60_000 }, (_, i) => i) });
    assert.ok(err);
    assert.equal(err.name, 'States.DataLimitExceeded');
    assert.match(err.message, /^Analyze: the state output is \d+ bytes, over Step Functions' 262144$/);
    assert.equal(payloadOverLimit('Merge', 'input', { jobId: 'abcdef123456' }), undefined);
  });

  it("a 2 h source in 1 s segments (7,200) keeps Analyze's output, the Map items and every step input inside the limit", () => {
    const fps = 30;
    const frames = 2 * 3600 * fps;
    const plan = planSegments({
      frameTimes: Array.from({ length: frames }, (_, i) => i / fps),
      keyframeIndices: Array.from({ length: frames / fps }, (_, i) => i * fps),
      lastFrameDuration: 1 / fps,
      targetSeconds: 1,
    });
    assert.equal(plan.segments.length, 7200);
    const analyzeOutput = { segments: plan.encodeOrder, audio: true };
    assert.equal(payloadOverLimit('Analyze', 'output', analyzeOutput), undefined);
    const bytes = Buffer.byteLength(JSON.stringify(analyzeOutput));
    assert.ok(bytes < STATE_PAYLOAD_LIMIT_BYTES / 4, `${bytes} bytes for 7,200 segments`);
    // The execution's state after Analyze carries that list; the Map's items are one index each.
    assert.equal(payloadOverLimit('EncodeAll', 'input', { jobId: 'abcdef123456', analyze: analyzeOutput }), undefined);
    assert.equal(payloadOverLimit('EncodeSegment', 'input', { jobId: 'abcdef123456', kind: 'video', index: 7199 }), undefined);
  });

  it("estimate's limits for that source: the Distributed Map, every payload and ledger item inside its limit, 2 read units per segment", () => {
    const fps = 30;
    // One minute probed (jittered frame times, a keyframe a second), projected to 2 h as estimate --duration does.
    const frameTimes = Array.from({ length: 60 * fps }, (_, i) => Math.round((i / fps + ((i * 7919) % 13) * 1e-5) * 1e6) / 1e6);
    const analysis: MediaAnalysis = {
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      startTime: 0,
      duration: 60,
      durationFromContainer: true,
      sizeBytes: 1e7,
      video: {
        streamIndex: 0,
        codec: 'h264',
        width: 1920,
        height: 1080,
        pixelFormat: 'yuv420p',
        rotation: 0,
        color: {},
        frameRate: '30/1',
        avgFrameRate: '30/1',
        frameRateMode: 'cfr',
        timeBase: '1/15360',
        frameTimes,
        keyframeIndices: frameTimes.map((_, i) => i).filter((i) => i % fps === 0),
        lastFrameDuration: 1 / fps,
      },
      audio: [{ index: 1, type: 'audio', codec: 'aac', channels: 2, sampleRate: 48_000 }],
      subtitles: [],
      others: [],
    };
    const options = parseTranscodeOptions({ segmentSeconds: '1' }, 'out.mp4');
    const l = planLimits({ analysis, durationSeconds: 7200, options, segmentSeconds: 1, concurrency: 40, mapMode: 'auto' });
    assert.equal(l.segments, 7200);
    assert.equal(l.mapMode, 'distributed');
    assert.ok(l.largestPayloadBytes < l.payloadLimitBytes / 4, `${l.largestPayloadBytes} bytes`);
    assert.ok(l.largestItemBytes < l.itemLimitBytes, `${l.largestItemBytes} bytes`);
    assert.ok(l.jobItemBytes < 8 * 1024, `job item ${l.jobItemBytes} bytes`);
    assert.equal(l.readUnitsPerSegment, 2);
    // The same source at 10 s segments runs inline, and its history fits.
    const short = planLimits({ analysis, durationSeconds: 7200, options, segmentSeconds: 10, concurrency: 40, mapMode: 'auto' });
    assert.equal(short.mapMode, 'inline');
    assert.ok(short.historyEvents < short.historyEventLimit, `${short.historyEvents} events`);
    assert.equal(mapModeFor(7200, 'auto'), 'distributed');
  });
});
