/**
 * Builds the state machine definition from the one ASL file, infra/workflow.asl.json, for both the CDK app
 * and the local interpreter (aws-local-stepfunctions). Placeholders are `${Name}` strings: a string that is
 * exactly one placeholder takes the value's type (so `"MaxConcurrency": "${MapMaxConcurrency}"` becomes a
 * number); a placeholder inside a longer string is interpolated. Unknown or unfilled placeholders throw.
 *
 * `distributed: true` turns the segment Map into a Distributed Map (child STANDARD executions running the
 * same item processor), for more than ~40 concurrent segments; the inline Map is what runs locally.
 */
import { readFileSync } from 'node:fs';

export interface WorkflowParams {
  distributed: boolean;
  analyzeFunctionArn: string;
  encodeSegmentFunctionArn: string;
  encodeAudioFunctionArn: string;
  mergeFunctionArn: string;
  finalizeFunctionArn: string;
  failFunctionArn: string;
  /** Segments encoded at once (Map MaxConcurrency; 0 means no limit). */
  mapMaxConcurrency: number;
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

export function loadWorkflowTemplate(url: URL = WORKFLOW_TEMPLATE_URL): AslDefinition {
  return JSON.parse(readFileSync(url, 'utf8')) as AslDefinition;
}

function placeholderValues(p: WorkflowParams): Record<string, string | number> {
  return {
    AnalyzeFunctionArn: p.analyzeFunctionArn,
    EncodeSegmentFunctionArn: p.encodeSegmentFunctionArn,
    EncodeAudioFunctionArn: p.encodeAudioFunctionArn,
    MergeFunctionArn: p.mergeFunctionArn,
    FinalizeFunctionArn: p.finalizeFunctionArn,
    FailFunctionArn: p.failFunctionArn,
    MapMaxConcurrency: p.mapMaxConcurrency,
    TaskTimeoutSeconds: p.taskTimeoutSeconds,
    TaskRetryAttempts: p.taskRetryAttempts,
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

/** Finds the segment Map state (inside the first branch of EncodeAll). */
export function findSegmentMap(def: AslDefinition): { [key: string]: Json } {
  const parallel = asObject(def.States.EncodeAll, 'state EncodeAll');
  const branches = parallel.Branches;
  if (!Array.isArray(branches)) throw new Error('workflow template: EncodeAll has no Branches');
  for (const b of branches) {
    const states = asObject(asObject(b, 'branch').States, 'branch States');
    if (states[SEGMENT_MAP_STATE]) return asObject(states[SEGMENT_MAP_STATE], SEGMENT_MAP_STATE);
  }
  throw new Error(`workflow template: no ${SEGMENT_MAP_STATE} state`);
}

/** Turns the segment Map of a (substituted) definition into a Distributed Map, in place. */
export function makeSegmentMapDistributed(def: AslDefinition): void {
  const map = findSegmentMap(def);
  const processor = asObject(map.ItemProcessor, 'ItemProcessor');
  processor.ProcessorConfig = { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' };
  map.Label = 'Segments';
}

/** The template with every placeholder filled in, as an inline or a Distributed Map. */
export function substituteWorkflow(template: AslDefinition, params: WorkflowParams): AslDefinition {
  const def = substitutePlaceholders(template as Json, placeholderValues(params)) as AslDefinition;
  if (params.distributed) makeSegmentMapDistributed(def);
  return def;
}

/** Loads infra/workflow.asl.json and fills it in. */
export function buildWorkflowDefinition(params: WorkflowParams): AslDefinition {
  return substituteWorkflow(loadWorkflowTemplate(), params);
}
