/**
 * What short segments cost (issue 25, class 4: HEVC in a transport stream, 24 fps, cut every second, +12% bytes
 * over a one-pass encode). Every cut starts a segment with a keyframe and a fresh encoder, on a source keyframe
 * or not; the planner measures that on the source and lengthens an asked-for length whose cuts would cost more
 * than 5% of the video's bytes, saying so, unless `--accept-cut-cost`. Judged against a plain one-pass ffmpeg
 * encode with the same settings.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpeg, tempDir } from '../support/media.js';
import { cli } from '../support/cli.js';

const t = tempDir('shardcast-cut-cost-');
const state = join(t.dir, 'state');

function videoBytes(p: string): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', p], {
    encoding: 'utf8',
  });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .reduce((a, l) => a + Number(l), 0);
}

describe('an asked-for segment length and what its cuts cost', () => {
  after(t.cleanup);

  it('an HEVC TS cut every second: lengthened to within 5%, with a notice; --accept-cut-cost keeps 1 s and pays', () => {
    // 10 s, 24 fps, a source keyframe every 0.5 s (as broadcast streams have them): every 1 s cut is on one.
    const src = join(t.dir, 'hevc24.ts');
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=10', '-f', 'lavfi', '-i', 'sine=duration=10'],
      ...['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=12:min-keyint=12:scenecut=0'],
      ...['-c:a', 'aac', '-b:a', '64k', '-f', 'mpegts', src],
    ]);
    const plain = join(t.dir, 'plain.mp4');
    ffmpeg(['-i', src, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', plain]);
    const plainBytes = videoBytes(plain);

    const run = (name: string, extra: string[]) => {
      const out = join(t.dir, `${name}.mp4`);
      const r = cli(['transcode', src, out, '--segment-seconds', '1', '--preset', 'veryfast', '--json', '--no-progress', ...extra], {
        stateDir: state,
      });
      assert.equal(r.status, 0, r.stderr);
      return { job: JSON.parse(r.stdout), ratio: videoBytes(out) / plainBytes };
    };

    const asked = run('lengthened', []);
    assert.equal(asked.job.planNotices.length, 1, JSON.stringify(asked.job.planNotices));
    assert.match(
      asked.job.planNotices[0],
      /^--segment-seconds 1 would add about \d+\.\d% to the video's bytes in this source: each of its 9 cuts .* planned with \d+(\.5)? s segments instead \(at most 5\.0%\); --accept-cut-cost keeps 1 s$/,
    );
    assert.ok(asked.job.options.segmentSeconds > 1, `planned with ${asked.job.options.segmentSeconds} s`);
    assert.ok(asked.job.segmentsTotal > 1 && asked.job.segmentsTotal < 10, `${asked.job.segmentsTotal} segments`);
    assert.ok(asked.ratio < 1.05, `video bytes ${asked.ratio.toFixed(4)} of a one-pass encode`);

    const kept = run('kept', ['--accept-cut-cost']);
    assert.deepEqual(kept.job.planNotices, []);
    assert.equal(kept.job.segmentsTotal, 10);
    // What the notice warned of: the cuts cost more than the budget.
    assert.ok(kept.ratio > 1.05, `video bytes ${kept.ratio.toFixed(4)} of a one-pass encode, cut every second`);
  });

  it('a check that cannot encode its sample plans what was asked and says why; the job is not failed by it', () => {
    // An ffmpeg that fails every encode into the check's scratch folder (as a full disk does), and no other.
    const wrapper = join(t.dir, 'ffmpeg-no-sample.sh');
    writeFileSync(wrapper, '#!/bin/sh\ncase "$*" in *cutcost/*) echo "No space left on device" >&2; exit 1;; esac\nexec ffmpeg "$@"\n');
    chmodSync(wrapper, 0o755);
    const out = join(t.dir, 'unmeasured.mp4');
    const r = cli(
      ['transcode', join(t.dir, 'hevc24.ts'), out, '--segment-seconds', '1', '--preset', 'ultrafast', '--json', '--no-progress'],
      {
        stateDir: state,
        env: { FFMPEG_PATH: wrapper },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const job = JSON.parse(r.stdout);
    assert.equal(job.segmentsTotal, 10);
    assert.deepEqual(job.planNotices, []);
    const status = cli(['status', job.id, '--json'], { stateDir: state });
    assert.equal(status.status, 0, status.stderr);
    const notices = (JSON.parse(status.stdout).events as Array<{ type: string; message: string }>).filter((e) => e.type === 'job.notice');
    assert.ok(
      notices.some((e) =>
        /^what --segment-seconds 1 costs was not measured \(.*No space left on device\): planned as asked$/.test(e.message),
      ),
      JSON.stringify(notices),
    );
  });

  it('--accept-cut-cost without --segment-seconds: one clear line', () => {
    const r = cli(['transcode', join(t.dir, 'hevc24.ts'), join(t.dir, 'x.mp4'), '--accept-cut-cost', '--no-progress'], { stateDir: state });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim(), 'shardcast: error: --accept-cut-cost keeps an asked-for --segment-seconds: give one');
  });
});
