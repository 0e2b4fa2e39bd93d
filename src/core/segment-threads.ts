/**
 * How many encoder threads each video segment gets. Pure and fixed by the job's stored options and plan, so a
 * resumed job encodes every segment with the same thread count as an uninterrupted run (x264 and x265 output
 * depends on it) and the output stays byte-identical.
 *
 * Most segments run with `threadsPerWorker` (cores / workers: one thread each when there is a worker per core,
 * the most efficient split for x264). When there are more segments than workers, the last `workers` segments in
 * encode order get `tailThreads`: they run while the other workers run out of work, and with one thread each a
 * core would sit idle until the last one ends (measured on 2 cores, 60 s 720p h264 in 7 segments: CPU
 * utilisation 90% before, 98% after; docs/BENCHMARKS.md). The planner makes those last segments short (the
 * taper in plan-segments.ts), so few frames pay the extra threads' cost. While the tail encodes still
 * overlap, the machine is briefly oversubscribed, which costs less than an idle core. When there are no more
 * segments than workers, all of them run at once from the start, so they share the tail threads instead
 * (a short clip in one segment still uses every core; two segments on two cores stay at one thread each: giving
 * both two threads for the whole run took about 6% more CPU with VP9 and 15% more with x265 in one bench pair
 * each, against the one-thread run before).
 *
 * x265 is left out of the tail boost: it runs its own frame and lookahead threads beside its pool
 * (`pools=1` already used 1.35 cores for one 720p segment here) and oversubscribing it wasted CPU.
 */
import type { SegmentPlan, TaskKind, TranscodeOptions, VideoCodec } from './types.js';

/** Threads for the tail segments: every core, capped so that `workers` such encodes do not hoard memory. */
export function tailThreadsFor(cores: number, workers: number): number {
  const perWorker = Math.max(1, Math.floor(cores / Math.max(1, workers)));
  return Math.max(perWorker, Math.min(cores, 8));
}

/** Threads for video segment `index`. Jobs made before `tailThreads` existed use `threadsPerWorker` throughout. */
export function segmentThreads(
  options: Pick<TranscodeOptions, 'workers' | 'threadsPerWorker' | 'tailThreads'> & { profile: { videoCodec: VideoCodec } },
  plan: Pick<SegmentPlan, 'encodeOrder'> | undefined,
  index: number,
): number {
  const tail = options.tailThreads;
  const base = options.threadsPerWorker;
  if (tail === undefined || !plan) return base;
  const pos = plan.encodeOrder.indexOf(index);
  if (pos < 0) return base;
  const n = plan.encodeOrder.length;
  const workers = Math.max(1, options.workers);
  if (n <= workers) return Math.max(base, Math.floor(tail / n));
  return pos >= n - workers && options.profile.videoCodec !== 'hevc' ? tail : base;
}

/**
 * Encoder and decoder threads of one task when the job's own split applies (one machine: the local worker
 * pool, the emulated workflow). Tail segments get more encoder threads only: a threaded decoder beside them
 * cost CPU for no gain in wall time (8 s of noisy 720p: 18.5 CPU s with 1 decoder + 1 encoder thread, 20.0
 * with 1 + 2, 21.9 with 2 + 2). The audio task uses one worker's share.
 */
export function taskThreads(
  job: { options: Parameters<typeof segmentThreads>[0]; plan?: Pick<SegmentPlan, 'encodeOrder'> },
  task: { kind: TaskKind; index: number },
): { threads: number; decodeThreads: number } {
  const base = job.options.threadsPerWorker;
  return { threads: task.kind === 'video' ? segmentThreads(job.options, job.plan, task.index) : base, decodeThreads: base };
}
