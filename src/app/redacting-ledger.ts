/**
 * A ledger that never writes a presigned URL's credentials (core/redact.ts): every string handed to it is
 * redacted first. The AWS home presigns its reads (ffmpeg's inputs), and the commands, stderr tails, errors
 * and events it records name those URLs; without this a task record kept the role's session token in DynamoDB
 * for the records' life (48 h).
 */
import { redactDeep } from '../core/redact.js';
import type { Ledger } from '../ports/ledger.js';

export function redactingLedger(inner: Ledger): Ledger {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) =>
        (v as (...a: unknown[]) => unknown).apply(
          target,
          args.map((a) => redactDeep(a)),
        );
    },
  });
}
