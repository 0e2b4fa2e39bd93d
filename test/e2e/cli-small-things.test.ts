/**
 * Small things of the CLI a user meets (issue 27, item 7), through the built CLI: `serve` on a port already in
 * use is one line and exit 2, no stack; `serve --host 0.0.0.0` prints URLs a browser can open; a job refused at
 * its input shows as `refused` with its reason in `jobs`, and `gc --refused` / `--failed` remove such jobs
 * whatever their age; `gc` with no criterion is a usage error; `--json` is global (before or after the command);
 * `--video-codec h265` encodes HEVC; `doctor` warns when ffmpeg and ffprobe are different builds.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, cliAsync, cliDetached } from '../support/cli.js';
import { killGroup } from '../support/processes.js';
import { makeClip, REPO, tempDir } from '../support/media.js';

describe('CLI: small things', () => {
  const t = tempDir('shardcast-small-');
  const state = join(t.dir, 'state');
  after(t.cleanup);

  describe('serve', () => {
    let holder: Server;
    let port: number;
    before(async () => {
      holder = createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
      port = (holder.address() as { port: number }).port;
    });
    after(() => holder.close());

    it('a port in use: one line naming it and the way out, exit 2, no stack', async () => {
      const r = await cliAsync(['serve', '--port', String(port)], { stateDir: state, timeoutMs: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, `shardcast: error: port ${port} on 127.0.0.1 is in use: stop what holds it or pass --port N\n`);
      assert.doesNotMatch(r.stderr + r.stdout, /EADDRINUSE|\n\s+at /);
    });

    it('--host 0.0.0.0 says it listens on every interface and prints http://127.0.0.1:PORT/, never 0.0.0.0', async () => {
      const proc = cliDetached(['serve', '--host', '0.0.0.0', '--port', '0'], { stateDir: state, env: { SHARDCAST_TOKEN: '' } });
      let out = '';
      proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 30_000);
          proc.stdout!.on('data', () => {
            if (/Ctrl-C/.test(out)) {
              clearTimeout(timer);
              resolve();
            }
          });
          proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
        });
      } finally {
        killGroup(proc.pid);
      }
      const m = /listening on all interfaces \(0\.0\.0\.0\), port (\d+)/.exec(out);
      assert.ok(m, out);
      assert.match(out, new RegExp(`open http://127\\.0\\.0\\.1:${m[1]}/ on this machine`));
      assert.match(out, /API token: \S+/);
      assert.doesNotMatch(out, /http:\/\/0\.0\.0\.0/);
    });
  });

  describe('jobs refused at input, gc', () => {
    let refusedId: string;
    before(() => {
      const notes = join(t.dir, 'notes.mp4');
      writeFileSync(notes, 'hello, this is not a video\n'.repeat(50));
      const r = cli(['transcode', notes, join(t.dir, 'notes-out.mp4')], { stateDir: state });
      assert.equal(r.status, 2, r.stderr);
      refusedId = /job ([0-9a-f]+)/.exec(r.stderr)![1]!;
    });

    it('`jobs` labels the refused job `refused` with its reason, not `failed 0/0`', () => {
      const r = cli(['jobs'], { stateDir: state });
      assert.equal(r.status, 0, r.stderr);
      const line = r.stdout.split('\n').find((l) => l.startsWith(refusedId)) ?? '';
      assert.match(line, /^\S+ {2}refused +- .*notes\.mp4 {2}\(not a readable media file: .*\)$/);
      assert.doesNotMatch(r.stdout, /failed +0\/0/);
    });

    it('gc with no criterion is a usage error naming the three', () => {
      const r = cli(['gc'], { stateDir: state });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /gc needs --older-than AGE \(e\.g\. 7d\), --failed or --refused/);
    });

    it('--json is global: before or after the command, gc --refused removes the refused job at once', () => {
      const before = JSON.parse(cli(['--json', 'jobs'], { stateDir: state }).stdout) as Array<{ id: string }>;
      assert.ok(before.some((j) => j.id === refusedId));
      assert.deepEqual(JSON.parse(cli(['jobs', '--json'], { stateDir: state }).stdout), before);
      const r = cli(['gc', '--refused', '--json'], { stateDir: state });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { removed: [refusedId] });
      assert.equal(cli(['jobs'], { stateDir: state }).stdout.includes(refusedId), false);
    });
  });

  it('--video-codec h265 encodes HEVC', () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 1, size: '160x120', rate: 10, audio: false });
    const out = join(t.dir, 'h265.mp4');
    const r = cli(['--json', 'transcode', clip, out, '--video-codec', 'h265', '--preset', 'ultrafast', '--no-progress'], {
      stateDir: state,
    });
    assert.equal(r.status, 0, r.stderr);
    const job = JSON.parse(r.stdout) as { status: string };
    assert.equal(job.status, 'done');
    assert.match(r.stdout, /"videoCodec": "hevc"/);
    assert.ok(existsSync(out));
  });

  it('doctor warns when ffmpeg and ffprobe are different builds, and names the fix; one build: no warning', () => {
    const npmFfmpeg = join(REPO, 'node_modules', '@ffmpeg-installer', 'linux-x64', 'ffmpeg');
    const mixed = cli(['doctor'], { stateDir: state, env: { FFMPEG_PATH: npmFfmpeg, FFPROBE_PATH: '/usr/bin/ffprobe' } });
    if (existsSync(npmFfmpeg)) {
      assert.equal(mixed.status, 0, mixed.stderr);
      assert.match(mixed.stdout, /WARNING: ffmpeg and ffprobe are different builds: ffmpeg \S+, .*@ffmpeg-installer.*; ffprobe 5\./);
      assert.match(mixed.stdout, /may disagree .*: set FFMPEG_PATH=\/usr\/bin\/ffmpeg/);
      // The pair `npm ci` alone gives: @ffmpeg-installer's 2018 ffmpeg beside @ffprobe-installer's 2023 ffprobe.
      const bundled = cli(['doctor', '--json'], { stateDir: state, env: { SHARDCAST_BUNDLED_FFMPEG: '1' } });
      assert.equal(bundled.status, 0, bundled.stderr);
      assert.equal((JSON.parse(bundled.stdout) as { toolsSameBuild: boolean }).toolsSameBuild, false);
      const text = cli(['doctor'], { stateDir: state, env: { SHARDCAST_BUNDLED_FFMPEG: '1' } }).stdout;
      assert.match(
        text,
        /WARNING: ffmpeg and ffprobe are different builds: .*from the npm package @ffmpeg-installer\/ffmpeg; .*from the npm package @ffprobe-installer\/ffprobe/,
      );
      assert.match(text, /set FFMPEG_PATH and FFPROBE_PATH to the ffmpeg and ffprobe of one build/);
    }
    const same = cli(['doctor', '--json'], { stateDir: state, env: { FFMPEG_PATH: '/usr/bin/ffmpeg', FFPROBE_PATH: '/usr/bin/ffprobe' } });
    assert.equal(same.status, 0, same.stderr);
    assert.equal((JSON.parse(same.stdout) as { toolsSameBuild: boolean }).toolsSameBuild, true);
    assert.doesNotMatch(
      cli(['doctor'], { stateDir: state, env: { FFMPEG_PATH: '/usr/bin/ffmpeg', FFPROBE_PATH: '/usr/bin/ffprobe' } }).stdout,
      /WARNING/,
    );
  });
});
