/**
 * `--publish-early` through `--backend aws-emulated` (the real state machine; each encode Lambda publishes the
 * prefix it grew): while the job runs, an EVENT media playlist without ENDLIST is in the emulated S3 bucket; at the
 * end the output is the ladder the local home makes with the flag: the same files, the same VOD media playlists
 * byte for byte, as many I-frames. (Not every segment's bytes: with more tasks than workers, the last tasks' x264
 * output differs between the two homes with or without the flag; seen before this feature, left as it is.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli, cliDetached } from '../support/cli.js';
import { makeClip, tempDir } from '../support/media.js';
import { exitOf, killGroup } from '../support/processes.js';

const ARGS = ['--ladder', '180,120', '--segment-duration', '1', '--preset', 'slower', '--workers', '2', '--publish-early', '--no-progress'];

/** Every file under `dir` (relative paths), recursively; what vanishes meanwhile (s3rver's temp files) is skipped. */
function files(dir: string, rel = ''): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(dir, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? files(dir, join(rel, e.name)) : [join(rel, e.name)]));
}

/** A file's text, or '' when it is gone. */
function textOf(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('--publish-early on the emulated AWS home', () => {
  const t = tempDir('shardcast-early-aws-');
  after(t.cleanup);

  it('has an EVENT playlist in S3 while it runs and ends with the local home’s VOD ladder', async () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 10, size: '320x180', rate: 24, gop: 24, noise: 4 });
    const state = join(t.dir, 'state-aws');
    const eout = join(t.dir, 'hls-aws');
    const job = cliDetached(['transcode', clip, join(eout, 'master.m3u8'), ...ARGS, '--backend', 'aws-emulated'], {
      stateDir: state,
      env: { NODE_OPTIONS: '--openssl-legacy-provider' },
    });
    let output = '';
    job.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    job.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let running = true;
    const ended = exitOf(job, 'the aws-emulated --publish-early job', 240_000, () => output).finally(() => (running = false));
    // The emulated bucket keeps each object as a file under the state dir (s3rver's store).
    const seen: string[] = [];
    try {
      while (running) {
        for (const f of files(state).filter((x) => /v180\/index\.m3u8/.test(x) && !/metadata/.test(x))) {
          const text = textOf(join(state, f));
          if (/#EXT-X-PLAYLIST-TYPE:EVENT/.test(text) && !/#EXT-X-ENDLIST/.test(text)) seen.push(text);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const { code } = await ended;
      assert.equal(code, 0, output);
    } finally {
      killGroup(job.pid);
    }
    assert.ok(seen.length > 0, `no EVENT playlist of v180 was seen in the emulated S3 during the run:\n${output}`);
    assert.match(output, /first playable after [\d.]+ s of [\d.]+ s/);

    const out = join(t.dir, 'hls-local');
    const r = cli(['transcode', clip, join(out, 'master.m3u8'), ...ARGS], { stateDir: join(t.dir, 'state-local'), timeoutMs: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    const names = files(out).sort();
    assert.deepEqual(files(eout).sort(), names);
    assert.ok(names.includes(join('v180', 'iframes.m3u8')));
    for (const f of names.filter((x) => x.endsWith('index.m3u8')))
      assert.equal(readFileSync(join(eout, f), 'utf8'), readFileSync(join(out, f), 'utf8'), `${f} differs`);
    const iframes = (dir: string) => readFileSync(join(dir, 'v180', 'iframes.m3u8'), 'utf8').match(/#EXT-X-BYTERANGE/g)?.length;
    assert.equal(iframes(eout), iframes(out));
    assert.match(readFileSync(join(eout, 'v180', 'index.m3u8'), 'utf8'), /#EXT-X-PLAYLIST-TYPE:VOD[\s\S]*#EXT-X-ENDLIST/);
  });
});
