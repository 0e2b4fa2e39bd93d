/**
 * `--target-quality` for one video segment: probes, encodes, each scored against the source, until an encode
 * lands in the band (core/crf-search.ts decides each step). Every trial is written to the task's record as it
 * ends (`Ledger.heartbeat` with `quality`), so a new attempt after a crash re-uses the trials already run and
 * encodes no probe twice. The kept encode is the segment's output: nothing is encoded again to make it.
 */
import type { CutMethod } from '../core/cut-policy.js';
import { buildSegmentEncodeArgs } from '../core/ffmpeg-args.js';
import { judge, nextTrial, poolScores, probeSample, sampledFrames } from '../core/crf-search.js';
import { METRIC_NAME, scoreText } from '../core/target-text.js';
import { FrameScoreParser, buildSegmentScoreArgs, type VmafFlavour } from '../core/segment-score.js';
import { SegmentCheckError } from '../core/errors.js';
import type { QualityTarget, QualityTrial, SegmentQuality } from '../core/types.js';
import type { ToolRunResult } from '../ports/media-tool.js';
import { emit } from './deps.js';
import { checkFfmpeg, runFfmpeg } from './ffmpeg-run.js';
import { describeTask } from './outputs/describe-task.js';
import type { TaskEncodeContext } from './outputs/output-kind.js';
import { segmentEncodeInput } from './outputs/segment-input.js';

export interface TargetedEncode {
  run: ToolRunResult;
  file: string;
  cpuSeconds: number;
  quality: SegmentQuality;
}

/** The trials a new attempt starts from: the task's own, where they were made for this same target. */
function startingQuality(t: QualityTarget, previous: SegmentQuality | undefined): SegmentQuality {
  if (previous && previous.metric === t.metric && previous.target === t.value && previous.band === t.band) {
    return { metric: t.metric, target: t.value, band: t.band, trials: [...previous.trials] };
  }
  return { metric: t.metric, target: t.value, band: t.band, trials: [] };
}

