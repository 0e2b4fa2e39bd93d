/** A job record cut down to what one task reads (JobHead): no frame list, no segment list. */
import { NotFoundError, UsageError } from './errors.js';
import type { EncodeProfile, JobHead, JobRecord, LadderSpec } from './types.js';

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

/** Whether a job (or its head) is past its analysis. */
export function isAnalyzed<J extends { analysis?: unknown; plan?: unknown }>(
  job: J,
): job is J & { analysis: NonNullable<J['analysis']>; plan: NonNullable<J['plan']> } {
  return job.analysis !== undefined && job.plan !== undefined;
}

/** The job as analyzed; a job without its analysis and plan here is a NotFoundError naming it. */
export function analyzed<J extends { id: string; analysis?: unknown; plan?: unknown }>(
  job: J,
): J & { analysis: NonNullable<J['analysis']>; plan: NonNullable<J['plan']> } {
  if (!isAnalyzed(job)) throw new NotFoundError(`job ${job.id} has no plan`);
  return job;
}

/** The ladder of a ladder job's profile; a profile without one is a UsageError (a ladder step on another kind). */
export function ladderOf(profile: EncodeProfile): LadderSpec {
  if (!profile.ladder) throw new UsageError('not a ladder job');
  return profile.ladder;
}
