/**
 * The source's packet scan in interval reads at once (deps.parallelScan: over S3 one read is bound by one
 * connection's rate): on real files from the corpus (SHARDCAST_MEDIA, default ../shared/media) in indexed
 * containers it gives the same analysis as one read, frame for frame; a container without an index (MPEG-TS)
 * and a truncated source take the single read, which still catches the truncation. The join's own refusals are
 * tested in test/integration/interval-scan.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { analyzeSource } from '../../src/app/analyze-job.js';
import { InputError } from '../../src/core/errors.js';
import { makeLocalRuntime, type LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import type { MediaTool } from '../../src/ports/media-tool.js';
import { sharedMedia, tempDir } from '../support/media.js';

describe('packet scan by intervals', () => {
  const t = tempDir('shardcast-interval-scan-');
  let rt: LocalRuntime;
  const intervalReads: string[][] = [];
  /** Packet scans of the whole source (one read). */
  let wholeReads = 0;
  before(() => {
    rt = makeLocalRuntime({
      stateDir: join(t.dir, 'state'),
      env: process.env,
      wrapMedia: (m: MediaTool): MediaTool => ({
        info: () => m.info(),
        run: (tool, args, opts) => {
          if (args.some((a) => a.startsWith('packet=stream_index'))) {
            if (args.includes('-read_intervals')) intervalReads.push([...args]);
            else wholeReads++;
          }
          return m.run(tool, args, opts);
        },
      }),
    });
  });
  after(async () => {
    await rt.close();
    t.cleanup();
  });

  const byIntervals = () => ({ ...rt.deps, parallelScan: { minBytes: 1, ranges: 4 } });

  for (const [file, expectIntervals] of [
    ['bbb_720p24_10s_h264_aac.mp4', true],
    ['h264_ac3_srt.mkv', true],
    ['hevc_1080p30_10s_aac.mp4', true],
    ['phone_h264_720p_rot180_vfr.mp4', true],
    ['real_640x360_40s_noaudio.mp4', true],
    ['av1_10bit_hdr10_portrait_aac.mp4', true],
    ['bbb_720p24_30s_vp8_vorbis.webm', true],
    ['mpeg2_1080p24_mp2_bbb.ts', false],
  ] as const) {
    it(`${file}: the same analysis as one read${expectIntervals ? '' : ' (no index: one read)'}`, async () => {
      const path = sharedMedia(file);
      intervalReads.length = 0;
      const one = await analyzeSource(rt.deps, path);
      assert.equal(intervalReads.length, 0);
      wholeReads = 0;
      const joined = await analyzeSource(byIntervals(), path);
      assert.equal(intervalReads.length, expectIntervals ? 4 : 0, `${intervalReads.length} interval reads`);
      assert.equal(wholeReads, expectIntervals ? 0 : 1, 'the join held (no read of the whole source after the intervals)');
      assert.equal(joined.video.frameTimes.length, one.video.frameTimes.length);
      assert.deepEqual(joined, one);
    });
  }

  it('a truncated source is still named truncated', async () => {
    await assert.rejects(
      analyzeSource(byIntervals(), sharedMedia('broken_truncated_after_moov.mp4')),
      (e: unknown) => e instanceof InputError && /truncated|damaged|packets/.test((e as Error).message),
    );
  });
});
