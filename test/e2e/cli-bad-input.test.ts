/**
 * Bad input: each case gets one clear line on stderr and exit 2 (or exit 1 naming the segment for a
 * decodable-but-corrupt source), no stack trace, no file at the output path, no ffmpeg left running, and
 * the input untouched. Paths with awkward characters work like any other. The audio-only and truncated sources
 * are generated here; the corpus's own bad files (audio-only, truncated, corrupt bitstream) are in
 * test/corpus/bad-input-corpus.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { seededRandom } from '../../src/core/seeded-random.js';
import { cli } from '../support/cli.js';
import { ffmpeg, makeClip, tempDir } from '../support/media.js';
import { usageErrorCheck } from '../support/usage-error.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('CLI: bad input', () => {
  const t = tempDir('shardcast-badinput-');
  const state = join(t.dir, 'state');
  let clip: string;
  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 2, gop: 15 });
  });
  after(t.cleanup);

  const expectUsageError = usageErrorCheck(t.dir, state);

  const out = () => join(t.dir, `out-${randomBytes(3).toString('hex')}.mp4`);

  it('missing input path', () => {
    const o = out();
    expectUsageError(['transcode', join(t.dir, 'nope.mp4'), o], /input not found/);
    assert.equal(existsSync(o), false);
  });

  it('a directory as input', () => {
    expectUsageError(['transcode', t.dir, out()], /is a directory/);
  });

  it('a zero-byte file', () => {
    const p = join(t.dir, 'empty.mp4');
    writeFileSync(p, '');
    expectUsageError(['transcode', p, out()], /empty file/);
  });

  it('a text file that is not media', () => {
    const p = join(t.dir, 'notes.mp4');
    writeFileSync(p, 'hello, this is not a video\n'.repeat(50));
    const o = out();
    expectUsageError(['transcode', p, o], /not a readable media file/);
    assert.equal(existsSync(o), false);
  });

  it('random bytes', () => {
    // Seeded, so every run probes the same bytes: fresh random bytes now and then probe as a stream of some
    // kind (a 1-frame "video" that then fails to encode), which made this test fail by chance.
    const p = join(t.dir, 'random.mkv');
    const rand = seededRandom(20261202);
    writeFileSync(p, Buffer.from(Array.from({ length: 200_000 }, () => Math.floor(rand() * 256))));
    const before = sha(p);
    expectUsageError(['transcode', p, out()], /not a readable media file|no video stream|no readable video/);
    assert.equal(sha(p), before, 'input untouched');
  });

  it('an audio-only file (a generated sine tone in MP4)', () => {
    const p = join(t.dir, 'audio-only.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1', '-c:a', 'aac', p]);
    expectUsageError(['transcode', p, out()], /no video stream/);
  });

  it('a truncated file (the clip with its moov first, cut to half its bytes)', () => {
    // +faststart puts the index (moov) before the media data, so the half that is left still probes as an MP4
    // whose packets run out, as a download cut short would.
    const p = join(t.dir, 'truncated.mp4');
    ffmpeg(['-i', clip, '-c', 'copy', '-movflags', '+faststart', p]);
    truncateSync(p, Math.floor(statSync(p).size / 2));
    expectUsageError(['transcode', p, out()], /truncated or damaged/);
  });

  it('an output path in a missing folder', () => {
    expectUsageError(['transcode', clip, join(t.dir, 'missing', 'out.mp4')], /output folder does not exist/);
  });

  it('an output path equal to the input', () => {
    const before = sha(clip);
    expectUsageError(['transcode', clip, clip], /output path is the input/);
    assert.equal(sha(clip), before, 'input untouched');
  });

  it('an existing output without --overwrite', () => {
    const o = out();
    writeFileSync(o, 'keep me');
    expectUsageError(['transcode', clip, o], /output exists/);
    assert.equal(readFileSync(o, 'utf8'), 'keep me');
  });

  it('an unknown output extension and bad option values', () => {
    expectUsageError(['transcode', clip, join(t.dir, 'out.avi')], /cannot tell the output container/);
    expectUsageError(['transcode', clip, out(), '--crf', 'abc'], /--crf must be a whole number/);
    expectUsageError(['transcode', clip, out(), '--video-codec', 'mpeg1'], /--video-codec must be one of/);
    expectUsageError(['transcode', clip, join(t.dir, 'x.webm'), '--video-codec', 'h264'], /cannot hold h264/);
  });

  it('an unknown job id', () => {
    expectUsageError(['status', 'abcdef123456'], /no job abcdef123456/);
    expectUsageError(['resume', 'abcdef123456'], /no job abcdef123456/);
  });

  it('paths with spaces, quotes, newlines, a leading dash, $(...) and non-ASCII letters', () => {
    const dir = join(t.dir, `we'ird $(touch pwned) "dir"`);
    mkdirSync(dir);
    const names = ['-leading dash.mp4', `quote's "double".mp4`, 'new\nline.mp4', 'ünïcødé 视频.mp4', '$(echo hi).mp4'];
    for (const name of names) {
      const src = join(dir, name);
      copyFileSync(clip, src);
      const o = join(dir, `out ${name}`);
      const r = cli(['transcode', src, o, '--preset', 'ultrafast', '--json', '--no-progress'], { stateDir: state });
      assert.equal(r.status, 0, `${JSON.stringify(name)}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).status, 'done');
      assert.ok(existsSync(o), `output for ${JSON.stringify(name)}`);
    }
    assert.equal(existsSync(join(t.dir, 'pwned')), false);
    assert.equal(readdirSync(process.cwd()).includes('pwned'), false);
  });
});
