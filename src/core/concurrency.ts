/**
 * How many segments one workflow execution encodes at once (its Map's concurrency), from what the job asks and
 * what the account can give. Pure: the account's figures are read by the AWS runtime (lambda:GetAccountSettings,
 * lambda:GetFunctionConcurrency) when a job's analysis starts.
 *
 * A Map running more iterations than the account has free slots gets TooManyRequestsException for the rest: in
 * the project's throttle model, 160 segments of 300 s at MaxConcurrency 40 with 10 free slots failed 5 of 5 runs,
 * and a fan-out that takes every unreserved slot starves the account's other functions. New accounts have 10.
 */
import { plural } from './words.js';

/** The most parallel encodes a job is given by default (where the home offers more, or knows no limit). */
export const MAX_DEFAULT_WORKERS = 256;

/** What the account gives the encode function, as read; a figure left out was not readable. */
export interface LambdaCapacity {
  /** The account's unreserved concurrent executions (GetAccountSettings: AccountLimit.UnreservedConcurrentExecutions). */
  unreserved?: number;
  /** The encode function's reserved concurrency (GetFunctionConcurrency), where some is reserved. */
  reservedForEncode?: number;
}

/** The share of the account's unreserved concurrency left to its other functions (at least one slot). */
export const OTHER_FUNCTIONS_SHARE = 0.1;

/** Slots an execution keeps beside its segments: the audio task's encode runs at the same time. */
const AUDIO_SLOT = 1;

export interface ExecutionConcurrency {
  concurrency: number;
  /** One line for the job's events: what it got and why. */
  note: string;
}

export function executionConcurrency(asked: number, capacity: LambdaCapacity | undefined): ExecutionConcurrency {
  const want = Math.max(1, Math.floor(asked));
  if (capacity?.reservedForEncode !== undefined && capacity.reservedForEncode > 0) {
    const concurrency = Math.max(1, Math.min(want, capacity.reservedForEncode));
    return {
      concurrency,
      note: `${plural(concurrency, 'segment')} at once (${want} asked): the encode function has ${capacity.reservedForEncode} reserved concurrent executions`,
    };
  }
  if (capacity?.unreserved !== undefined) {
    const left = Math.max(1, Math.ceil(capacity.unreserved * OTHER_FUNCTIONS_SHARE));
    const free = Math.max(1, capacity.unreserved - left - AUDIO_SLOT);
    const concurrency = Math.min(want, free);
    return {
      concurrency,
      note:
        concurrency < want
          ? `${plural(concurrency, 'segment')} at once, not the ${want} asked: the account has ${capacity.unreserved} unreserved concurrent executions, and ${left} ${left === 1 ? 'is' : 'are'} left to its other functions and 1 to the audio (ask AWS for a higher quota, or deploy with --reserved-concurrency)`
          : `${plural(concurrency, 'segment')} at once: the account has ${capacity.unreserved} unreserved concurrent executions`,
    };
  }
  return { concurrency: want, note: `${plural(want, 'segment')} at once: the account's concurrency could not be read` };
}
