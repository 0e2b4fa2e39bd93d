/**
 * `--target-quality vmaf:92` on real content (two seconds of the shared bbb clip at 480 px wide), scored with the
 * npm-shipped ffmpeg's libvmaf 1.x and Netflix's v0.6.1 model from ../shared/vmaf: every segment lands in the
 * band, and an independent VMAF of the whole output against the source (one libvmaf run, frames paired by
 * index) agrees with the segments' scores.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli } from '../support/cli.js';
import { ffmpeg, sharedMedia, SHARED_MEDIA, tempDir } from '../support/media.js';

const MODEL = resolve(SHARED_MEDIA, '..', 'vmaf', 'vmaf_v0.6.1.pkl');
const BUNDLED = resolve('node_modules/@ffmpeg-installer/linux-x64/ffmpeg');

describe('corpus: a VMAF target with libvmaf 1.x and the shared model', () => {
  const t = tempDir('shardcast-target-vmaf-');
  after(t.cleanup);

  it('every segment lands within 1 VMAF point of 92, and the whole output scores with them', () => {
    assert.ok(existsSync(MODEL), `the shared VMAF model is at ${MODEL}`);
    const src = join(t.dir, 'bbb2.mp4');
    ffmpeg([
      '-i',
      sharedMedia('bbb_720p24_10s_h264_aac.mp4'),
      '-t',
      '2',
      '-vf',
      'scale=480:-2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '12',
      '-c:a',
      'copy',
      src,
    ]);
    const out = join(t.dir, 'out.mp4');
    const r = cli(
      [
        'transcode',
        src,
        out,
        '--target-quality',
        'vmaf:92',
        '--vmaf-model',
        MODEL,
        '--segment-seconds',
        '1',
        '--workers',
        '2',
        '--preset',
        'veryfast',
        '--no-progress',
        '--json',
      ],
      { stateDir: join(t.dir, 'state'), env: { SHARDCAST_BUNDLED_FFMPEG: '1' } },
    );
    assert.equal(r.status, 0, r.stderr);
    const job = JSON.parse(r.stdout);
    const segs = (job.segments as any[]).filter((s) => s.kind === 'video');
    assert.equal(segs.length, 2);
    for (const s of segs) {
      assert.equal(s.quality.inBand, true, JSON.stringify(s.quality));
      assert.ok(Math.abs(s.quality.score - 92) <= 1, String(s.quality.score));
    }
    const log = join(t.dir, 'vmaf.json');
    const v = spawnSync(
      BUNDLED,
      [
        '-v',
        'error',
        '-i',
        out,
        '-i',
        src,
        '-lavfi',
        `[0:v]settb=AVTB,setpts=N[a];[1:v]settb=AVTB,setpts=N[b];[a][b]libvmaf=model_path=${MODEL}:log_fmt=json:log_path=${log}`,
        '-f',
        'null',
        '-',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(v.status, 0, v.stderr);
    const whole = (JSON.parse(readFileSync(log, 'utf8')).frames as Array<{ metrics: { vmaf: number } }>).map((f) => f.metrics.vmaf);
    assert.equal(whole.length, 48);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    segs.forEach((s, i) => assert.ok(Math.abs(mean(whole.slice(i * 24, i * 24 + 24)) - s.quality.score) < 0.5, `segment ${i}`));
  });
});
