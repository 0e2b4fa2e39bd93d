/** The progress line: elapsed times and ETAs, the measured rate, its words, how often it prints. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatClock, progressText, ProgressReporter, RateMeter } from '../../src/cli/progress.js';
import type { JobStatus } from '../../src/core/types.js';
import type { Ledger } from '../../src/ports/ledger.js';

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

describe('RateMeter: frames a second, measured', () => {
  it('has no rate until its readings span 4 s, then the rate over the last 30 s', () => {
    const m = new RateMeter();
    m.add(0, 0);
    m.add(3_000, 300);
    assert.equal(m.rate(), undefined);
    m.add(4_000, 400);
    assert.equal(m.rate(), 100);
    // The encode slows down (a loaded host): the window forgets the fast start.
    for (let t = 5_000; t <= 64_000; t += 1_000) m.add(t, 400 + ((t - 4_000) / 1_000) * 20);
    assert.equal(Math.round(m.rate()!), 20);
  });
});

describe('progressText', () => {
  const base = { segmentsDone: 1, segmentsTotal: 4, frames: 300, framesTotal: 1200, elapsedMs: 20_000 };
  it('gives frames, the measured fps and an ETA from it', () => {
    assert.equal(progressText({ ...base, fps: 30 }), '1/4 segments  300/1200 frames  30.0 fps  elapsed 0:20  ETA 0:30');
  });
  it('gives no ETA before a rate is measured, and says "1 segment"', () => {
    assert.equal(
      progressText({ ...base, segmentsDone: 0, segmentsTotal: 1, fps: undefined }),
      '0/1 segment  300/1200 frames  -- fps  elapsed 0:20  ETA --:--',
    );
  });
  it('names the step after the encodes', () => {
    assert.equal(progressText({ ...base, segmentsDone: 4, fps: 30, step: 'verifying' }), '4/4 segments, verifying  elapsed 0:20');
  });
});

describe('ProgressReporter', () => {
  /** A ledger that answers only what the reporter reads. */
  function fakeLedger(state: { done: number; framesDone: number; status: JobStatus }) {
    return {
      taskProgress: async () => ({ videoTotal: 1, videoDone: state.done, framesTotal: 2000, framesDone: state.framesDone }),
      listTasks: async () => [],
      getJobHead: async () => ({ status: state.status }),
    } as unknown as Ledger;
  }
  function sink() {
    const lines: string[] = [];
    const out = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    return { out, lines };
  }

  it('without a terminal prints a line at least every 10 s while a one-segment job works', async () => {
    let now = 0;
    const { out, lines } = sink();
    const r = new ProgressReporter(out, true, () => now);
    r.start(fakeLedger({ done: 0, framesDone: 0, status: 'encoding' }), 'job1');
    await r.stop(); // the first reading prints
    const first = lines.length;
    for (now = 1_000; now <= 25_000; now += 1_000) await r.tick();
    assert.equal(lines.length - first, 2, lines.join(''));
  });

  it("a resumed job does not count its earlier segments as this run's speed", async () => {
    let now = 0;
    const { out, lines } = sink();
    const state = { done: 0, framesDone: 1_900, status: 'encoding' as JobStatus };
    const r = new ProgressReporter(out, true, () => now, 1_000);
    r.start(fakeLedger(state), 'job1');
    for (now = 1_000; now <= 6_000; now += 1_000) await r.tick();
    state.framesDone = 2_000;
    state.done = 1;
    for (; now <= 10_000; now += 1_000) await r.tick();
    const fps = lines
      .map((l) => /([\d.]+) fps/.exec(l)?.[1])
      .filter(Boolean)
      .map(Number);
    assert.ok(fps.length > 0, lines.join(''));
    for (const f of fps) assert.ok(f < 100, `fps ${f} counts frames done before the resume: ${lines.join('')}`);
  });
});
