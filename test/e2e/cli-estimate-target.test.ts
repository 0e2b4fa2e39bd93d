/**
 * `shardcast estimate --target-quality` (issue 28) through the built CLI: the projection is the targeted job's,
 * its segments taking targetCpuFactor times a plain encode's time, and the text and the JSON say what the
 * probes and scoring add over the same plan encoded plainly (vCPU time, wall time, dollars).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { targetCpuFactor } from '../../src/core/crf-search.js';
import { cli } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';

const ARGS = ['--backend', 'aws', '--preset', 'ultrafast', '--duration', '600', '--unreserved', '1000', '--calibrate-seconds', '2'];

describe('CLI: estimate with a quality target', () => {
  const t = tempDir('shardcast-cli-estimate-');
  const state = join(t.dir, 'state');
  let clip: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 4, gop: 15 });
  });
  after(t.cleanup);

  it('projects the searches’ cost over the plain plan, in the JSON and in one line of text', () => {
    const r = cli(['estimate', clip, ...ARGS, '--target-quality', 'psnr:40', '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout);
    const factor = targetCpuFactor({ metric: 'psnr' }, { preset: 'ultrafast' });
    assert.ok(factor > 1);
    assert.equal(e.target.metric, 'psnr');
    assert.equal(e.target.value, 40);
    assert.equal(e.target.cpuFactor, factor);
    assert.ok(e.target.added.vcpuSeconds > 0 && e.target.added.functionSeconds > 0, JSON.stringify(e.target.added));
    assert.ok(e.target.added.usd > 0);
    assert.ok(Math.abs(e.projection.cost.totalUsd - e.target.plain.totalUsd - e.target.added.usd) < 1e-12);
    // The calibration shown is the one measured, not the scaled one.
    assert.ok(Math.abs(e.calibration.encodeSecondsPerSourceSecond - e.calibration.wallMs / 1000 / e.calibration.sourceSeconds) < 1e-9);

    const text = cli(['estimate', clip, ...ARGS, '--target-quality', 'psnr:40'], { stateDir: state });
    assert.equal(text.status, 0, text.stderr);
    assert.doesNotMatch(text.stderr, /NodeVersionSupportWarning/, 'no AWS SDK warning about Node 20 on an estimate');
    assert.match(
      text.stdout,
      new RegExp(
        `^quality target psnr 40 ±0\\.5 dB: probes and scoring make each segment about ${factor.toFixed(2).replace('.', '\\.')}x the CPU of a plain encode: \\+[\\d.]+ vCPU-hours`,
        'm',
      ),
    );
    const plain = cli(['estimate', clip, ...ARGS], { stateDir: state });
    assert.equal(plain.status, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /quality target/);
  });

  it('refuses the target options without a target, as transcode does', () => {
    const r = cli(['estimate', clip, ...ARGS, '--min-crf', '18'], { stateDir: state });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /go with --target-quality METRIC:VALUE/);
  });
});
