/**
 * Builds the state machine definition from the one ASL file, infra/workflow.asl.json, for both the CDK app
 * and the local interpreter (aws-local-stepfunctions). Placeholders are `${Name}` strings: a string that is
 * exactly one placeholder takes the value's type (so `"MaxConcurrency": "${MapMaxConcurrency}"` becomes a
 * number); a placeholder inside a longer string is interpolated. Unknown or unfilled placeholders throw.
 *
 * `mapMode` picks the segment Map: `inline`, `distributed` (child STANDARD executions running the same item
 * processor; needed above 40 concurrent segments), or `auto`: a Choice on the run's segment count, inline up to
 * maxInlineSegments (the 25,000-event history), else distributed. The local interpreter runs no Distributed
 * Map: it gets the same states with the distributed copy's processor left inline.
 */
import { readFileSync } from 'node:fs';
import { INLINE_EVENTS_PER_SEGMENT, maxInlineSegments, type MapMode } from '../../core/state-limits.js';
import { STALE_TASK_MS } from '../../app/job-lease.js';

export interface WorkflowParams {
  /** How the segment Map runs (core/state-limits.ts MapMode); `auto` adds a Choice on the segment count. */
  mapMode: MapMode;
  /** With `auto`: the most segments run inline (default maxInlineSegments()). */
  maxInlineSegments?: number;
  /**
   * For the local interpreter, which runs no Distributed Map: the distributed copy keeps an inline processor
   * (it is told apart by its state name, DISTRIBUTED_MAP_STATE).
   */
  interpreter?: boolean;
  /** The Admit state's function (lambda/admit.ts): the job of an uploaded object (`deploy --watch-prefix`). */
  admitFunctionArn: string;
  analyzeFunctionArn: string;
  encodeSegmentFunctionArn: string;
  encodeAudioFunctionArn: string;
  mergeFunctionArn: string;
  finalizeFunctionArn: string;
  failFunctionArn: string;
  /** The Notify states' function (lambda/notify.ts): webhooks and the EventBridge event. */
  notifyFunctionArn: string;
  /** Retries of a webhook delivery by the NotifyDone and NotifyFailed states (default NOTIFY_RETRY_ATTEMPTS). */
  notifyRetryAttempts?: number;
  /** Task state timeout; set it above the Lambda timeout (the local interpreter's default is 60 s). */
  taskTimeoutSeconds: number;
  /** Retries of a task that failed with RetryableTaskError. */
  taskRetryAttempts: number;
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type AslDefinition = { StartAt: string; States: Record<string, Json> } & { [key: string]: Json };

/** The workflow file, relative to this module (same depth in src/ and dist/). */
export const WORKFLOW_TEMPLATE_URL = new URL('../../../infra/workflow.asl.json', import.meta.url);

/** The name of the segment Map state inside the EncodeAll Parallel state. */
export const SEGMENT_MAP_STATE = 'EncodeSegments';
/** With mapMode auto: the Choice after Analyze, and the copy of EncodeAll whose segment Map is distributed. */
export const MAP_CHOICE_STATE = 'ChooseSegmentMap';
/** State names are unique across a state machine: the copy's states carry this suffix. */
export const DISTRIBUTED_SUFFIX = 'Distributed';
export const distributedStateName = (name: string): string => `${name}${DISTRIBUTED_SUFFIX}`;
export const DISTRIBUTED_PARALLEL_STATE = distributedStateName('EncodeAll');
export const DISTRIBUTED_MAP_STATE = distributedStateName(SEGMENT_MAP_STATE);

export function loadWorkflowTemplate(url: URL = WORKFLOW_TEMPLATE_URL): AslDefinition {
  return JSON.parse(readFileSync(url, 'utf8')) as AslDefinition;
}

/** How often a task refused as busy (TaskBusyError) is tried again: the stale window, whole seconds. */
export const BUSY_RETRY_INTERVAL_SECONDS = Math.ceil(STALE_TASK_MS / 1000);

/**
 * Attempts of the busy retrier: enough to outlast the invocation that holds the task (it runs at most the task
 * timeout) and then the stale window after it, so the task is done or reclaimable by the last one. Before it
 * had its own name the busy refusal was a RetryableTaskError, whose backoff waited about 3 s in all: a task
 * refused as busy could never succeed.
 */
export function busyRetryAttempts(taskTimeoutSeconds: number): number {
  return Math.ceil((taskTimeoutSeconds + BUSY_RETRY_INTERVAL_SECONDS) / BUSY_RETRY_INTERVAL_SECONDS) + 1;
}

/**
 * Webhook retries inside the execution: 5 s doubling (5, 10, 20, 40 s), each attempt bounded by the POST's 10 s.
 * A CLI run waits for its execution's end, so these stay short (about 2 min at most, after the job's status is
 * written); what is still owed then stays in the ledger for `shardcast notify JOB --retry`.
 */
export const NOTIFY_RETRY_ATTEMPTS = 4;
export const NOTIFY_RETRY_INTERVAL_SECONDS = 5;

function placeholderValues(p: WorkflowParams): Record<string, string | number> {
  return {
    AdmitFunctionArn: p.admitFunctionArn,
    AnalyzeFunctionArn: p.analyzeFunctionArn,
    EncodeSegmentFunctionArn: p.encodeSegmentFunctionArn,
    EncodeAudioFunctionArn: p.encodeAudioFunctionArn,
    MergeFunctionArn: p.mergeFunctionArn,
    FinalizeFunctionArn: p.finalizeFunctionArn,
    FailFunctionArn: p.failFunctionArn,
    NotifyFunctionArn: p.notifyFunctionArn,
    NotifyRetryAttempts: p.notifyRetryAttempts ?? NOTIFY_RETRY_ATTEMPTS,
    NotifyRetryIntervalSeconds: NOTIFY_RETRY_INTERVAL_SECONDS,
    TaskTimeoutSeconds: p.taskTimeoutSeconds,
    TaskRetryAttempts: p.taskRetryAttempts,
    TaskBusyRetryIntervalSeconds: BUSY_RETRY_INTERVAL_SECONDS,
    TaskBusyRetryAttempts: busyRetryAttempts(p.taskTimeoutSeconds),
  };
}

const WHOLE = /^\$\{([A-Za-z][A-Za-z0-9]*)\}$/;
const INNER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** Replaces `${Name}` placeholders in every string of a JSON value (pure). */
export function substitutePlaceholders(value: Json, values: Record<string, string | number>): Json {
  const lookup = (name: string): string | number => {
    const v = values[name];
    if (v === undefined) throw new Error(`workflow placeholder \${${name}} has no value`);
    return v;
  };
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup(whole[1]!);
    return value.replace(INNER, (_, name: string) => String(lookup(name)));
  }
  if (Array.isArray(value)) return value.map((v) => substitutePlaceholders(v, values));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitutePlaceholders(v, values);
    return out;
  }
  return value;
}

