/**
 * The check of an asked-for segment length against what its cuts cost in this source (core/cut-cost.ts): a few
 * seconds around the plan's middle cuts are encoded with the job's settings, whole and cut where the plan cuts. Where the
 * plan's cuts would cost more than REQUEST_CUT_BUDGET of the video's bytes, the length is raised to what stays
 * within it and the job says so, with what the request would have cost and how to keep it (`--accept-cut-cost`).
 */
import {
  affordableSegmentSeconds,
  CUT_COST_CHECK_BELOW_SECONDS,
  CUT_COST_MIN_SOURCE_SECONDS,
  cutCostSeconds,
  cutSample,
  type CutSample,
  planCutOverhead,
  REQUEST_CUT_BUDGET,
} from '../core/cut-cost.js';
import type { JobRecord, MediaAnalysis, SegmentPlan } from '../core/types.js';
import { mapLimit } from '../core/map-limit.js';
import { encodeSample } from './calibrate-encode.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';

export interface CutCostVerdict {
  /** The measured cost of one cut, in seconds of the output's bitrate. */
  costSeconds: number;
  sampleSeconds: number;
  /** What the asked plan's cuts would add to the video's bytes (a share). */
  overhead: number;
  /** The segment length to plan with instead, where the asked one costs too much. */
  lengthen?: number;
  notice?: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Measures and judges the plan made from an asked-for length; undefined where nothing is measured: no length was
 * asked, `--accept-cut-cost`, a long asked length, a short source, a plan without cuts, or tasks already written
 * by an earlier analysis of this job (the plan must stay theirs).
 */
export async function checkCutCost(
  deps: AppDeps,
  job: JobRecord,
  analysis: MediaAnalysis,
  plan: SegmentPlan,
): Promise<CutCostVerdict | undefined> {
  const asked = job.options.segmentSeconds;
  if (asked === undefined || job.options.acceptCutCost || asked >= CUT_COST_CHECK_BELOW_SECONDS) return undefined;
  if (analysis.duration < CUT_COST_MIN_SOURCE_SECONDS || plan.segments.length < 2) return undefined;
  if ((await deps.ledger.taskProgress(job.id)).videoTotal > 0) return undefined;
  const v = analysis.video;
  const duration = v.frameTimes[v.frameTimes.length - 1]! + v.lastFrameDuration - v.frameTimes[0]!;
  const sample = cutSample(v.frameTimes, v.keyframeIndices, v.lastFrameDuration, plan.segments);
  if (!sample) return undefined;
  const scratch = `${job.id}cutcost`;
  const threads = job.options.threadsPerWorker;
  try {
    return await measure(deps, job, analysis, plan, sample, asked, duration, scratch, threads);
  } catch (err) {
    // The check only advises: a measurement that fails (a full disk, an encoder that will fail the job anyway
    // with its own words) plans what was asked, and says so.
    await emit(
      deps,
      job.id,
      'job.notice',
      `what --segment-seconds ${asked} costs was not measured (${err instanceof Error ? err.message : String(err)}): planned as asked`,
    );
    return undefined;
  } finally {
    await deps.blobs.deletePrefix(`${scratch}/`).catch(() => undefined);
  }
}

async function measure(
  deps: AppDeps,
  job: JobRecord,
  analysis: MediaAnalysis,
  plan: SegmentPlan,
  sample: CutSample,
  asked: number,
  duration: number,
  scratch: string,
  threads: number,
): Promise<CutCostVerdict> {
  // The whole and the pieces, as many at once as the job has workers (each with its segments' threads).
  const bytes = await mapLimit(
    [sample.whole, ...sample.pieces],
    job.options.workers,
    async (seg, i) =>
      (await encodeSample(deps, job.source, analysis, job.options.profile, seg, threads, scratch, i === 0 ? 'whole' : `piece${i}`)).bytes,
  );
  const [wholeBytes, ...pieces] = bytes as [number, ...number[]];
  const costSeconds = cutCostSeconds(wholeBytes, pieces, sample.seconds);
  const overhead = planCutOverhead(costSeconds, plan.segments.length, duration);
  const verdict: CutCostVerdict = { costSeconds, sampleSeconds: sample.seconds, overhead };
  if (overhead <= REQUEST_CUT_BUDGET) return verdict;
  const lengthen = affordableSegmentSeconds(costSeconds);
  if (lengthen <= asked) return verdict;
  verdict.lengthen = lengthen;
  verdict.notice =
    `--segment-seconds ${asked} would add about ${pct(overhead)} to the video's bytes in this source: each of its ${plan.segments.length - 1} cuts ` +
    `starts a segment with a keyframe and a fresh encoder, which cost ${costSeconds.toFixed(2)} s of the output's bitrate ` +
    `(measured on ${sample.pieces.length - 1} of them, ${sample.seconds.toFixed(1)} s of the source); planned with ${lengthen} s segments instead ` +
    `(at most ${pct(REQUEST_CUT_BUDGET)}); --accept-cut-cost keeps ${asked} s`;
  return verdict;
}
