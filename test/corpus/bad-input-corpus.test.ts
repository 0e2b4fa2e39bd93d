/**
 * Bad input from the real media corpus (SHARDCAST_MEDIA, default ../shared/media): an audio-only MP4 with two
 * 5.1 AAC tracks, an MP4 truncated after its moov, and a VP9 WebM whose bitstream is invalid each get one clear
 * line on stderr and exit 2, no stack trace and no ffmpeg left running. test/e2e/cli-bad-input.test.ts covers the
 * rest of bad input, with generated audio-only and truncated sources.
 */
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { sharedMedia, tempDir } from '../support/media.js';
import { usageErrorCheck } from '../support/usage-error.js';

describe('CLI: bad input from the corpus', () => {
  const t = tempDir('shardcast-badinput-corpus-');
  const state = join(t.dir, 'state');
  after(t.cleanup);

  const expectUsageError = usageErrorCheck(t.dir, state);

  const out = () => join(t.dir, `out-${randomBytes(3).toString('hex')}.mp4`);

  it('an audio-only file', () => {
    expectUsageError(['transcode', sharedMedia('audio_only_2x_aac51.mp4'), out()], /no video stream/);
  });

  it('a truncated file', () => {
    expectUsageError(['transcode', sharedMedia('broken_truncated_after_moov.mp4'), out()], /truncated or damaged/);
  });

  it('a corrupt bitstream', () => {
    expectUsageError(['transcode', sharedMedia('broken_vp9_invalid_bitstream.webm'), out()], /no readable video frames/);
  });
});
