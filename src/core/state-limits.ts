/** Step Functions' limit on a state's input or output, which the local interpreter does not enforce. */
export const STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** A payload over the limit, as Step Functions fails it (States.DataLimitExceeded); undefined when it fits. */
export function payloadOverLimit(state: string, which: 'input' | 'output', payload: unknown): Error | undefined {
  const bytes = new TextEncoder().encode(JSON.stringify(payload ?? null) ?? 'null').length;
  if (bytes <= STATE_PAYLOAD_LIMIT_BYTES) return undefined;
  return Object.assign(new Error(`${state}: the state ${which} is ${bytes} bytes, over Step Functions' ${STATE_PAYLOAD_LIMIT_BYTES}`), {
    name: 'States.DataLimitExceeded',
  });
}

/**
 * Step Functions' limit on one execution's history. An inline Map's iterations are logged in the execution's
 * own history; a Distributed Map runs them in child executions, each with its own history.
 */
export const HISTORY_EVENT_LIMIT = 25_000;

/**
 * History events of one inline Map iteration whose Task succeeds at the first attempt: MapIterationStarted,
 * TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited, MapIterationSucceeded.
 */
export const INLINE_EVENTS_PER_SEGMENT = 7;
/** Each retried attempt of a Task: TaskScheduled, TaskStarted, TaskFailed (or a throttled invocation's LambdaFunctionFailed). */
export const RETRY_EVENTS = 3;
/** The rest of an execution (Analyze, the Parallel and its audio branch, Merge, Finalize, the Map's own events), with room. */
export const WORKFLOW_FIXED_EVENTS = 100;
/** Retries per segment an inline run keeps room for (throttled invocations count): one each, on average. */
export const RETRY_HEADROOM_PER_SEGMENT = 1;

/** The most segments an inline Map runs before its history could pass the limit (2,490 at 25,000). */
export function maxInlineSegments(limit = HISTORY_EVENT_LIMIT): number {
  return Math.max(0, Math.floor((limit - WORKFLOW_FIXED_EVENTS) / (INLINE_EVENTS_PER_SEGMENT + RETRY_HEADROOM_PER_SEGMENT * RETRY_EVENTS)));
}

/**
 * How a deployment's segment Map runs: `inline`, `distributed`, or `auto` (inline up to maxInlineSegments
 * segments, else distributed: a Choice state in the workflow picks per execution).
 */
export type MapMode = 'inline' | 'distributed' | 'auto';

/** An inline Map runs at most this many iterations at once. */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

/**
 * A deployment's Map mode: forced by `distributedMap` when given, else distributed above 40 at once (an inline
 * Map runs no more), else chosen per run (auto).
 */
export function deploymentMapMode(mapMaxConcurrency: number, distributedMap?: boolean): MapMode {
  if (distributedMap !== undefined) return distributedMap ? 'distributed' : 'inline';
  return mapMaxConcurrency > INLINE_MAP_MAX_CONCURRENCY ? 'distributed' : 'auto';
}

/** The Map a run of `segments` segments gets under a deployment's mode. */
export function mapModeFor(segments: number, mode: MapMode, limit = HISTORY_EVENT_LIMIT): 'inline' | 'distributed' {
  if (mode !== 'auto') return mode;
  return segments > maxInlineSegments(limit) ? 'distributed' : 'inline';
}

/** Events of an execution outside its Task states: start and end, the Parallel and its branches, the Map, the Choices and Pass states. */
export const WORKFLOW_STATE_EVENTS = 20;

/**
 * What one invocation of a Task adds to the execution's history: TaskScheduled, TaskStarted and its end, plus
 * on the first attempt TaskStateEntered and TaskStateExited, and for a Map item MapIterationStarted and
 * MapIterationSucceeded (7 for a segment that succeeds at once, 3 more per retry).
 */
export function historyEventsOfInvocation(i: { firstAttempt: boolean; mapItem: boolean }): number {
  return RETRY_EVENTS + (i.firstAttempt ? 2 + (i.mapItem ? 2 : 0) : 0);
}
