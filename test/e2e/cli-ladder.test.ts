/**
 * An HLS/DASH ladder through the CLI, one encode shared by every check: the playlists read by real parsers
 * (m3u8-parser, mpd-parser, both video.js's), each rendition read by ffprobe/ffmpeg through its own playlist
 * (frames, decode order, a keyframe at every segment start on the same frames in every rendition, no decode
 * error); an HEVC ladder of several tasks; then the same ladder through `--backend aws-emulated`, which must
 * give the same files, byte for byte. The checks that need ../shared (verify_output.py, play_abr.js in Chromium,
 * a real MKV with subtitles) are in test/corpus/ladder-judge.test.ts, on a ladder made the same way
 * (test/support/ladder.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseMpd } from 'mpd-parser';
import { cli } from '../support/cli.js';
import { FRAMES, LADDER, makeLadder, parseM3u8, SEGMENT_FRAMES } from '../support/ladder.js';
import { ffmpeg, tempDir } from '../support/media.js';

function packets(path: string): Array<{ pts: number; dts: number; key: boolean }> {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,dts_time,flags', '-of', 'csv=p=0', path],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', `ffprobe complained reading ${path}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => {
      const [pts, dts, flags] = l.split(',');
      return { pts: Number(pts), dts: Number(dts), key: flags!.startsWith('K') };
    });
}

describe('CLI: an HLS/DASH ladder (--ladder, --dash)', () => {
  const t = tempDir('shardcast-ladder-');
  const state = join(t.dir, 'state');
  let clip: string;
  let out: string;
  let view: any;
  before(() => {
    ({ clip, out, view } = makeLadder(t.dir, state));
  });
  after(t.cleanup);

  it('writes a master playlist with measured BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION, FRAME-RATE and an audio group', () => {
    const master = parseM3u8(join(out, 'master.m3u8'));
    assert.equal(master.playlists.length, 2);
    const [hi, lo] = master.playlists;
    assert.deepEqual(
      [hi.attributes.RESOLUTION, lo.attributes.RESOLUTION],
      [
        { width: 640, height: 360 },
        { width: 426, height: 240 },
      ],
    );
    for (const p of master.playlists) {
      assert.match(p.attributes.CODECS, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      assert.equal(p.attributes['FRAME-RATE'], 24);
      assert.equal(p.attributes.AUDIO, 'audio');
    }
    const audio = master.mediaGroups.AUDIO.audio;
    const track = Object.values(audio)[0] as any;
    assert.equal(track.uri, 'a0/index.m3u8');
    // BANDWIDTH is the peak over one segment of the video plus the audio's; measured from the files.
    const rate = (dir: string) => {
      const media = parseM3u8(join(out, dir, 'index.m3u8'));
      const bits = media.segments.map((s: any) => (statSync(join(out, dir, s.uri)).size * 8) / s.duration);
      const total = media.segments.reduce((a: number, s: any) => a + statSync(join(out, dir, s.uri)).size * 8, 0);
      return { peak: Math.max(...bits), average: total / media.segments.reduce((a: number, s: any) => a + s.duration, 0) };
    };
    const a = rate('a0');
    for (const [p, dir] of [
      [hi, 'v360'],
      [lo, 'v240'],
    ] as const) {
      const v = rate(dir);
      assert.ok(
        Math.abs(p.attributes.BANDWIDTH - (v.peak + a.peak)) <= 2,
        `${dir}: BANDWIDTH ${p.attributes.BANDWIDTH}, measured ${v.peak + a.peak}`,
      );
      assert.ok(Math.abs(p.attributes['AVERAGE-BANDWIDTH'] - (v.average + a.average)) <= 2, `${dir}: AVERAGE-BANDWIDTH`);
    }
    // The 240p rung's own cap (300k) bounds its peak; the built-in one (800k) the 360p rung's.
    assert.ok(rate('v240').peak < 300_000 * 1.5, `240p peak ${rate('v240').peak}`);
  });

  it('writes media playlists by the rules: one init per rendition, TARGETDURATION, VOD, no discontinuity', () => {
    for (const dir of ['v360', 'v240', 'a0']) {
      const text = readFileSync(join(out, dir, 'index.m3u8'), 'utf8');
      assert.doesNotMatch(text, /DISCONTINUITY/);
      const m = parseM3u8(join(out, dir, 'index.m3u8'));
      assert.equal(m.playlistType, 'VOD');
      assert.equal(m.endList, true);
      assert.ok(m.segments.length >= 4, `${dir}: ${m.segments.length} segments`);
      for (const s of m.segments) {
        assert.equal(s.map.uri, 'init.mp4');
        assert.ok(Math.round(s.duration) <= m.targetDuration, `${dir}: EXTINF ${s.duration} over TARGETDURATION ${m.targetDuration}`);
      }
      const total = m.segments.reduce((x: number, s: any) => x + s.duration, 0);
      assert.ok(Math.abs(total - 8) < 0.05, `${dir}: ${total} s`);
    }
    const files = readdirSync(join(out, 'v360')).filter((f) => f.endsWith('.mp4'));
    assert.deepEqual(files, ['init.mp4']);
  });

  it('writes a DASH manifest over the same segment files', () => {
    const mpd = parseMpd(readFileSync(join(out, 'manifest.mpd'), 'utf8'), { manifestUri: 'http://127.0.0.1/manifest.mpd' }) as any;
    assert.equal(mpd.playlists.length, 2);
    for (const p of mpd.playlists) {
      assert.equal(p.segments.length, 4);
      assert.match(p.segments[0].map.resolvedUri, /\/v(360|240)\/init\.mp4$/);
      assert.match(p.segments[3].resolvedUri, /\/v(360|240)\/seg_00004\.m4s$/);
      const total = p.segments.reduce((x: number, s: any) => x + s.duration, 0);
      assert.ok(Math.abs(total - 8) < 0.05, `${total} s`);
    }
    const audio = Object.values(mpd.mediaGroups.AUDIO.audio)[0] as any;
    assert.ok(audio.playlists[0].segments.length >= 4);
  });

  it('reads through each rendition playlist: every frame, DTS increasing, a keyframe at each segment start on the same frames everywhere, no decode error', () => {
    const starts: number[][] = [];
    for (const dir of ['v360', 'v240']) {
      const playlist = join(out, dir, 'index.m3u8');
      const p = packets(playlist);
      assert.equal(p.length, FRAMES);
      for (let i = 1; i < p.length; i++) assert.ok(p[i]!.dts > p[i - 1]!.dts, `${dir}: DTS ${p[i]!.dts} after ${p[i - 1]!.dts}`);
      const byPts = [...p].sort((x, y) => x.pts - y.pts);
      // Frames 0, 48, 96, 144 begin the media segments: each one is a keyframe.
      for (let f = 0; f < FRAMES; f += SEGMENT_FRAMES) assert.ok(byPts[f]!.key, `${dir}: frame ${f} (a segment start) is not a keyframe`);
      starts.push(byPts.map((x, i) => (x.key ? i : -1)).filter((i) => i >= 0 && i % SEGMENT_FRAMES === 0));
      const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', playlist, '-f', 'null', '-'], { encoding: 'utf8' });
      assert.equal(decode.status, 0);
      assert.equal(decode.stderr.trim(), '', `${dir}: decode errors`);
      // Every media segment, read alone after the init, starts with a keyframe.
      for (const seg of readdirSync(join(out, dir)).filter((f) => f.endsWith('.m4s'))) {
        const joined = join(t.dir, `${dir}-${seg}.mp4`);
        ffmpeg(['-v', 'error', '-y', '-i', `concat:${join(out, dir, 'init.mp4')}|${join(out, dir, seg)}`, '-c', 'copy', joined]);
        assert.ok(packets(joined)[0]!.key, `${dir}/${seg} does not start with a keyframe`);
      }
    }
    assert.deepEqual(starts[0], starts[1]);
  });

  it('lists the renditions with their bytes and bitrates in status --json', () => {
    assert.equal(view.status, 'done');
    assert.equal(view.verify.ok, true);
    assert.equal(view.verify.method, 'segments');
    const r = view.renditions as any[];
    assert.deepEqual(
      r.map((x) => x.name),
      ['v360', 'v240', 'a0'],
    );
    for (const x of r) {
      const files = readdirSync(join(out, x.name)).filter((f) => f.endsWith('.m4s'));
      assert.equal(
        x.bytes,
        files.reduce((a, f) => a + statSync(join(out, x.name, f)).size, 0),
      );
      assert.ok(x.peakBitrate >= x.averageBitrate && x.averageBitrate > 0);
    }
    assert.equal(r[0].frames, FRAMES);
    const s = cli(['status', view.id], { stateDir: state });
    assert.match(s.stdout, /v360\s+640x360\s+avc1\.\w+\s+4 segments/);
  });

  it('makes an HEVC ladder of several tasks with one init per rendition (x265 writes no per-task option SEI)', () => {
    const dir = join(t.dir, 'hevc');
    const r = cli(
      [
        'transcode',
        clip,
        join(dir, 'master.m3u8'),
        '--video-codec',
        'hevc',
        '--preset',
        'ultrafast',
        '--ladder',
        '240',
        '--segment-duration',
        '2',
        '--workers',
        '2',
        '--audio-codec',
        'none',
        '--no-progress',
        '--json',
      ],
      { stateDir: state },
    );
    assert.equal(r.status, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.ok(view.segmentsTotal >= 2);
    assert.match(view.renditions[0].codecs, /^hvc1\.1\.6\.L\d+/);
    assert.equal(packets(join(dir, 'v240', 'index.m3u8')).length, FRAMES);
  });

  it('makes the same files through --backend aws-emulated', () => {
    const eout = join(t.dir, 'hls-emulated');
    const r = cli(['transcode', clip, join(eout, 'master.m3u8'), ...LADDER, '--backend', 'aws-emulated'], {
      stateDir: join(t.dir, 'state-emulated'),
      timeoutMs: 180_000,
      env: { NODE_OPTIONS: '--openssl-legacy-provider' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'done');
    for (const dir of ['', 'v360', 'v240', 'a0']) {
      const names = readdirSync(join(out, dir))
        .filter((f) => !statSync(join(out, dir, f)).isDirectory())
        .sort();
      assert.deepEqual(
        readdirSync(join(eout, dir))
          .filter((f) => !statSync(join(eout, dir, f)).isDirectory())
          .sort(),
        names,
      );
      for (const f of names) assert.ok(readFileSync(join(out, dir, f)).equals(readFileSync(join(eout, dir, f))), `${dir}/${f} differs`);
    }
  });
});
