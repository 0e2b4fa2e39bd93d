/**
 * The lossless transcode and the frame-for-frame comparison shared by test/integration/pipeline-frame-exact.test.ts
 * and test/corpus/frame-exact-corpus.test.ts.
 */
import assert from 'node:assert/strict';
import { cli } from './cli.js';
import { frameHashes, videoTimes } from './media.js';

/**
 * `transcode` with x264 CRF 0 (lossless) in `segmentSeconds` segments, kept whatever their cuts cost (the seams are
 * the point), with `extra` options; the job's `--json` view.
 */
export function transcodeLossless(src: string, out: string, segmentSeconds: string, stateDir: string, extra: string[] = []) {
  const r = cli(
    [
      'transcode',
      src,
      out,
      '--crf',
      '0',
      '--preset',
      'ultrafast',
      '--segment-seconds',
      segmentSeconds,
      '--accept-cut-cost',
      '--json',
      '--no-progress',
      ...extra,
    ],
    { stateDir },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Every decoded frame of `out` hashes the same as `src`'s, and sits at the same time (within 2 ms). */
export function assertSameFrames(src: string, out: string) {
  const a = frameHashes(src);
  const b = frameHashes(out);
  assert.equal(b.length, a.length, 'frame count');
  const firstDiff = a.findIndex((h, i) => h !== b[i]);
  assert.equal(firstDiff, -1, `first differing frame: ${firstDiff}`);
  const ta = videoTimes(src);
  const tb = videoTimes(out);
  const worst = Math.max(...ta.map((x, i) => Math.abs(x - ta[0]! - (tb[i]! - tb[0]!))));
  assert.ok(worst < 0.002, `frame times differ by up to ${worst} s`);
}