function asObject(v: Json | undefined, what: string): { [key: string]: Json } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`workflow template: ${what} is missing`);
  return v;
}

/** Finds the segment Map state (inside a branch of EncodeAll, or of another Parallel state). */
export function findSegmentMap(def: AslDefinition, parallelState = 'EncodeAll'): { [key: string]: Json } {
  return segmentMapIn(asObject(def.States[parallelState], `state ${parallelState}`), parallelState);
}

/** The segment Map (inline or distributed copy) among a Parallel state's branches. */
function segmentMapIn(parallel: { [key: string]: Json }, parallelState: string): { [key: string]: Json } {
  const branches = parallel.Branches;
  if (!Array.isArray(branches)) throw new Error(`workflow template: ${parallelState} has no Branches`);
  for (const b of branches) {
    const states = asObject(asObject(b, 'branch').States, 'branch States');
    for (const name of [SEGMENT_MAP_STATE, DISTRIBUTED_MAP_STATE]) if (states[name]) return asObject(states[name], name);
  }
  throw new Error(`workflow template: no ${SEGMENT_MAP_STATE} state in ${parallelState}`);
}

/** Turns a segment Map into a Distributed Map, in place. */
function makeDistributed(map: { [key: string]: Json }): void {
  const processor = asObject(map.ItemProcessor, 'ItemProcessor');
  processor.ProcessorConfig = { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' };
  map.Label = 'Segments';
}

/** Turns the segment Map of a (substituted) definition into a Distributed Map, in place. */
export function makeSegmentMapDistributed(def: AslDefinition): void {
  makeDistributed(findSegmentMap(def));
}

/**
 * mapMode auto: the state before the encodes (NotifyStarted, after Analyze) goes on to a Choice on
 * `$.analyze.segmentCount`: up to `max` segments the inline EncodeAll, else a copy of it whose segment Map is
 * distributed (renamed, so the two are told apart in logs).
 */
function addMapChoice(def: AslDefinition, max: number, interpreter: boolean): void {
  const before = asObject(def.States.NotifyStarted ?? def.States.Analyze, 'state NotifyStarted');
  const after = before.Next;
  before.Next = MAP_CHOICE_STATE;
  // Its Catch (a notification that failed) goes on to the encodes too.
  for (const c of Array.isArray(before.Catch) ? before.Catch : []) {
    const cat = asObject(c, 'Catch');
    if (cat.Next === after) cat.Next = MAP_CHOICE_STATE;
  }
  const copy = renameStates(JSON.parse(JSON.stringify(def.States.EncodeAll)) as { [key: string]: Json });
  if (!interpreter) makeDistributed(segmentMapIn(copy, DISTRIBUTED_PARALLEL_STATE));
  copy.Comment = `EncodeAll for runs of more than ${max} segments: the segment Map is distributed, so its iterations do not fill this execution's history (25,000 events).`;
  def.States[DISTRIBUTED_PARALLEL_STATE] = copy;
  def.States[MAP_CHOICE_STATE] = {
    Type: 'Choice',
    Comment: `An inline Map logs ${INLINE_EVENTS_PER_SEGMENT} history events per segment (more with retries): above ${max} segments the Distributed Map.`,
    Choices: [{ Variable: '$.analyze.segmentCount', NumericGreaterThan: max, Next: DISTRIBUTED_PARALLEL_STATE }],
    Default: typeof after === 'string' ? after : 'EncodeAll',
  };
}

/**
 * Suffixes every state name inside a Parallel state's branches (and the references to them: StartAt, Next,
 * Default), leaving references to states outside (its own Next and Catch targets) as they are.
 */
function renameStates(parallel: { [key: string]: Json }): { [key: string]: Json } {
  const inside = new Set<string>();
  const collect = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') {
      if (v.States && typeof v.States === 'object' && !Array.isArray(v.States)) Object.keys(v.States).forEach((k) => inside.add(k));
      Object.values(v).forEach(collect);
    }
  };
  collect(parallel.Branches!);
  const rename = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(rename);
    if (!v || typeof v !== 'object') return v;
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'States' && x && typeof x === 'object' && !Array.isArray(x)) {
        out[k] = Object.fromEntries(Object.entries(x).map(([name, st]) => [distributedStateName(name), rename(st)]));
      } else if ((k === 'StartAt' || k === 'Next' || k === 'Default') && typeof x === 'string' && inside.has(x)) {
        out[k] = distributedStateName(x);
      } else out[k] = rename(x);
    }
    return out;
  };
  return { ...parallel, Branches: rename(parallel.Branches!) };
}

