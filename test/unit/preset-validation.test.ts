/** Regression: a bad --preset was accepted at the edge and only failed inside a segment encode. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { UsageError } from '../../src/core/errors.js';

it('an unknown --preset is a usage error before any job exists', () => {
  for (const [preset, codec] of [
    ['turbo', undefined],
    ['14', 'av1'],
    ['9', 'vp9'],
  ] as const) {
    assert.throws(
      () => parseTranscodeOptions({ preset, ...(codec ? { videoCodec: codec } : {}), verify: true }, 'x.mkv'),
      (e: unknown) => e instanceof UsageError && /--preset/.test(e.message),
    );
  }
});
