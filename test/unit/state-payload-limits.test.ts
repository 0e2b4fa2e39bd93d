/**
 * Step Functions' 256 KiB limit on a state's input and output, which the emulators do not enforce: the
 * aws-emulated runtime fails an oversized payload as AWS would (States.DataLimitExceeded), and a 2 h source in
 * 1 s segments (7,200 of them) keeps every payload of the workflow inside it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSegments } from '../../src/core/plan-segments.js';
import { payloadOverLimit, STATE_PAYLOAD_LIMIT_BYTES } from '../../src/core/state-limits.js';

describe('state payload limits', () => {
  it('a payload over 256 KiB fails as Step Functions fails it', () => {
    const err = payloadOverLimit('Analyze', 'output', { segments: Array.from({ length: 60_000 }, (_, i) => i) });
    assert.ok(err);
    assert.equal(err.name, 'States.DataLimitExceeded');
    assert.match(err.message, /^Analyze: the state output is \d+ bytes, over Step Functions' 262144$/);
    assert.equal(payloadOverLimit('Merge', 'input', { jobId: 'abcdef123456' }), undefined);
  });

  it('a 2 h source in 1 s segments (7,200) keeps Analyze\'s output, the Map items and every step input inside the limit', () => {
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
});
