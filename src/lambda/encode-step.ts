/** The encode step shared by encode-segment and encode-audio: one task, idempotent, retryable failures named so. */
import { encodeStep } from '../app/run-steps.js';
import { publishDonePrefix } from '../app/outputs/ladder/publish-early.js';
import type { TaskKind, TaskStatus } from '../core/types.js';
import { asWorkflowError, parseEncodeStepInput, type Step } from './lambda-entry.js';

/** Small on purpose (the workflow drops it anyway): the task's key and status. */
export interface EncodeStepOutput {
  key: string;
  status: TaskStatus;
  attempts: number;
}

export function makeEncodeStep(kind: TaskKind): Step<EncodeStepOutput> {
  return async (rt, event) => {
    const input = parseEncodeStepInput(event, `encode-${kind}`);
    if (input.kind !== kind) throw new Error(`encode-${kind} got a ${input.kind} task`);
    try {
      const task = await encodeStep(rt.deps, input, {
        staleMs: rt.staleTaskMs,
        ...(rt.encodeThreads !== undefined ? { threads: rt.encodeThreads } : {}),
        ...(rt.signal ? { signal: rt.signal } : {}),
      });
      // No coordinator on AWS: the Lambda that finished a task publishes the grown prefix (--publish-early).
      await publishDonePrefix(rt.deps, input.jobId);
      return { key: task.key, status: task.status, attempts: task.attempts };
    } catch (err) {
      throw asWorkflowError(err);
    }
  };
}
