/**
 * Output fidelity on a real file from the corpus (SHARDCAST_MEDIA, default ../shared/media): the full-range
 * (yuvj420p) HEVC phone clip stays full range and close to its source once scaled. The generated cases are in
 * test/integration/output-fidelity.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { sharedMedia, tempDir } from '../support/media.js';
import { transcodeWith, videoStream } from '../support/fidelity.js';

const t = tempDir('shardcast-fidelity-corpus-');
const state = join(t.dir, 'state');

const transcode = (src: string, out: string, extra: string[] = []): any => transcodeWith(state, src, out, extra);

describe('output fidelity (corpus)', () => {
  after(t.cleanup);

  it('the hevc_1080p30 phone clip (yuvj420p): regression for 28.8 dB against the source', () => {
    const src = sharedMedia('hevc_1080p30_10s_aac.mp4');
    const out = join(t.dir, 'hevc-phone.mp4');
    transcode(src, out, ['--height', '360']);
    assert.equal(videoStream(out).color_range, 'pc');
    const r = spawnSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-i',
        out,
        '-i',
        src,
        '-lavfi',
        '[1:v]scale=-2:360,format=yuv420p[r];[0:v]format=yuv420p[o];[o][r]psnr',
        '-f',
        'null',
        '-',
      ],
      { encoding: 'utf8' },
    );
    const m = /average:([\d.]+)/.exec(r.stderr);
    const psnr = m ? Number(m[1]) : 0;
    assert.ok(psnr > 38, `PSNR ${psnr} dB against the source (a squeezed range gives under 30)`);
  });
});
