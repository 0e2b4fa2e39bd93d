/**
 * The image's ffmpeg is this machine's kind of ffmpeg (Debian 12's package) bundled with every library it loads
 * and Debian's dynamic loader (infra/docker/ffmpeg-bundle.sh), so it runs on the Lambda base image as it runs
 * here. The image is not built here (no Docker engine); the bundling is: made from this machine's ffmpeg, the
 * bundle reports the same version, holds its libraries, and encodes through its own loader and libraries only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO, tempDir } from '../support/media.js';

describe('the ffmpeg bundle of the image', () => {
  const t = tempDir('shardcast-ffmpeg-bundle-');
  after(t.cleanup);

  it('runs through its own loader and libraries, as the same ffmpeg, and encodes', () => {
    const out = join(t.dir, 'bundle');
    const made = spawnSync('sh', [join(REPO, 'infra/docker/ffmpeg-bundle.sh'), out], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const libs = readdirSync(join(out, 'lib'));
    assert.ok(
      libs.includes('ld.so') && libs.some((l) => l.startsWith('libavcodec.so')) && libs.some((l) => l.startsWith('libx264')),
      libs.join(' '),
    );
    // Every library the programs load resolves inside the bundle (the loader would fall back to the system's).
    for (const prog of ['ffmpeg', 'ffprobe']) {
      const list = spawnSync(join(out, 'lib', 'ld.so'), ['--library-path', join(out, 'lib'), '--list', join(out, 'bin', prog)], {
        encoding: 'utf8',
      });
      assert.equal(list.status, 0, list.stderr);
      const outside = list.stdout
        .split('\n')
        .map((l) => /=> (\S+)/.exec(l)?.[1])
        .filter((p): p is string => p !== undefined && !p.startsWith(join(out, 'lib')));
      assert.deepEqual(outside, [], `${prog} loads libraries from outside the bundle`);
    }
    // No library path from the environment: only what the wrapper gives the bundled loader.
    const env = { PATH: '/usr/bin:/bin' };
    const first = (cmd: string) => spawnSync(cmd, ['-version'], { encoding: 'utf8', env }).stdout.split('\n')[0];
    assert.equal(first(join(out, 'ffmpeg')), first('ffmpeg'));
    assert.equal(first(join(out, 'ffprobe')), first('ffprobe'));
    const clip = join(t.dir, 'clip.mp4');
    const enc = spawnSync(
      join(out, 'ffmpeg'),
      ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=160x120:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', clip],
      { encoding: 'utf8', env },
    );
    assert.equal(enc.status, 0, enc.stderr);
    assert.ok(existsSync(clip));
    const maps = spawnSync(join(out, 'ffprobe'), ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', clip], {
      encoding: 'utf8',
      env,
    });
    assert.equal(maps.stdout.trim(), 'h264');
  });
});
