/**
 * `--publish-early`: a ladder job's output folder, served over HTTP while the job runs, plays in hls.js in
 * Chromium before the job is done (the time playback started is before the CLI exited, and the media playlist
 * then was an EVENT playlist without ENDLIST); at the end the VOD playlists replace the EVENT ones. The finished
 * ladder's I-frame playlists are read back: every byte range, after the rendition's init segment, decodes to
 * exactly one keyframe.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { cliDetached } from '../support/cli.js';
import { parseM3u8 } from '../support/ladder.js';
import { makeClip, REPO, tempDir } from '../support/media.js';
import { exitOf, killGroup } from '../support/processes.js';
import { launchChromium } from './support/browser.js';

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.js': 'text/javascript',
};
const HLS_JS = join(REPO, 'node_modules', 'hls.js', 'dist', 'hls.min.js');

/** A static server of `root` on 127.0.0.1 (no caching: the playlists change while the job runs), and hls.js. */
function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><video id="v" muted playsinline></video><script src="/_lib/hls.js"></script>');
      return;
    }
    const file = path === '/_lib/hls.js' ? HLS_JS : join(root, normalize(path));
    if (!existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('--publish-early: a ladder plays while it transcodes', () => {
  const t = tempDir('shardcast-early-');
  const out = join(t.dir, 'hls');
  let browser: Browser | undefined;
  let http: { server: Server; url: string };
  before(async () => {
    http = await serve(out);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    http?.server.close();
    t.cleanup();
  });

  it('hls.js starts playing before the job is done; the VOD playlists replace the EVENT ones at the end', async (c) => {
    // 30 s at the slowest preset on one worker: the job lasts several times its first media segment's encode.
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 30, size: '320x180', rate: 24, gop: 48, noise: 4 });
    const args = ['transcode', clip, join(out, 'master.m3u8'), '--ladder', '180,120', '--dash', '--segment-duration', '2'];
    const job = cliDetached([...args, '--preset', 'veryslow', '--workers', '1', '--publish-early', '--no-progress'], {
      stateDir: join(t.dir, 'state'),
    });
    let output = '';
    job.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    job.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let finishedAt: number | undefined;
    const ended = exitOf(job, 'the --publish-early job', 240_000, () => output).then((r) => {
      finishedAt = Date.now();
      return r;
    });
    try {
      const master = join(out, 'master.m3u8');
      while (!existsSync(master) && finishedAt === undefined) await sleep(100);
      assert.equal(finishedAt, undefined, `the job ended before any master playlist was published:\n${output}`);
      const page = await browser!.newPage();
      await page.goto(`${http.url}/`);
      await page.evaluate((src) => {
        const w = window as unknown as { Hls: any; errors: string[] };
        w.errors = [];
        const v = document.getElementById('v') as HTMLVideoElement;
        const hls = new w.Hls({ enableWorker: false });
        hls.on(w.Hls.Events.ERROR, (_e: unknown, d: any) => d.fatal && w.errors.push(`${d.type} ${d.details}`));
        hls.loadSource(src);
        hls.attachMedia(v);
        hls.on(w.Hls.Events.MANIFEST_PARSED, () => void v.play());
      }, `${http.url}/master.m3u8`);
      let playingAt: number | undefined;
      let playlistThen = '';
      while (finishedAt === undefined) {
        const state = await page.evaluate(() => {
          const v = document.getElementById('v') as HTMLVideoElement;
          return { time: v.currentTime, errors: (window as unknown as { errors: string[] }).errors };
        });
        assert.deepEqual(state.errors, []);
        if (state.time > 0) {
          playingAt = Date.now();
          playlistThen = readFileSync(join(out, 'v180', 'index.m3u8'), 'utf8');
          break;
        }
        await sleep(100);
      }
      const { code } = await ended;
      assert.equal(code, 0, output);
      assert.ok(playingAt !== undefined, `playback had not started when the job ended:\n${output}`);
      assert.ok(playingAt < finishedAt!, 'playback started before the job ended');
      c.diagnostic(`playback started ${((finishedAt! - playingAt) / 1000).toFixed(1)} s before the job ended`);
      assert.match(playlistThen, /#EXT-X-PLAYLIST-TYPE:EVENT/);
      assert.doesNotMatch(playlistThen, /#EXT-X-ENDLIST/);
      const summary = /first playable after ([\d.]+) s of ([\d.]+) s/.exec(output);
      assert.ok(summary, output);
      assert.ok(Number(summary[1]) < Number(summary[2]), summary[0]);
      // The end: VOD playlists with every segment, a static DASH manifest.
      for (const r of ['v180', 'v120', 'a0']) {
        const media = readFileSync(join(out, r, 'index.m3u8'), 'utf8');
        assert.match(media, /#EXT-X-PLAYLIST-TYPE:VOD/);
        assert.match(media, /#EXT-X-ENDLIST/);
        assert.equal(parseM3u8(join(out, r, 'index.m3u8')).segments.length, 15);
      }
      assert.match(readFileSync(join(out, 'manifest.mpd'), 'utf8'), /type="static"/);
      await page.close();
    } finally {
      killGroup(job.pid);
    }
  });

  it('writes I-frame playlists whose byte ranges are each one keyframe of the rendition', () => {
    const master = readFileSync(join(out, 'master.m3u8'), 'utf8');
    for (const r of ['v180', 'v120']) {
      assert.match(master, new RegExp(`#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=\\d+,.*URI="${r}/iframes\\.m3u8"`));
      const text = readFileSync(join(out, r, 'iframes.m3u8'), 'utf8');
      assert.match(text, /#EXT-X-I-FRAMES-ONLY/);
      const entries = [...text.matchAll(/#EXTINF:([\d.]+),\n#EXT-X-BYTERANGE:(\d+)@(\d+)\n(\S+)/g)];
      assert.ok(entries.length >= 15, `${entries.length} I-frames in ${r}`);
      const total = entries.reduce((a, m) => a + Number(m[1]), 0);
      assert.ok(Math.abs(total - 30) < 0.1, `the I-frames of ${r} span ${total} s`);
      const init = readFileSync(join(out, r, 'init.mp4'));
      for (const [, , length, offset, file] of entries.slice(0, 4)) {
        const bytes = readFileSync(join(out, r, file!)).subarray(Number(offset), Number(offset) + Number(length));
        const probe = join(t.dir, `iframe-${r}.mp4`);
        writeFileSync(probe, Buffer.concat([init, bytes]));
        const p = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'frame=pict_type,key_frame', '-of', 'csv=p=0', probe], {
          encoding: 'utf8',
        });
        assert.equal(p.status, 0, p.stderr);
        // One frame, a keyframe and an I picture (a trailing field is side data, when ffprobe prints it).
        assert.deepEqual(
          p.stdout
            .trim()
            .split('\n')
            .map((l) => l.replace(/,+$/, '')),
          ['1,I'],
          `${r} ${file} ${length}@${offset}`,
        );
      }
    }
  });
});
