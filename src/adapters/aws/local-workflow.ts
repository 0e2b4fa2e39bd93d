/**
 * Runs the real state machine definition (infra/workflow.asl.json, inline Map) with a local Step Functions
 * interpreter (aws-local-stepfunctions) whose Task states call local functions: the aws-emulated backend
 * passes the Lambda handlers' own step functions. The interpreter gaps are designed around here: Promise
 * .withResolvers is polyfilled on Node 20, TimeoutSeconds is always set (its default is 60 s), and there is
 * no Distributed Map (the inline Map runs the same item processor).
 */
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';
import { ensurePromiseWithResolvers } from './promise-polyfill.js';
import {
  HISTORY_EVENT_LIMIT,
  historyEventsOfInvocation,
  INLINE_EVENTS_PER_SEGMENT,
  WORKFLOW_STATE_EVENTS,
  type MapMode,
} from '../../core/state-limits.js';
import { buildWorkflowDefinition, distributedStateName, type AslDefinition } from './workflow-definition.js';

/** The Task states of the workflow, by state name. */
export const WORKFLOW_TASK_STATES = [
  'Admit',
  'Analyze',
  'NotifyStarted',
  'EncodeSegment',
  'EncodeAudio',
  'Merge',
  'Finalize',
  'NotifyDone',
  'MarkFailed',
  'NotifyFailed',
] as const;
export type WorkflowTaskState = (typeof WORKFLOW_TASK_STATES)[number];
export type WorkflowTaskHandlers = Record<WorkflowTaskState, (input: unknown) => Promise<unknown>>;

/** The Notify states, which all run the one notify step (src/lambda/notify.ts). */
export const NOTIFY_STATES = ['NotifyStarted', 'NotifyDone', 'NotifyFailed'] as const;
export function notifyHandlers(
  handlerOf: (state: (typeof NOTIFY_STATES)[number]) => (input: unknown) => Promise<unknown>,
): Pick<WorkflowTaskHandlers, (typeof NOTIFY_STATES)[number]> {
  return { NotifyStarted: handlerOf('NotifyStarted'), NotifyDone: handlerOf('NotifyDone'), NotifyFailed: handlerOf('NotifyFailed') };
}

/** How an execution ended (the same shape for the local interpreter and for Step Functions). */
export interface WorkflowOutcome {
  status: 'succeeded' | 'failed' | 'aborted';
  /** For a failed execution: the error name and cause of its Fail state. */
  error?: string;
  cause?: string;
}

export interface LocalWorkflowOptions {
  taskTimeoutSeconds: number;
  /** Retries of a RetryableTaskError (the job's maxAttempts - 1). */
  taskRetryAttempts: number;
  /** Replace every retry's backoff with this many ms (tests: 0); default the definition's backoff. */
  retryIntervalMs?: number;
  /** The deployment's Map mode (default auto, as deployed); the distributed copy runs inline here. */
  mapMode?: MapMode;
  maxInlineSegments?: number;
  /** The history limit enforced on the execution (default Step Functions' 25,000 events). */
  historyEventLimit?: number;
}

export interface LocalExecution {
  result: Promise<WorkflowOutcome>;
  abort(): void;
}

