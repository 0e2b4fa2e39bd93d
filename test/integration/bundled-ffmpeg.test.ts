/**
 * `npm ci` alone gives a working tool: one transcode with the ffmpeg/ffprobe builds shipped inside the npm
 * packages @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe (an ffmpeg 4.x-era build).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';

describe('npm-shipped ffmpeg build', () => {
  const t = tempDir('shardcast-bundled-');
  after(t.cleanup);
  const env = { SHARDCAST_BUNDLED_FFMPEG: '1' };

  it('doctor reports the bundled binaries', () => {
    const r = cli(['doctor', '--json'], { stateDir: join(t.dir, 'state'), env });
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    for (const tool of d.tools) {
      assert.equal(tool.origin, 'npm');
      assert.match(tool.path, /node_modules\/@ff(mpeg|probe)-installer/);
    }
    assert.equal(d.encoders.libx264, true);
  });

  it('transcodes and verifies a clip', () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 3, gop: 20 });
    const out = join(t.dir, 'out.mp4');
    const r = cli(['transcode', clip, out, '--preset', 'ultrafast', '--segment-seconds', '1', '--json', '--no-progress'], {
      stateDir: join(t.dir, 'state'),
      env,
    });
    assert.equal(r.status, 0, r.stderr);
    const job = JSON.parse(r.stdout);
    assert.equal(job.status, 'done');
    assert.equal(job.frames, 90);
    assert.equal(job.verify.ok, true);
  });

  it("an encoder the build lacks is refused before a job exists, in one line naming ffmpeg's reason and the fix", () => {
    const clip = makeClip(join(t.dir, 'clip-av1.mp4'), { seconds: 1, gop: 10 });
    const state = join(t.dir, 'state-av1');
    const r = cli(['transcode', clip, join(t.dir, 'out.mkv'), '--video-codec', 'av1', '--no-progress'], { stateDir: state, env });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    // The cause ffmpeg gives (this build has no -svtav1-params), not its closing "Error splitting the argument list".
    assert.match(lines[0]!, /cannot encode with libsvtav1 .*\((Unrecognized option 'svtav1-params'|Unknown encoder 'libsvtav1')\)/);
    assert.doesNotMatch(lines[0]!, /Error splitting the argument list/);
    assert.match(lines[0]!, /FFMPEG_PATH/);
    const jobs = cli(['jobs', '--json'], { stateDir: state, env });
    assert.deepEqual(JSON.parse(jobs.stdout), [], 'no job was made');
  });

  it('a VMAF target on its libvmaf 1.x: refused before a job without a model file, and with one that is not there', () => {
    const clip = makeClip(join(t.dir, 'clip-vmaf.mp4'), { seconds: 1, gop: 10 });
    const state = join(t.dir, 'state-vmaf');
    const run = (...extra: string[]) =>
      cli(['transcode', clip, join(t.dir, 'vmaf.mp4'), '--target-quality', 'vmaf:93', ...extra, '--no-progress'], { stateDir: state, env });
    const none = run();
    assert.equal(none.status, 2, none.stderr);
    assert.equal(none.stderr.trim().split('\n').length, 1, none.stderr);
    assert.match(none.stderr, /has libvmaf 1\.x, which reads its model from a file: pass --vmaf-model PATH/);
    const missing = run('--vmaf-model', join(t.dir, 'no-such-model.pkl'));
    assert.equal(missing.status, 2, missing.stderr);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    assert.match(missing.stderr, /cannot score VMAF with the model .*no-such-model\.pkl/);
    assert.deepEqual(JSON.parse(cli(['jobs', '--json'], { stateDir: state, env }).stdout), [], 'no job was made');
  });
});
