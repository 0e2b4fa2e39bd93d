/**
 * The HLS/DASH ladder of test/e2e/cli-ladder.test.ts (made the same way, test/support/ladder.ts) checked with the
 * shared tools: each rendition judged by verify_output.py (SHARDCAST_SHARED_TOOLS, default ../shared/tools)
 * against a plain one-pass encode at its height, and played to its end by hls.js and dash.js in Chromium
 * (play_abr.js); a real webm's DASH ladder played by dash.js; and a real MKV from the corpus (SHARDCAST_MEDIA)
 * whose text subtitles become a WebVTT rendition and whose AC3 audio an AAC one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli } from '../support/cli.js';
import { FRAMES, makeLadder, parseM3u8 } from '../support/ladder.js';
import { ffmpeg, REPO, sharedMedia, sharedTool, tempDir } from '../support/media.js';

const t = tempDir('shardcast-ladder-judge-');
const state = join(t.dir, 'state');
after(t.cleanup);

/** Plays a ladder's every rendition in Chromium with the shared play_abr.js: its verdict, and what it printed (for messages). */
function playAbr(dir: string, manifest: string, kind: 'hls' | 'dash', timeoutMs: number): { res: any; line: string } {
  const r = spawnSync(process.execPath, [sharedTool('play_abr.js'), dir, manifest, kind], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') },
  });
  const verdict = r.stdout.trim().split('\n').pop()!;
  return { res: JSON.parse(verdict), line: `${r.stdout} ${r.stderr}` };
}

