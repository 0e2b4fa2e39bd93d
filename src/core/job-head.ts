/** A job record cut down to what one task reads (JobHead): no frame list, no segment list. */
import type { JobHead, JobRecord } from './types.js';

export function jobHeadOf(job: JobRecord): JobHead {
  const { analysis, plan, ...rest } = job;
  const head: JobHead = { ...rest };
  if (analysis) {
    const { frameTimes: _t, keyframeIndices: _k, ...video } = analysis.video;
    head.analysis = { ...analysis, video };
  }
  if (plan) {
    const { segments: _s, encodeOrder: _o, ...planHead } = plan;
    head.plan = planHead;
  }
  return head;
}
