/**
 * A queue model of a Step Functions Map whose Lambda tasks meet fewer free execution slots than its
 * MaxConcurrency (a new account's reduced quota, a shared account, a Distributed Map's ramp): each iteration
 * invokes, is refused with TooManyRequestsException while the slots are taken, waits as its retrier says
 * (exponential backoff, full jitter) and tries again; an iteration whose retrier runs out fails the Map. Pure
 * and seeded, so a policy can be checked against a scenario in a test.
 */
import { seededRandom } from '../../src/core/seeded-random.js';

export interface RetrierPolicy {
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface ThrottleScenario {
  tasks: number;
  taskSeconds: number;
  maxConcurrency: number;
  /** Execution slots free for this function. */
  freeSlots: number;
  retrier: RetrierPolicy;
  seed: number;
}

export interface ThrottleOutcome {
  /** Iterations whose retrier ran out (any one fails the Map). */
  failed: number;
  /** When the last task ended, seconds. */
  makespan: number;
  /** Refused invocations, in all. */
  throttles: number;
}

/** The pause before retry `n` (1-based), as Step Functions computes it. */
export function retryDelaySeconds(r: RetrierPolicy, n: number, rand: () => number): number {
  const base = Math.min(r.IntervalSeconds * r.BackoffRate ** (n - 1), r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  return r.JitterStrategy === 'FULL' ? rand() * base : base;
}

export function simulateThrottledMap(s: ThrottleScenario): ThrottleOutcome {
  const rand = seededRandom(s.seed);
  // Events: an iteration (re)invoking at `at`, or a task ending at `at` (frees its slot).
  type Ev = { at: number; kind: 'invoke' | 'end'; retries: number };
  const events: Ev[] = [];
  const push = (e: Ev) => {
    let i = events.length;
    while (i > 0 && (events[i - 1]!.at > e.at || (events[i - 1]!.at === e.at && events[i - 1]!.kind === 'invoke' && e.kind === 'end'))) i--;
    events.splice(i, 0, e);
  };
  let started = 0;
  let running = 0;
  let failed = 0;
  let throttles = 0;
  let makespan = 0;
  const startIteration = (at: number) => {
    if (started >= s.tasks) return;
    started++;
    push({ at, kind: 'invoke', retries: 0 });
  };
  for (let i = 0; i < Math.min(s.maxConcurrency, s.tasks); i++) startIteration(0);
  while (events.length) {
    const e = events.shift()!;
    if (e.kind === 'end') {
      running--;
      makespan = Math.max(makespan, e.at);
      startIteration(e.at);
      continue;
    }
    if (running < s.freeSlots) {
      running++;
      push({ at: e.at + s.taskSeconds, kind: 'end', retries: 0 });
      continue;
    }
    throttles++;
    if (e.retries >= s.retrier.MaxAttempts) {
      failed++;
      // A failed iteration fails the Map: in the model, its place goes to the next item, to count them all.
      startIteration(e.at);
      continue;
    }
    push({ at: e.at + retryDelaySeconds(s.retrier, e.retries + 1, rand), kind: 'invoke', retries: e.retries + 1 });
  }
  return { failed, makespan, throttles };
}

interface AslState {
  Type?: string;
  Retry?: Array<RetrierPolicy & { ErrorEquals: string[] }>;
  States?: Record<string, AslState>;
  Branches?: Array<{ States: Record<string, AslState> }>;
  ItemProcessor?: { States: Record<string, AslState> };
}

/** The first retrier of the encode task that catches TooManyRequestsException, as the definition has it. */
export function encodeThrottleRetrier(definition: { States: Record<string, AslState> }): RetrierPolicy | undefined {
  const visit = (states: Record<string, AslState>): RetrierPolicy | undefined => {
    for (const [name, s] of Object.entries(states)) {
      if (name === 'EncodeSegment' && s.Retry) return s.Retry.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'));
      for (const inner of [s.States, ...(s.Branches ?? []).map((b) => b.States), s.ItemProcessor?.States]) {
        const found = inner && visit(inner);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(definition.States);
}

/** The issue 11 scenario (160 segments of 30 s, MaxConcurrency 40) against the definition's own retrier. */
export function throttleReport(definition: { States: Record<string, AslState> }, log: (s: string) => void): void {
  const retrier = encodeThrottleRetrier(definition);
  if (!retrier) {
    log('the encode task has no retrier for Lambda.TooManyRequestsException');
    return;
  }
  log(`retrier: ${JSON.stringify(retrier)}`);
  log('| free slots | runs that fail (of 5) | iterations out of retries, per run | makespan s, per run |');
  log('|---|---|---|---|');
  for (const freeSlots of [10, 20, 30, 39, 40]) {
    const runs = [1, 2, 3, 4, 5].map((seed) =>
      simulateThrottledMap({ tasks: 160, taskSeconds: 30, maxConcurrency: 40, freeSlots, retrier, seed }),
    );
    log(
      `| ${freeSlots} | ${runs.filter((r) => r.failed > 0).length} | ${runs.map((r) => r.failed).join(', ')} | ${runs.map((r) => Math.round(r.makespan)).join(', ')} |`,
    );
  }
}
