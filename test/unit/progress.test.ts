/** formatClock: elapsed times and ETAs on the progress line. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatClock } from '../../src/cli/progress.js';

describe('formatClock', () => {
  const cases: Array<[ms: number, text: string]> = [
    [0, '0:00'],
    [-5000, '0:00'],
    [499, '0:00'],
    [500, '0:01'],
    [999, '0:01'],
    [9_000, '0:09'],
    [59_499, '0:59'],
    [59_500, '1:00'],
    [61_000, '1:01'],
    [600_000, '10:00'],
    [3_599_000, '59:59'],
    [3_600_000, '1:00:00'],
    [3_661_000, '1:01:01'],
    [36_000_000, '10:00:00'],
    [90_061_000, '25:01:01'],
  ];
  for (const [ms, text] of cases) {
    it(`${ms} ms → ${text}`, () => assert.equal(formatClock(ms), text));
  }
});
