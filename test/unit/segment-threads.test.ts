/**
 * Per-segment thread counts: the last `workers` segments in encode order get the tail threads, the rest one
 * worker's share; jobs without tailThreads (made before it) keep threadsPerWorker for every segment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { segmentThreads, tailThreadsFor, taskThreads } from '../../src/core/segment-threads.js';

describe('tailThreadsFor', () => {
  const cases: Array<[cores: number, workers: number, tail: number]> = [
    [2, 2, 2],
    [2, 1, 2],
    [1, 1, 1],
    [4, 8, 4],
    [16, 16, 8],
    [16, 2, 8],
    [32, 1, 32],
    [64, 4, 16],
  ];
  for (const [cores, workers, tail] of cases) {
    it(`${cores} cores, ${workers} workers → ${tail}`, () => assert.equal(tailThreadsFor(cores, workers), tail));
  }
});

describe('segmentThreads', () => {
  const plan = { encodeOrder: [3, 0, 1, 4, 2] };
  const profile = { videoCodec: 'h264' as const };
  const options = { workers: 2, threadsPerWorker: 1, tailThreads: 2, profile };

  it('the last `workers` segments in encode order get the tail threads', () => {
    const got = [0, 1, 2, 3, 4].map((i) => segmentThreads(options, plan, i));
    assert.deepEqual(got, [1, 1, 2, 1, 2]);
  });

  it('no more segments than workers: they all run at once and share the tail threads', () => {
    const o = { workers: 4, threadsPerWorker: 1, tailThreads: 4, profile };
    assert.deepEqual(
      [0, 1].map((i) => segmentThreads(o, { encodeOrder: [1, 0] }, i)),
      [2, 2],
    );
    assert.deepEqual(
      [0].map((i) => segmentThreads(o, { encodeOrder: [0] }, i)),
      [4],
      'one segment gets every core',
    );
    const two = { workers: 2, threadsPerWorker: 1, tailThreads: 2, profile };
    assert.deepEqual(
      [0, 1].map((i) => segmentThreads(two, { encodeOrder: [0, 1] }, i)),
      [1, 1],
      'two on two cores: one each',
    );
  });

  it('x265 gets no tail boost (it runs threads of its own beside its pool), but a lone segment gets every core', () => {
    const hevc = { ...options, profile: { videoCodec: 'hevc' as const } };
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => segmentThreads(hevc, plan, i)),
      [1, 1, 1, 1, 1],
    );
    assert.equal(segmentThreads(hevc, { encodeOrder: [0] }, 0), 2);
  });

  it('a job made before tailThreads existed, or without a plan yet, uses threadsPerWorker', () => {
    assert.equal(segmentThreads({ workers: 2, threadsPerWorker: 1, profile }, plan, 2), 1);
    assert.equal(segmentThreads(options, undefined, 2), 1);
  });

  it('an index not in the plan gets threadsPerWorker', () => {
    assert.equal(segmentThreads(options, plan, 9), 1);
  });
});

describe('taskThreads', () => {
  const job = {
    options: { workers: 2, threadsPerWorker: 1, tailThreads: 2, profile: { videoCodec: 'h264' as const } },
    plan: { encodeOrder: [0, 1, 2] },
  };
  it('a tail segment: more encoder threads, one worker share of decoder threads', () => {
    assert.deepEqual(taskThreads(job, { kind: 'video', index: 2 }), { threads: 2, decodeThreads: 1 });
    assert.deepEqual(taskThreads(job, { kind: 'video', index: 0 }), { threads: 1, decodeThreads: 1 });
  });
  it('the audio task: one worker share', () => {
    assert.deepEqual(taskThreads(job, { kind: 'audio', index: 0 }), { threads: 1, decodeThreads: 1 });
  });
});
