/** What a video segment's encode reads, as every output kind's argument builder takes it (the outputs aside). */
import type { CutMethod } from '../../core/cut-policy.js';
import type { SegmentEncodeInput } from '../../core/ffmpeg-args.js';
import type { SegmentRead } from '../../core/types.js';
import type { TaskEncodeContext } from './output-kind.js';
import { thumbnailOutputsOf } from '../thumbnails/segment-thumbnails.js';

export function segmentEncodeInput(c: TaskEncodeContext, read: SegmentRead, method?: CutMethod): Omit<SegmentEncodeInput, 'outputPath'> {
  const thumbnails = thumbnailOutputsOf(c);
  return {
    sourceLocation: c.source,
    analysis: c.job.analysis,
    segment: c.task,
    read,
    profile: c.job.options.profile,
    threads: c.threads,
    avcodecMajor: c.avcodecMajor,
    ...(method ? { method } : {}),
    ...(c.decodeThreads !== undefined ? { decodeThreads: c.decodeThreads } : {}),
    ...(thumbnails ? { thumbnails } : {}),
  };
}
