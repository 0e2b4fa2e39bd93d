/**
 * Output fidelity on a real file from the corpus (SHARDCAST_MEDIA, default ../shared/media): the full-range
 * (yuvj420p) HEVC phone clip stays full range and close to its source once scaled. The generated cases are in
 * test/integration/output-fidelity.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { ffprobeJson, sharedMedia, tempDir } from '../support/media.js';

const t = tempDir('shardcast-fidelity-corpus-');
const state = join(t.dir, 'state');

function transcode(src: string, out: string, extra: string[] = []): any {
  const r = cli(['transcode', src, out, '--preset', 'ultrafast', '--segment-seconds', '1', '--json', '--no-progress', ...extra], {
    stateDir: state,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const videoStream = (p: string) =>
  (ffprobeJson(p, 'stream=codec_type,pix_fmt,color_range,color_transfer,color_primaries,profile,duration').streams as any[]).find(
    (s) => s.codec_type === 'video',
  );

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
