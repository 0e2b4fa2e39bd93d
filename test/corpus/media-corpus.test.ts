/**
 * Every file in the media corpus (SHARDCAST_MEDIA, default ../shared/media: real files made by other people, see
 * PROVENANCE.md there) either transcodes and passes verification, or fails with the expected clear one-line
 * error and exit code.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { ffprobeJson, SHARED_MEDIA, sharedMedia, tempDir } from '../support/media.js';

interface Case {
  file: string;
  out?: string;
  /** Expected failure: exit code and message pattern. */
  fails?: { status: number; message: RegExp };
  check?: (outPath: string, job: any) => void;
}

const streams = (p: string) => ffprobeJson(p, 'stream=codec_type,codec_name,width,height,color_transfer,color_primaries').streams as any[];

const CASES: Case[] = [
  { file: 'bbb_720p24_10s_h264_aac.mp4' },
  { file: 'bbb_720p24_30s_vp8_vorbis.webm', out: 'webm' },
  { file: 'recorder_720p_vp9_opus_noduration.webm' },
  { file: 'hevc_1080p30_10s_aac.mp4' },
  {
    file: 'phone_h264_720p_rot180_vfr.mp4',
    check: (p) => {
      const v = streams(p).find((s) => s.codec_type === 'video');
      assert.equal(v.width, 1280);
      assert.equal(v.height, 720);
    },
  },
  { file: 'screenrec_h264_extreme_vfr.mp4' },
  {
    file: 'h264_ac3_srt.mkv',
    check: (p) =>
      assert.ok(
        streams(p).some((s) => s.codec_name === 'mov_text'),
        'subtitles carried as mov_text',
      ),
  },
  {
    file: 'h264_ac3_srt.mkv',
    out: 'mkv',
    check: (p) =>
      assert.ok(
        streams(p).some((s) => s.codec_name === 'subrip'),
        'subtitles copied into mkv',
      ),
  },
  {
    file: 'av1_10bit_hdr10_portrait_aac.mp4',
    check: (p) => {
      const v = streams(p).find((s) => s.codec_type === 'video');
      assert.equal(v.width, 720);
      assert.equal(v.height, 1280);
      assert.equal(v.color_transfer, 'smpte2084');
      assert.equal(v.color_primaries, 'bt2020');
    },
  },
  { file: 'vp9_profile2_10bit.webm' },
  { file: 'mpeg2_1080p24_mp2_bbb.ts' },
  { file: 'mpeg2_480i_bff_ac3.ts' },
  { file: 'real_640x360_40s_noaudio.mp4' },
  { file: 'audio_only_2x_aac51.mp4', fails: { status: 2, message: /no video stream/ } },
  { file: 'broken_truncated_after_moov.mp4', fails: { status: 2, message: /truncated or damaged/ } },
  { file: 'broken_vp9_invalid_bitstream.webm', fails: { status: 2, message: /no readable video frames/ } },
];

describe('shared media corpus', () => {
  const t = tempDir();
  const state = join(t.dir, 'state');
  after(t.cleanup);

  it('covers every file in the corpus', () => {
    const files = readdirSync(SHARED_MEDIA).filter((f) => !f.endsWith('.md'));
    const covered = new Set(CASES.map((c) => c.file));
    assert.deepEqual(
      files.filter((f) => !covered.has(f)),
      [],
    );
  });

  for (const c of CASES) {
    it(`${c.file} -> .${c.out ?? 'mp4'}${c.fails ? ' fails clearly' : ''}`, () => {
      const out = join(t.dir, `${c.file}.${c.out ?? 'mp4'}`);
      const r = cli(
        [
          'transcode',
          sharedMedia(c.file),
          out,
          '--preset',
          'ultrafast',
          '--segment-seconds',
          '2',
          '--accept-cut-cost',
          '--json',
          '--no-progress',
        ],
        {
          stateDir: state,
        },
      );
      if (c.fails) {
        assert.equal(r.status, c.fails.status, r.stderr);
        const lines = r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('shardcast:'));
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, c.fails.message);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
        assert.equal(existsSync(out), false, 'no output file');
        return;
      }
      assert.equal(r.status, 0, r.stderr);
      const job = JSON.parse(r.stdout);
      assert.equal(job.status, 'done');
      assert.equal(job.verify.ok, true);
      assert.equal(job.frames, job.expectedFrames);
      assert.ok(existsSync(out));
      c.check?.(out, job);
    });
  }
});