describe('CLI: an HLS/DASH ladder judged by the shared tools', () => {
  let clip: string;
  let out: string;
  before(() => {
    ({ clip, out } = makeLadder(t.dir, state));
  });

  it('each rendition passes verify_output.py against a plain one-pass encode at its height', () => {
    for (const [dir, size, cap] of [
      ['v360', '640:360', 800],
      ['v240', '426:240', 300],
    ] as const) {
      const ref = join(t.dir, `ref-${dir}.mp4`);
      ffmpeg([
        '-v',
        'error',
        '-y',
        '-i',
        clip,
        '-map',
        '0:v',
        '-vf',
        `scale=${size},setsar=1`,
        '-fps_mode',
        'passthrough',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '23',
        '-maxrate',
        `${cap}k`,
        '-bufsize',
        `${cap * 2}k`,
        '-force_key_frames',
        'expr:gte(t,n_forced*2)',
        ref,
      ]);
      const r = spawnSync('python3', [sharedTool('verify_output.py'), clip, join(out, dir, 'index.m3u8'), ref], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      const res = JSON.parse(r.stdout);
      assert.equal(res.ok, true, `${dir}: ${JSON.stringify(res.checks)}`);
    }
  });

  /**
   * A known defect, not yet fixed (issue 25): every rendition starts at the ladder's timelineStart (0.167 s here:
   * the decode lead of 4 frames), so a seek to 0 lands in a hole at the start. hls.js then skips it with a non-fatal
   * `bufferSeekOverHole` and aborts the loads in flight (`networkError aborted`), now and then: 2 runs in 3 on a
   * quiet machine. Those two reports alone are told, not failed; any other error, a fatal one, a rendition not
   * played to its end or short of frames still fails.
   */
  const KNOWN_START_HOLE = /^hls (mediaError bufferSeekOverHole|networkError aborted)$/;

  it('plays every rendition to its end in Chromium: hls.js the master playlist, dash.js the manifest', (tc) => {
    for (const [manifest, kind] of [
      ['master.m3u8', 'hls'],
      ['manifest.mpd', 'dash'],
    ] as const) {
      const { res, line } = playAbr(out, manifest, kind, 240_000);
      const known = (res.errors as string[]).filter((e) => KNOWN_START_HOLE.test(e));
      if (known.length) tc.diagnostic(`${kind}: the known start hole (issue 25): ${known.join('; ')}`);
      assert.deepEqual(
        (res.errors as string[]).filter((e) => !KNOWN_START_HOLE.test(e)),
        [],
        `${kind}: ${line}`,
      );
      assert.ok(res.renditions.length > 0, `${kind}: ${line}`);
      for (const x of res.renditions) assert.ok(Math.abs(x.duration - x.currentTime) < 0.5, `${kind}: ${JSON.stringify(x)} ended early`);
      assert.deepEqual(res.renditions.map((x: any) => [x.width, x.videoHeight, x.ended, x.frames >= FRAMES - 2]).sort(), [
        [426, 240, true, true],
        [640, 360, true, true],
      ]);
    }
  });
});

describe('CLI: the DASH ladder of a real webm plays in dash.js', () => {
  /**
   * Issue 25, class 6: bbb's VP8/Vorbis webm, whose video begins 3 ms after its audio. The DASH period started at
   * the source's start, so the video left a 3 ms hole there and dash.js never began to play (no error, a wait until
   * the harness gave up). The period now starts where every track has media (core/playlists.ts dashPeriodStart).
   */
  it('plays every rendition to its end, every frame shown', () => {
    const dir = join(t.dir, 'webm');
    const r = cli(
      [
        'transcode',
        sharedMedia('bbb_720p24_30s_vp8_vorbis.webm'),
        join(dir, 'master.m3u8'),
        '--ladder',
        '360,240',
        '--dash',
        '--preset',
        'ultrafast',
        '--no-progress',
      ],
      { stateDir: state },
    );
    assert.equal(r.status, 0, r.stderr);
    const { res, line } = playAbr(dir, 'manifest.mpd', 'dash', 300_000);
    assert.deepEqual(res.errors, [], line);
    assert.deepEqual(
      // Decoded frames: all 720, and now and then one decoded twice as the player starts.
      res.renditions.map((x: any) => [x.videoHeight, x.ended, x.frames >= 720]).sort(),
      [
        [240, true, true],
        [360, true, true],
      ],
      line,
    );
  });
});

describe('CLI: a ladder of a real MKV with subtitles and AC3 audio', () => {
  it('makes text subtitles a WebVTT rendition and AC3 audio an AAC one (a real MKV); its DASH plays', () => {
    const dir = join(t.dir, 'subs');
    const r = cli(
      [
        'transcode',
        sharedMedia('h264_ac3_srt.mkv'),
        join(dir, 'master.m3u8'),
        '--ladder',
        '240',
        '--dash',
        '--preset',
        'ultrafast',
        '--no-progress',
        '--json',
      ],
      { stateDir: state },
    );
    assert.equal(r.status, 0, r.stderr);
    const master = parseM3u8(join(dir, 'master.m3u8'));
    const subs = Object.values<any>(master.mediaGroups.SUBTITLES.subs);
    assert.equal(subs.length, 1);
    assert.equal(subs[0].uri, 's0/index.m3u8');
    assert.equal(master.playlists[0].attributes.SUBTITLES, 'subs');
    assert.match(master.playlists[0].attributes.CODECS, /mp4a\.40\.2/);
    const vtt = readFileSync(join(dir, 's0', 'subtitles.vtt'), 'utf8');
    assert.match(vtt, /^WEBVTT/);
    assert.match(vtt, /This is the first subtitle\./);
    assert.equal(parseM3u8(join(dir, 's0', 'index.m3u8')).segments[0].uri, 'subtitles.vtt');
    assert.deepEqual(
      JSON.parse(r.stdout).renditions.map((x: any) => x.kind),
      ['video', 'audio', 'subtitles'],
    );
    // Its AC3 begins 62 ms after the video: the audio rendition gets that much silence first, so the DASH period,
    // which starts on the video's first frame, has no hole in the audio for dash.js to stall on (1 run in 2 did).
    assert.match(readFileSync(join(dir, 's0', 'subtitles-dash.vtt'), 'utf8'), /00:00\.000 --> 00:01\.234/);
    const { res, line } = playAbr(dir, 'manifest.mpd', 'dash', 200_000);
    assert.deepEqual(res.errors, [], line);
    assert.deepEqual(
      res.renditions.map((x: any) => [x.videoHeight, x.ended]),
      [[240, true]],
      line,
    );
  });
});
