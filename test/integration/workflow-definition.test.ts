/**
 * The workflow file (infra/workflow.asl.json): placeholder substitution, the Distributed Map variant, and the
 * real definition run by a local Step Functions interpreter (aws-local-stepfunctions) whose Task states call
 * small recording handlers here (the real Lambda handlers are exercised by the aws-emulated tests).
 */
import assert from 'node:assert/strict';
import { encodeThrottleRetrier, simulateThrottledMap } from '../../bench/lib/throttle-model.js';
import { describe, it } from 'node:test';
import { StateMachine } from 'aws-local-stepfunctions';
import { ensurePromiseWithResolvers } from '../../src/adapters/aws/promise-polyfill.js';
import {
  buildWorkflowDefinition,
  DISTRIBUTED_PARALLEL_STATE,
  distributedStateName,
  findSegmentMap,
  loadWorkflowTemplate,
  MAP_CHOICE_STATE,
  substitutePlaceholders,
  type WorkflowParams,
  NOTIFY_RETRY_ATTEMPTS,
} from '../../src/adapters/aws/workflow-definition.js';
import { historyEventsOfInvocation, mapModeFor, maxInlineSegments } from '../../src/core/state-limits.js';
import { describeWorkflowFailure, parseWorkflowFailure } from '../../src/adapters/aws/workflow-payloads.js';
import { countStateTransitions } from '../../src/core/cost-model.js';
import { STALE_TASK_MS } from '../../src/app/job-lease.js';
import { executionConcurrency } from '../../src/core/concurrency.js';

ensurePromiseWithResolvers();

const arn = (name: string): string => `arn:aws:lambda:us-east-1:123456789012:function:shardcast-${name}`;
const params = (over: Partial<WorkflowParams> = {}): WorkflowParams => ({
  mapMode: 'inline',
  admitFunctionArn: arn('admit'),
  analyzeFunctionArn: arn('analyze'),
  encodeSegmentFunctionArn: arn('encode-segment'),
  encodeAudioFunctionArn: arn('encode-audio'),
  mergeFunctionArn: arn('merge'),
  finalizeFunctionArn: arn('finalize'),
  failFunctionArn: arn('fail'),
  notifyFunctionArn: arn('notify'),
  taskTimeoutSeconds: 900,
  taskRetryAttempts: 2,
  ...over,
});

const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

type Handler = (input: Record<string, unknown>) => Promise<unknown>;
interface Run {
  calls: Array<[string, Record<string, unknown>]>;
  result: Promise<unknown>;
  events: AsyncGenerator<{ type: string }>;
}

/** Runs the inline-Map definition with recording handlers; `over` replaces single handlers. */
function runWorkflow(segments: number[], audio: boolean, over: Record<string, Handler> = {}, defParams: Partial<WorkflowParams> = {}): Run {
  const calls: Run['calls'] = [];
  const record =
    (state: string, fallback: Handler) =>
    async (raw: unknown): Promise<never> => {
      const input = raw as Record<string, unknown>;
      calls.push([state, input]);
      return (await (over[state] ?? fallback)(input)) as never;
    };
  const ok: Handler = async (input) => ({ ...input, status: 'done', big: 'x'.repeat(1000) });
  const handlers: Record<string, (raw: unknown) => Promise<never>> = {
    Analyze: record('Analyze', async () => ({ segments, segmentCount: segments.length, audio, concurrency: 4, extra: 'dropped' })),
    EncodeSegment: record('EncodeSegment', ok),
    EncodeAudio: record('EncodeAudio', ok),
    Merge: record('Merge', ok),
    Finalize: record('Finalize', async () => ({ status: 'done' })),
    MarkFailed: record('MarkFailed', async () => ({ marked: true })),
    NotifyStarted: record('NotifyStarted', async () => ({ sent: 1 })),
    NotifyDone: record('NotifyDone', async () => ({ sent: 1 })),
    NotifyFailed: record('NotifyFailed', async () => ({ sent: 1 })),
  };
  // The distributed copy's states (auto mode) are the same steps.
  for (const s of ['EncodeSegment', 'EncodeAudio']) handlers[distributedStateName(s)] = handlers[s]!;
  const machine = new StateMachine(buildWorkflowDefinition(params(defParams)) as never);
  const execution = machine.run(
    { jobId: 'job-1' },
    {
      overrides: {
        taskResourceLocalHandlers: handlers,
        retryIntervalOverrides: {
          EncodeSegment: 0,
          EncodeAudio: 0,
          Analyze: 0,
          Merge: 0,
          NotifyDone: 0,
          NotifyFailed: 0,
          NotifyStarted: 0,
        },
      },
    },
  );
  return { calls, result: execution.result, events: execution.eventLogs as AsyncGenerator<{ type: string }> };
}