export async function encodeToTarget(
  c: TaskEncodeContext,
  method: CutMethod | undefined,
  vmaf: VmafFlavour | undefined,
): Promise<TargetedEncode> {
  const { deps, task, read } = c;
  const profile = c.job.options.profile;
  const target = profile.target;
  if (!target || !read) throw new Error('encodeToTarget: a video task of a targeted job');
  const t: QualityTarget = target;
  const quality = startingQuality(t, task.quality);
  const input = segmentEncodeInput(c, read, method);
  const runOpts = c.signal ? { signal: c.signal } : {};
  /** Encodes of this attempt still on disk, by CRF. */
  const files = new Map<number, { file: string; run: ToolRunResult; args: string[] }>();
  let cpuSeconds = 0;

  const encodeAt = async (kind: QualityTrial['kind'], crf: number) => {
    const sample = kind === 'probe' ? probeSample(task.frameCount) : undefined;
    const file = `${c.partial}.${kind === 'probe' ? 'p' : 'c'}${crf}`;
    const at = { ...input, profile: { ...profile, crf }, ...(sample ? { sample } : {}) };
    const args = buildSegmentEncodeArgs({ ...at, outputPath: file });
    if (kind === 'encode') c.setArgs(args);
    const started = deps.clock();
    const run = await runFfmpeg(
      deps,
      `${describeTask(task)} ${kind} at CRF ${crf}`,
      args,
      { ...runOpts, ...(kind === 'encode' && c.onStdoutLine ? { onStdoutLine: c.onStdoutLine } : {}) },
      task.key,
    );
    cpuSeconds += run.cpuSeconds;
    return { file, run, args, started, at };
  };

  try {
    return await search();
  } catch (err) {
    for (const f of files.values()) await deps.blobs.discardLocal(f.file).catch(() => undefined);
    throw err;
  }

  async function search(): Promise<TargetedEncode> {
    for (;;) {
      const step = nextTrial(t, profile, quality.trials, probeSample(task.frameCount) !== undefined);
      if (step.next === 'keep') {
        const { trial } = step;
        // An encode kept from an earlier attempt (its file went with that attempt): the same command again.
        const kept = files.get(trial.crf) ?? (await encodeAt('encode', trial.crf));
        for (const [crf, f] of files) if (crf !== trial.crf) await deps.blobs.discardLocal(f.file).catch(() => undefined);
        c.setArgs(kept.args);
        const done: SegmentQuality = {
          ...quality,
          crf: trial.crf,
          score: trial.score,
          ...(trial.floorScore !== undefined ? { floorScore: trial.floorScore } : {}),
          inBand: step.inBand,
          ...(step.reason ? { reason: step.reason } : {}),
        };
        if (!step.inBand) {
          await emit(deps, task.jobId, 'job.notice', `${describeTask(task)} is outside the band: ${step.reason}`, { key: task.key });
        }
        return { run: kept.run, file: kept.file, cpuSeconds, quality: done };
      }

      const e = await encodeAt(step.next, step.crf);
      const parser = new FrameScoreParser(t.metric);
      const vmafLog = vmaf ? `${e.file}.vmaf.json` : undefined;
      const scored = checkFfmpeg(
        await deps.media.run(
          'ffmpeg',
          buildSegmentScoreArgs({ ...e.at, encoded: e.file, metric: t.metric, ...(vmaf && vmafLog ? { vmaf, vmafLog } : {}) }),
          { ...runOpts, onStdoutLine: (l) => parser.line(l), maxStdoutBytes: 1 << 14 },
        ),
        `${describeTask(task)}: scoring the ${step.next} at CRF ${step.crf}`,
        task.key,
      );
      if (vmafLog) {
        for (const l of (await deps.blobs.readLocal(vmafLog)).toString('utf8').split('\n')) parser.line(l);
        await deps.blobs.discardLocal(vmafLog).catch(() => undefined);
      }
      cpuSeconds += scored.cpuSeconds;
      const expected = sampledFrames(task.frameCount, e.at.sample);
      const scores = parser.scores;
      if (scores.length !== expected || scores.some((s) => s === undefined)) {
        throw new SegmentCheckError(
          `${describeTask(task)}: the ${METRIC_NAME[t.metric]} of its ${step.next} at CRF ${step.crf} covered ${scores.length} frames, expected ${expected}`,
          task.key,
        );
      }
      const trial: QualityTrial = {
        kind: step.next,
        crf: step.crf,
        score: Number(poolScores(scores, 'mean').toFixed(t.metric === 'ssim' ? 6 : 3)),
        ...(t.floor ? { floorScore: Number(poolScores(scores, t.floor.pool).toFixed(t.metric === 'ssim' ? 6 : 3)) } : {}),
        bytes: (await deps.sourceSize(e.file)) ?? 0,
        frames: expected,
        ms: deps.clock() - e.started,
        cpuSeconds: Number((e.run.cpuSeconds + scored.cpuSeconds).toFixed(3)),
      };
      quality.trials.push(trial);
      if (step.next === 'probe') await deps.blobs.discardLocal(e.file).catch(() => undefined);
      else files.set(step.crf, { file: e.file, run: e.run, args: e.args });
      await deps.ledger.heartbeat(task, deps.clock(), { quality: { ...quality, trials: [...quality.trials] } });
      const verdict = step.next === 'encode' ? (judge(t, trial).inBand ? ', in the band' : ', outside the band') : '';
      await emit(
        deps,
        task.jobId,
        'task.trial',
        `${describeTask(task)}: ${step.next} at CRF ${step.crf}: ${METRIC_NAME[t.metric]} ${scoreText(t.metric, trial.score)}${t.metric === 'psnr' ? ' dB' : ''} over ${expected} frames, ${trial.bytes} bytes${verdict}`,
        { key: task.key, ...trial },
      );
    }
  }
}
