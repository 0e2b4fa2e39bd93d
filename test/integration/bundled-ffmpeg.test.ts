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
});
