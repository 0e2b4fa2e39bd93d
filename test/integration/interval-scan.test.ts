/**
 * The join of the source's packet scan in interval reads (deps.parallelScan: over S3 one read is bound by one
 * connection's rate): a join that cannot prove it covers every frame is refused, so the caller reads the whole
 * source. The scan itself on real files (the same analysis as one read, frame for frame; MPEG-TS and a truncated
 * source take the single read) is in test/corpus/interval-scan-corpus.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinIntervalScans } from '../../src/core/packet-scan.js';

describe('packet scan by intervals', () => {
  it('a join that cannot prove its coverage is refused (the caller reads the whole source)', () => {
    const row = (pts: number, key = false) =>
      `stream_index=0|pts_time=${pts.toFixed(6)}|dts_time=${pts.toFixed(6)}|duration_time=0.040000|size=100|flags=${key ? 'K_' : '__'}`;
    const a = [row(0, true), row(0.04), row(0.08), row(0.12, true), row(0.16)].join('\n');
    const b = [row(0.12, true), row(0.16), row(0.2)].join('\n');
    assert.equal(joinIntervalScans([a, b], 0, [0.14])?.video.length, 6);
    // The later read starts after its boundary: frames between could be missing.
    assert.equal(joinIntervalScans([a, [row(0.2, true), row(0.24)].join('\n')], 0, [0.14]), undefined);
    // The earlier read stopped before the later one's first keyframe.
    assert.equal(joinIntervalScans([[row(0, true), row(0.04)].join('\n'), b], 0, [0.14]), undefined);
    // The later read does not start on a keyframe.
    assert.equal(joinIntervalScans([a, [row(0.12), row(0.16)].join('\n')], 0, [0.14]), undefined);
  });
});
