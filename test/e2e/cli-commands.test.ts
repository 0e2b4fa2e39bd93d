/**
 * The CLI's everyday commands as a user runs them: progress lines, jobs, status, doctor, gc.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';

describe('CLI commands', () => {
  const t = tempDir('shardcast-cli-');
  const state = join(t.dir, 'state');
  let clip: string;
  let jobId: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 3, gop: 20 });
  });
  after(t.cleanup);

  it('transcode prints progress lines when stderr is not a TTY (regression: the reporter read a closed ledger)', () => {
    const r = cli(['transcode', clip, join(t.dir, 'out.mp4'), '--preset', 'ultrafast', '--segment-seconds', '1'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^3\/3 segments {2}90\/90 frames {2}[\d.]+ fps/m);
    assert.match(r.stdout, /^done: .*out\.mp4; 90 frames/m);
    jobId = /job ([a-z0-9]+)/.exec(r.stderr)![1]!;
  });

  it('jobs and status show the job', () => {
    const jobs = cli(['jobs'], { stateDir: state });
    assert.equal(jobs.status, 0);
    assert.match(jobs.stdout, new RegExp(`${jobId}\\s+done\\s+3/3`));
    const st = cli(['status', jobId], { stateDir: state });
    assert.match(st.stdout, /segments 3\/3 done/);
    assert.match(st.stdout, /v00002\s+done/);
    const json = JSON.parse(cli(['status', jobId, '--json'], { stateDir: state }).stdout);
    assert.equal(json.segments.length, 4, 'three video segments and the audio track');
    assert.ok(json.timings.totalMs > 0 && json.cpuSeconds > 0);
  });

  it('doctor names the binaries and encoders', () => {
    const r = cli(['doctor'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ffmpeg: \S+ \(/m);
    assert.match(r.stdout, /libx264 yes/);
  });

  it('gc keeps recent jobs and removes old ones with their files, a merge temp left by a kill included, never the output', () => {
    // What a kill -9 during the merge leaves beside the output.
    const mergeTemp = join(t.dir, `.out.mp4.shardcast-${jobId}.tmp`);
    writeFileSync(mergeTemp, 'partial');
    const keep = JSON.parse(cli(['gc', '--older-than', '1d', '--json'], { stateDir: state }).stdout);
    assert.deepEqual(keep.removed, []);
    const gone = JSON.parse(cli(['gc', '--older-than', '0s', '--json'], { stateDir: state }).stdout);
    assert.deepEqual(gone.removed, [jobId]);
    assert.equal(cli(['status', jobId], { stateDir: state }).status, 2);
    assert.equal(existsSync(join(state, 'jobs', jobId)), false);
    assert.deepEqual(readdirSync(join(state, 'jobs')), []);
    assert.equal(existsSync(mergeTemp), false, 'the merge temp is removed');
    assert.equal(existsSync(join(t.dir, 'out.mp4')), true, 'the output stays');
    const bad = cli(['gc', '--older-than', 'soon'], { stateDir: state });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--older-than takes a number and a unit/);
  });
});