const callsTo = (run: Run, state: string) => run.calls.filter(([s]) => s === state).map(([, input]) => input);

describe('workflow definition', () => {
  it('fills every placeholder, numbers as numbers', () => {
    const def = buildWorkflowDefinition(params());
    const text = JSON.stringify(def);
    assert.ok(!/\$\{[A-Za-z]/.test(text), 'no placeholder left');
    const map = findSegmentMap(def);
    // Per execution, from Analyze (the job's concurrency capped by the account's free Lambda concurrency).
    assert.equal(map.MaxConcurrencyPath, '$.analyze.concurrency');
    assert.equal(map.MaxConcurrency, undefined, 'not both');
    assert.deepEqual((def.States.Analyze as Record<string, any>).ResultSelector['concurrency.$'], '$.concurrency');
    assert.deepEqual(map.ItemProcessor && (map.ItemProcessor as Record<string, unknown>).ProcessorConfig, { Mode: 'INLINE' });
    assert.ok(text.includes(arn('encode-segment')) && text.includes(arn('fail')));
    assert.match(text, /"TimeoutSeconds":900/);
  });

  it('builds a Distributed Map variant with the same item processor', () => {
    const inline = buildWorkflowDefinition(params());
    const distributed = buildWorkflowDefinition(params({ mapMode: 'distributed' }));
    const dmap = findSegmentMap(distributed);
    const dproc = dmap.ItemProcessor as Record<string, unknown>;
    const iproc = findSegmentMap(inline).ItemProcessor as Record<string, unknown>;
    assert.deepEqual(dproc.ProcessorConfig, { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    assert.equal(dmap.MaxConcurrencyPath, '$.analyze.concurrency');
    assert.deepEqual(dproc.States, iproc.States);
    assert.deepEqual(dproc.StartAt, iproc.StartAt);
  });

  it("auto: a Choice on the segment count sends a run of more than 2,490 segments to a distributed copy of EncodeAll (the inline Map's history fills near 3,500)", () => {
    assert.equal(maxInlineSegments(), 2490);
    assert.equal(mapModeFor(2490, 'auto'), 'inline');
    assert.equal(mapModeFor(2491, 'auto'), 'distributed');
    assert.equal(mapModeFor(7200, 'inline'), 'inline');
    const def = buildWorkflowDefinition(params({ mapMode: 'auto' }));
    // After Analyze, the started notification, then the Choice (a notification that failed goes on to it too).
    assert.equal((def.States.Analyze as Record<string, unknown>).Next, 'NotifyStarted');
    assert.equal((def.States.NotifyStarted as Record<string, unknown>).Next, MAP_CHOICE_STATE);
    assert.equal(((def.States.NotifyStarted as Record<string, unknown>).Catch as { Next: string }[])[0]!.Next, MAP_CHOICE_STATE);
    assert.deepEqual((def.States[MAP_CHOICE_STATE] as Record<string, unknown>).Choices, [
      { Variable: '$.analyze.segmentCount', NumericGreaterThan: 2490, Next: DISTRIBUTED_PARALLEL_STATE },
    ]);
    assert.equal((def.States[MAP_CHOICE_STATE] as Record<string, unknown>).Default, 'EncodeAll');
    const inline = findSegmentMap(def);
    const dist = findSegmentMap(def, DISTRIBUTED_PARALLEL_STATE);
    assert.deepEqual((inline.ItemProcessor as Record<string, unknown>).ProcessorConfig, { Mode: 'INLINE' });
    assert.deepEqual((dist.ItemProcessor as Record<string, unknown>).ProcessorConfig, { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    const inlineStates = (inline.ItemProcessor as Record<string, unknown>).States as Record<string, unknown>;
    const distStates = (dist.ItemProcessor as Record<string, unknown>).States as Record<string, unknown>;
    assert.deepEqual(Object.keys(distStates), Object.keys(inlineStates).map(distributedStateName));
    assert.deepEqual(JSON.parse(JSON.stringify(distStates).replace(/"(\w+)Distributed"/g, '"$1"')), inlineStates);
    const copy = def.States[DISTRIBUTED_PARALLEL_STATE] as Record<string, unknown>;
    assert.equal(copy.Next, 'Merge');
    assert.deepEqual(copy.Catch, (def.States.EncodeAll as Record<string, unknown>).Catch);
    // The local interpreter runs no Distributed Map: its copy keeps an inline processor.
    const local = findSegmentMap(buildWorkflowDefinition(params({ mapMode: 'auto', interpreter: true })), DISTRIBUTED_PARALLEL_STATE);
    assert.deepEqual((local.ItemProcessor as Record<string, unknown>).ProcessorConfig, { Mode: 'INLINE' });
  });

  it('auto: the interpreter takes the distributed copy above the threshold and the inline Map below it', async () => {
    for (const [segments, expect] of [
      [[0, 1], 'EncodeSegments'],
      [[0, 1, 2], 'EncodeSegmentsDistributed'],
    ] as const) {
      const run = runWorkflow([...segments], false, {}, { mapMode: 'auto', maxInlineSegments: 2, interpreter: true });
      const maps = new Set<string>();
      const collect = (async () => {
        for await (const e of run.events as AsyncGenerator<{ type: string; parentState?: { name: string } }>)
          if (e.type === 'MapIterationStarted') maps.add(e.parentState!.name);
      })();
      await run.result;
      await collect;
      assert.deepEqual([...maps], [expect]);
      assert.equal(callsTo(run, 'EncodeSegment').length, segments.length);
    }
  });

  it('models the history Step Functions logs: 7 events per inline segment, 3 per retry', () => {
    assert.equal(historyEventsOfInvocation({ firstAttempt: true, mapItem: true }), 7);
    assert.equal(historyEventsOfInvocation({ firstAttempt: false, mapItem: true }), 3);
    assert.equal(historyEventsOfInvocation({ firstAttempt: true, mapItem: false }), 5);
  });

  it('retries Lambda service errors with backoff and full jitter; the segment retrier after them', () => {
    const map = findSegmentMap(buildWorkflowDefinition(params()));
    const task = ((map.ItemProcessor as Record<string, unknown>).States as Record<string, Record<string, unknown>>).EncodeSegment!;
    const retry = task.Retry as Array<Record<string, unknown>>;
    assert.deepEqual(
      retry.map((r) => r.ErrorEquals),
      [
        ['Lambda.TooManyRequestsException'],
        ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'],
        // Regression: a function that timed out or ran out of memory, or whose runtime died (Runtime.ExitError,
        // Runtime.OutOfMemory, a client-side invocation timeout), was retried by no retrier.
        [
          'Sandbox.Timedout',
          'Lambda.Unknown',
          'States.Timeout',
          'Runtime.ExitError',
          'Runtime.OutOfMemory',
          'Lambda.ClientExecutionTimeoutException',
        ],
        ['TaskBusyError'],
        ['RetryableTaskError'],
      ],
    );
    for (const r of retry.slice(0, 2)) {
      assert.equal(r.JitterStrategy, 'FULL');
      assert.ok((r.BackoffRate as number) > 1);
    }
    assert.equal(retry[2]!.MaxAttempts, 1);
    // After a timeout the dead invocation's task is still running: the retry must come after it is stale (regression: 2 s, refused as busy).
    assert.ok((retry[2]!.IntervalSeconds as number) * 1000 > STALE_TASK_MS, String(retry[2]!.IntervalSeconds));
    // A task refused as busy is tried until the invocation holding it has run its longest and gone stale
    // (regression: it was a RetryableTaskError, retried for about 3 s in all, and could never succeed).
    const busy = retry[3]!;
    assert.equal(busy.BackoffRate, 1);
    assert.ok(
      (busy.IntervalSeconds as number) * ((busy.MaxAttempts as number) - 1) * 1000 >= params().taskTimeoutSeconds * 1000 + STALE_TASK_MS,
      `${String(busy.IntervalSeconds)} s x ${String(busy.MaxAttempts)}`,
    );
    assert.equal(retry[4]!.MaxAttempts, 2);
    for (const r of retry)
      assert.deepEqual(
        Object.keys(r).filter(
          (k) => !['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds', 'JitterStrategy'].includes(k),
        ),
        [],
        'only retrier fields',
      );
    assert.ok(Array.isArray(task.Catch));
  });

  it('a throttled task waits for a slot: fewer free Lambda slots than the Map runs slow a job, never fail it (regression: 5 of 5 runs failed with 10 or 20 of 40 free)', () => {
    const definition = buildWorkflowDefinition(params()) as never;
    const retrier = encodeThrottleRetrier(definition);
    assert.ok(retrier, 'the encode task retries TooManyRequestsException');
    // Issue 11's scenario, in a seeded queue model of the retry rules (bench/lib/throttle-model.ts).
    for (const freeSlots of [4, 10, 20, 39]) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const r = simulateThrottledMap({ tasks: 160, taskSeconds: 30, maxConcurrency: 40, freeSlots, retrier: retrier, seed });
        assert.equal(r.failed, 0, `${freeSlots} free slots, seed ${seed}: ${r.failed} iterations ran out of retries`);
        assert.ok(r.makespan < Math.ceil(160 / freeSlots) * 30 * 1.25, `${freeSlots} free slots: ${r.makespan} s`);
      }
    }
    // Issue 26's scenarios, with segments of up to half the function timeout: run at MaxConcurrency 40 against 10,
    // 20 or 30 free slots they failed 5 of 5 runs. Each execution now runs at most what the account's free
    // concurrency gives (core/concurrency.ts; the free slots are what GetAccountSettings reports as unreserved):
    // every run completes, with few refusals, well inside the inline Map's history.
    for (const [tasks, taskSeconds, free] of [
      [160, 300, 10],
      [720, 450, 10],
      [720, 450, 20],
      [720, 450, 30],
    ] as const) {
      const { concurrency } = executionConcurrency(40, { unreserved: free });
      for (const seed of [1, 2, 3, 4, 5]) {
        const r = simulateThrottledMap({ tasks, taskSeconds, maxConcurrency: concurrency, freeSlots: free, retrier, seed });
        assert.equal(r.failed, 0, `${tasks} x ${taskSeconds} s, ${free} free, seed ${seed}: ${r.failed} ran out of retries`);
        const events = tasks * historyEventsOfInvocation({ firstAttempt: true, mapItem: true }) + r.throttles * 3;
        assert.ok(events < 25_000, `${tasks} x ${taskSeconds} s, ${free} free: ${events} history events`);
      }
    }
    // Every Lambda task of the workflow has the same throttle retrier first.
    const tasks: Array<Record<string, unknown>> = [];
    const walk = (states: Record<string, any>) => {
      for (const st of Object.values(states)) {
        if (st.Type === 'Task') tasks.push(st);
        if (st.Branches) for (const b of st.Branches) walk(b.States);
        if (st.ItemProcessor) walk(st.ItemProcessor.States);
      }
    };
    walk((definition as { States: Record<string, unknown> }).States);
    assert.ok(tasks.length >= 6);
    for (const t of tasks) assert.deepEqual((t.Retry as unknown[])[0], retrier);
  });

  it('rejects a placeholder without a value', () => {
    assert.throws(() => substitutePlaceholders({ a: '${Nope}' }, {}), /Nope/);
    assert.deepEqual(substitutePlaceholders({ a: 'x-${A}-y', b: ['${B}'] }, { A: 'q', B: 3 }), { a: 'x-q-y', b: [3] });
    assert.ok(loadWorkflowTemplate().States.Analyze, 'the template loads');
  });

  it('keeps payloads small: 40,000 segment indices fit in 256 KB', () => {
    const analyze = { segments: Array.from({ length: 40_000 }, (_, i) => i), audio: true };
    const state = JSON.stringify({ jobId: 'job-0123456789abcdef', analyze });
    assert.ok(Buffer.byteLength(state) < 256 * 1024, `${Buffer.byteLength(state)} bytes`);
  });

  it('runs analyze → segments beside audio → merge → finalize, with small task inputs', async () => {
    const run = runWorkflow([2, 0, 1], true);
    const out = (await run.result) as Record<string, unknown>;
    assert.deepEqual(callsTo(run, 'Analyze'), [{ jobId: 'job-1' }]);
    assert.deepEqual(
      callsTo(run, 'EncodeSegment').sort((a, b) => Number(a.index) - Number(b.index)),
      [0, 1, 2].map((index) => ({ jobId: 'job-1', kind: 'video', index })),
    );
    assert.deepEqual(callsTo(run, 'EncodeAudio'), [{ jobId: 'job-1', kind: 'audio', index: 0 }]);
    assert.deepEqual(callsTo(run, 'Merge'), [{ jobId: 'job-1' }]);
    assert.deepEqual(callsTo(run, 'Finalize'), [{ jobId: 'job-1' }]);
    assert.equal(callsTo(run, 'MarkFailed').length, 0);
    assert.deepEqual(out, {
      jobId: 'job-1',
      analyze: { segments: [2, 0, 1], segmentCount: 3, audio: true, concurrency: 4 },
      result: { status: 'done' },
    });
  });

  it('skips the audio task when there is none', async () => {
    const run = runWorkflow([0], false);
    await run.result;
    assert.equal(callsTo(run, 'EncodeAudio').length, 0);
    assert.equal(callsTo(run, 'Merge').length, 1);
  });

  it('retries a throttled or retryable segment and completes', async () => {
    const failures = new Map<string, number>();
    const flaky: Handler = async (input) => {
      const n = (failures.get(String(input.index)) ?? 0) + 1;
      failures.set(String(input.index), n);
      if (input.index === 1 && n === 1) throw named('Lambda.TooManyRequestsException', 'Rate exceeded');
      if (input.index === 2 && n <= 2) throw named('RetryableTaskError', 'ffmpeg exited with 1');
      return {};
    };
    const run = runWorkflow([0, 1, 2], true, { EncodeSegment: flaky });
    await run.result;
    assert.deepEqual([...failures.entries()].sort(), [
      ['0', 1],
      ['1', 2],
      ['2', 3],
    ]);
    assert.equal(callsTo(run, 'Finalize').length, 1);
  });

  it('a segment that keeps failing marks the job failed naming that segment, then fails', async () => {
    const broken: Handler = async (input) => {
      if (input.index === 3) throw named('RetryableTaskError', 'ffmpeg exited with 1');
      return {};
    };
    const run = runWorkflow([0, 1, 2, 3], true, { EncodeSegment: broken });
    await assert.rejects(run.result, (err: Error) => {
      assert.match(err.message, /ffmpeg exited with 1/);
      return true;
    });
    assert.equal(callsTo(run, 'EncodeSegment').filter((i) => i.index === 3).length, 3, 'first try + 2 retries');
    const marked = callsTo(run, 'MarkFailed');
    assert.equal(marked.length, 1);
    assert.equal(marked[0]!.jobId, 'job-1');
    const failure = parseWorkflowFailure(marked[0] as { error: string; cause: string });
    assert.deepEqual(failure, { task: { kind: 'video', index: 3 }, error: 'RetryableTaskError', message: 'ffmpeg exited with 1' });
    assert.equal(describeWorkflowFailure(failure), 'video segment 3 failed: RetryableTaskError: ffmpeg exited with 1');
    assert.equal(callsTo(run, 'Merge').length, 0);
  });

  it('notifies after each status is written; a receiver that stays down delays no state and fails no execution', async () => {
    const order = (run: Run) => run.calls.map(([s]) => s).filter((s) => !s.startsWith('Encode'));
    const done = runWorkflow([0, 1], true);
    await done.result;
    assert.deepEqual(order(done), ['Analyze', 'NotifyStarted', 'Merge', 'Finalize', 'NotifyDone']);
    assert.deepEqual(callsTo(done, 'NotifyDone'), [{ jobId: 'job-1', event: 'job.done' }]);
    // Every notification fails as a receiver that is down does: the encodes run, the job is done, the execution
    // succeeds; NotifyDone is retried (its backoff set to 0 here) before it gives up.
    const down: Handler = async () => {
      throw named('NotifyRetryError', '1 webhook delivery(ies) not accepted yet');
    };
    const ignored = runWorkflow([0, 1], true, { NotifyStarted: down, NotifyDone: down });
    const { notifyError, ...out } = (await ignored.result) as Record<string, unknown>;
    assert.deepEqual(out, await runWorkflow([0, 1], true).result, 'the same output as with receivers up');
    assert.equal((notifyError as { Error: string }).Error, 'NotifyRetryError', 'the execution says why it stopped trying');
    assert.equal(callsTo(ignored, 'EncodeSegment').length, 2);
    assert.equal(callsTo(ignored, 'NotifyStarted').length, 1, 'started: one attempt, so the encodes wait on no receiver');
    assert.equal(callsTo(ignored, 'NotifyDone').length, 1 + NOTIFY_RETRY_ATTEMPTS);
    // A failed job: MarkFailed records it, then NotifyFailed; the execution fails with the job's error.
    const failed = runWorkflow([0], false, {
      Merge: async () => Promise.reject(named('VerifyError', 'frame count 1')),
      NotifyFailed: down,
    });
    await assert.rejects(failed.result, /frame count 1/);
    assert.deepEqual(order(failed), [
      'Analyze',
      'NotifyStarted',
      'Merge',
      'MarkFailed',
      ...Array(1 + NOTIFY_RETRY_ATTEMPTS).fill('NotifyFailed'),
    ]);
  });

  it('an audio failure names the audio task; a merge failure names no task', async () => {
    const audioRun = runWorkflow([0], true, {
      EncodeAudio: async () => {
        throw named('FfmpegError', 'no audio decoder');
      },
    });
    await assert.rejects(audioRun.result);
    const audioFailure = parseWorkflowFailure(callsTo(audioRun, 'MarkFailed')[0] as { error: string; cause: string });
    assert.deepEqual(audioFailure.task, { kind: 'audio', index: 0 });

    const mergeRun = runWorkflow([0], false, {
      Merge: async () => {
        throw named('VerifyError', 'frame count 47, expected 48');
      },
    });
    await assert.rejects(mergeRun.result);
    const mergeFailure = parseWorkflowFailure(callsTo(mergeRun, 'MarkFailed')[0] as { error: string; cause: string });
    assert.deepEqual(mergeFailure, { error: 'VerifyError', message: 'frame count 47, expected 48' });
  });

  it('enters as many states as the cost model bills (retries included)', async () => {
    for (const [segments, audio, flakyIndex] of [
      [[0, 1, 2, 3, 4], true, 2],
      [[0], false, -1],
    ] as const) {
      let failedOnce = false;
      const run = runWorkflow([...segments], audio, {
        EncodeSegment: async (input) => {
          if (input.index === flakyIndex && !failedOnce) {
            failedOnce = true;
            throw named('Lambda.ServiceException', 'try again');
          }
          return {};
        },
      });
      const counts = new Map<string, number>();
      const collect = (async () => {
        for await (const e of run.events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
      })();
      await run.result;
      await collect;
      const retries = flakyIndex >= 0 ? 1 : 0;
      const entered = (counts.get('StateEntered') ?? 0) + (counts.get('StateRetried') ?? 0);
      assert.equal(entered, countStateTransitions({ segments: segments.length, retries, audio }), JSON.stringify([...counts]));
    }
    // As deployed (auto), the Choice state is one transition more.
    const run = runWorkflow([0, 1], true, {}, { mapMode: 'auto', interpreter: true });
    let entered = 0;
    const collect = (async () => {
      for await (const e of run.events) if (e.type === 'StateEntered' || e.type === 'StateRetried') entered++;
    })();
    await run.result;
    await collect;
    assert.equal(entered, countStateTransitions({ segments: 2, retries: 0, audio: true, mapChoice: true }));
  });
});