/** The template with every placeholder filled in, with the deployment's Map mode. */
export function substituteWorkflow(template: AslDefinition, params: WorkflowParams): AslDefinition {
  const def = substitutePlaceholders(template, placeholderValues(params)) as AslDefinition;
  if (params.mapMode === 'distributed' && !params.interpreter) makeSegmentMapDistributed(def);
  if (params.mapMode === 'auto') addMapChoice(def, params.maxInlineSegments ?? maxInlineSegments(), params.interpreter ?? false);
  return def;
}

/** How long the encode task's retriers wait, from the definition itself (what `estimate` reports). */
export interface RetryBudget {
  /** Lambda.TooManyRequestsException: attempts, and the wait they add up to on average (full jitter) and at most. */
  throttle: { attempts: number; meanSeconds: number; mostSeconds: number };
  /** TaskBusyError: attempts, every `intervalSeconds`. */
  busy: { attempts: number; intervalSeconds: number };
  /** A timeout or a dead runtime: attempts after the first. */
  deaths: number;
}

export function encodeRetryBudget(params: Pick<WorkflowParams, 'taskTimeoutSeconds' | 'taskRetryAttempts'>): RetryBudget {
  const def = buildWorkflowDefinition({
    ...params,
    mapMode: 'inline',
    admitFunctionArn: 'i',
    analyzeFunctionArn: 'a',
    encodeSegmentFunctionArn: 'e',
    encodeAudioFunctionArn: 'e',
    mergeFunctionArn: 'm',
    finalizeFunctionArn: 'f',
    failFunctionArn: 'x',
    notifyFunctionArn: 'n',
  });
  const task = asObject(
    asObject(asObject(findSegmentMap(def).ItemProcessor, 'ItemProcessor').States, 'States').EncodeSegment,
    'EncodeSegment',
  );
  const retriers = (task.Retry as Array<{ [key: string]: Json }>).map((r) => ({
    errors: r.ErrorEquals as string[],
    interval: r.IntervalSeconds as number,
    attempts: r.MaxAttempts as number,
    rate: (r.BackoffRate as number | undefined) ?? 2,
    cap: (r.MaxDelaySeconds as number | undefined) ?? Number.POSITIVE_INFINITY,
    jitter: r.JitterStrategy === 'FULL',
  }));
  const by = (error: string) => retriers.find((r) => r.errors.includes(error))!;
  const t = by('Lambda.TooManyRequestsException');
  let most = 0;
  for (let n = 1; n <= t.attempts; n++) most += Math.min(t.interval * t.rate ** (n - 1), t.cap);
  const b = by('TaskBusyError');
  return {
    throttle: { attempts: t.attempts, meanSeconds: Math.round(t.jitter ? most / 2 : most), mostSeconds: Math.round(most) },
    busy: { attempts: b.attempts, intervalSeconds: b.interval },
    deaths: by('Runtime.ExitError').attempts,
  };
}

/** Loads infra/workflow.asl.json and fills it in. */
export function buildWorkflowDefinition(params: WorkflowParams): AslDefinition {
  return substituteWorkflow(loadWorkflowTemplate(), params);
}
