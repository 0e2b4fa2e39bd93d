/**
 * How many encoder threads each video segment gets. Pure and fixed by the job's stored options and plan, so a
 * resumed job encodes every segment with the same thread count as an uninterrupted run (x264 and x265 output
 * depends on it) and the output stays byte-identical.
 *
 * Most segments run with `threadsPerWorker` (cores / workers: one thread each when there is a worker per core,
 * the most efficient split for x264). The last `workers` segments in encode order get `tailThreads`: they run
 * while the other workers run out of work, and with one thread each a core would sit idle until the last one
 * ends (measured: worker slots busy only 91% of the encode phase of a 7-segment job on 2 cores). With more
 * threads the last encodes take over the cores freed by the others; while they still overlap, the machine is
 * briefly oversubscribed, which costs far less than an idle core. A job with fewer segments than workers has
 * every segment in the tail, so a short clip still uses every core.
 */
import type { SegmentPlan, TranscodeOptions } from './types.js';

/** Threads for the tail segments: every core, capped so that `workers` such encodes do not hoard memory. */
export function tailThreadsFor(cores: number, workers: number): number {
  const perWorker = Math.max(1, Math.floor(cores / Math.max(1, workers)));
  return Math.max(perWorker, Math.min(cores, 8));
}

/** Threads for video segment `index`. Jobs made before `tailThreads` existed use `threadsPerWorker` throughout. */
export function segmentThreads(options: Pick<TranscodeOptions, 'workers' | 'threadsPerWorker' | 'tailThreads'>, plan: Pick<SegmentPlan, 'encodeOrder'> | undefined, index: number): number {
  const tail = options.tailThreads;
  if (tail === undefined || !plan) return options.threadsPerWorker;
  const pos = plan.encodeOrder.indexOf(index);
  if (pos < 0) return options.threadsPerWorker;
  return pos >= plan.encodeOrder.length - Math.max(1, options.workers) ? tail : options.threadsPerWorker;
}