const fakeArn = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:shardcast-${name}`;

/** What the local interpreter's definition is filled in with (the ARNs are names the handlers are bound to). */
export type LocalDefinitionOptions = Pick<
  LocalWorkflowOptions,
  'taskTimeoutSeconds' | 'taskRetryAttempts' | 'mapMode' | 'maxInlineSegments'
>;

/** The state machine definition as the local interpreter runs it: the deployed one, its distributed copy inline. */
export function localWorkflowDefinition(opts: LocalDefinitionOptions): AslDefinition {
  return buildWorkflowDefinition({
    mapMode: opts.mapMode ?? 'auto',
    ...(opts.maxInlineSegments !== undefined ? { maxInlineSegments: opts.maxInlineSegments } : {}),
    interpreter: true,
    admitFunctionArn: fakeArn('admit'),
    analyzeFunctionArn: fakeArn('analyze'),
    encodeSegmentFunctionArn: fakeArn('encode-segment'),
    encodeAudioFunctionArn: fakeArn('encode-audio'),
    mergeFunctionArn: fakeArn('merge'),
    finalizeFunctionArn: fakeArn('finalize'),
    failFunctionArn: fakeArn('mark-failed'),
    notifyFunctionArn: fakeArn('notify'),
    taskTimeoutSeconds: opts.taskTimeoutSeconds,
    taskRetryAttempts: opts.taskRetryAttempts,
  });
}

/** `input`: `{ jobId }` for a job that exists, or an S3 Object Created event (an upload) for Admit to make one. */
export function startLocalWorkflow(
  input: { jobId: string } | Record<string, unknown>,
  handlers: WorkflowTaskHandlers,
  opts: LocalWorkflowOptions,
): LocalExecution {
  ensurePromiseWithResolvers();
  const definition = localWorkflowDefinition(opts);
  const machine = new StateMachine(definition as never);
  // The interpreter enforces no history limit: count what Step Functions would log for this execution, from
  // the Task invocations, and fail it as Step Functions does past the limit. The distributed copy's segment
  // iterations would be logged in child executions (each with its own history), so they are not counted.
  const limit = opts.historyEventLimit ?? HISTORY_EVENT_LIMIT;
  const history = { events: WORKFLOW_STATE_EVENTS, overflowed: false };
  const attempted = new Set<string>();
  let abortExecution = (): void => undefined;
  const counted =
    (name: string, run: (i: unknown) => Promise<unknown>) =>
    async (input: unknown): Promise<never> => {
      // With a Distributed Map for every run the segment iterations are all in child executions.
      const childIteration = name === distributedStateName('EncodeSegment') || (name === 'EncodeSegment' && opts.mapMode === 'distributed');
      if (!childIteration) {
        const key = `${name} ${JSON.stringify(input)}`;
        history.events += historyEventsOfInvocation({ firstAttempt: !attempted.has(key), mapItem: name === 'EncodeSegment' });
        attempted.add(key);
        if (history.events > limit && !history.overflowed) {
          history.overflowed = true;
          abortExecution();
        }
        if (history.overflowed) throw Object.assign(new Error('the execution history is full'), { name: 'States.Runtime' });
      }
      return (await run(input)) as never;
    };
  // The distributed copy's Task states (EncodeSegmentDistributed, ...) call the same handlers.
  const names = WORKFLOW_TASK_STATES.flatMap(
    (s) =>
      [
        [s, s],
        [distributedStateName(s), s],
      ] as const,
  );
  const local = Object.fromEntries(names.map(([name, s]) => [name, counted(name, handlers[s])]));
  const retryIntervalOverrides =
    opts.retryIntervalMs === undefined ? undefined : Object.fromEntries(names.map(([name]) => [name, opts.retryIntervalMs!]));
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: local, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
  });
  abortExecution = () => execution.abort();
  const result = execution.result.then(
    (): WorkflowOutcome => ({ status: 'succeeded' }),
    (err: unknown): WorkflowOutcome => {
      if (history.overflowed) {
        return {
          status: 'failed',
          error: 'States.Runtime',
          cause: `the execution's history passed Step Functions' limit of ${limit} events (an inline Map logs ${INLINE_EVENTS_PER_SEGMENT} per segment, more with retries): deploy with the Distributed Map`,
        };
      }
      if (err instanceof ExecutionAbortedError) return { status: 'aborted' };
      const failState = (err as Error).cause as { name?: string; message?: string } | undefined;
      return { status: 'failed', error: failState?.name ?? 'Error', cause: failState?.message ?? String((err as Error).message) };
    },
  );
  return { result, abort: () => execution.abort() };
}
