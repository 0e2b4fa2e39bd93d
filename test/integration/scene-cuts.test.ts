/**
 * Cuts where they cost nothing (issue 28, item 3): on a fixed-GOP source (a keyframe every second, none on the
 * scene change), the analysis finds the scene change at low resolution (select's scene score), a one-pass x264
 * encode puts a keyframe on that same frame, and the planner cuts there instead of on the nearest keyframe. A
 * scan that fails leaves the job planned without it, with a notice.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeJob } from '../../src/app/analyze-job.js';
import { createJob } from '../../src/app/run-job.js';
import { minExactCutSeconds, planSegments } from '../../src/core/plan-segments.js';
import type { MediaTool } from '../../src/ports/media-tool.js';
import { makeLocalRuntime, type LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { ffmpeg, tempDir } from '../support/media.js';

/** Frame indices of the keyframes of a file's video (packet flags, no decode). */
function keyframesOf(path: string): number[] {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', path],
    {
      encoding: 'utf8',
    },
  );
  const packets = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ t: Number(l.split(',')[0]), key: l.split(',')[1]!.includes('K') }))
    .sort((a, b) => a.t - b.t);
  return packets.flatMap((p, i) => (p.key ? [i] : []));
}

describe('scene-aware cuts on a fixed-GOP source', () => {
  const t = tempDir('shardcast-scene-cuts-');
  const src = join(t.dir, 'fixed-gop.mp4');
  /** 24 fps: testsrc2 for 3.5 s, then mandelbrot for 2.5 s; the change is frame 84. */
  const CHANGE = 84;
  let rt: LocalRuntime;
  let failing: LocalRuntime;
  before(() => {
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=24:d=3.5', '-f', 'lavfi', '-i', 'mandelbrot=s=320x240:r=24,trim=duration=2.5'],
      ...['-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '24', '-keyint_min', '24', '-sc_threshold', '0', src],
    ]);
    rt = makeLocalRuntime({ stateDir: join(t.dir, 'state'), env: process.env });
    // An ffmpeg whose scene scan fails (as a decoder error would), every other run as it is.
    const failScan = (media: MediaTool): MediaTool => ({
      info: () => media.info(),
      run: (tool, args, opts) =>
        args.some((a) => a.includes('select=gte(scene'))
          ? Promise.resolve({
              exitCode: 1,
              signal: null,
              stdout: '',
              stderrTail: 'Error while decoding stream #0:0',
              wallMs: 5,
              cpuSeconds: 0,
            })
          : media.run(tool, args, opts),
    });
    failing = makeLocalRuntime({ stateDir: join(t.dir, 'state-failing'), env: process.env, wrapMedia: failScan });
  });
  after(async () => {
    await rt?.close();
    await failing?.close();
    t.cleanup();
  });

  const analyze = async (r: LocalRuntime, id: string) => {
    const output = join(t.dir, `${id}.mp4`);
    await createJob(r.deps, {
      id,
      backend: 'local',
      source: src,
      output,
      options: parseTranscodeOptions({ segmentSeconds: '3', workers: '1' }, output),
    });
    return analyzeJob(r.deps, id);
  };

  it('the source has keyframes every second only; a one-pass x264 encode puts one on the change', () => {
    assert.deepEqual(keyframesOf(src), [0, 24, 48, 72, 96, 120]);
    const onePass = join(t.dir, 'one-pass.mp4');
    ffmpeg(['-i', src, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', onePass]);
    assert.deepEqual(keyframesOf(onePass), [0, CHANGE]);
  });

  it('the analysis finds the change, and the plan cuts on it, not on the keyframe at 3 s', async () => {
    const job = await analyze(rt, 'scenes');
    const v = job.analysis!.video;
    assert.deepEqual(v.sceneCuts, [CHANGE]);
    const input = {
      frameTimes: v.frameTimes,
      keyframeIndices: v.keyframeIndices,
      lastFrameDuration: v.lastFrameDuration,
      targetSeconds: 3,
      minExactSeconds: minExactCutSeconds(v.keyframeCostSeconds),
    };
    assert.deepEqual(
      planSegments(input).segments.map((s) => s.startFrame),
      [0, 72],
      'without the scene changes: the keyframe at 3 s',
    );
    const plan = planSegments({ ...input, sceneCuts: v.sceneCuts });
    assert.deepEqual(
      plan.segments.map((s) => [s.startFrame, s.startsOnKeyframe]),
      [
        [0, true],
        [CHANGE, false],
      ],
    );
    assert.deepEqual(
      job.plan!.segments.map((s) => s.startFrame),
      [0, CHANGE],
      "the job's own plan cuts on it",
    );
  });

  it('a scan that fails: the job is planned without it and says so', async () => {
    const job = await analyze(failing, 'failed-scan');
    assert.equal(job.status, 'encoding');
    assert.equal(job.analysis!.video.sceneCuts, undefined);
    const events = await failing.deps.ledger.listEvents('failed-scan');
    const notice = events.find((e) => e.type === 'job.notice' && e.message.startsWith('no scene changes found'));
    assert.ok(notice, JSON.stringify(events.map((e) => e.message)));
    assert.match(notice.message, /Error while decoding stream/);
  });
});
