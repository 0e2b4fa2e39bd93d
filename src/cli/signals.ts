/**
 * Ctrl-C, `docker stop`/systemd (SIGTERM) and a closed terminal (SIGHUP) all stop a run the same way: the
 * abort signal stops the ffmpeg children and leaves the job resumable. The exit code then says which signal
 * it was, as a shell reports a process killed by it (128 + its number: 130, 143, 129).
 */
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The stop signal that ended this process's last run, if any (an entry point's own state, read by main). */
let received: StopSignal | undefined;

export function stoppedBy(): StopSignal | undefined {
  return received;
}

/** 128 + the signal's number; 130 (SIGINT) when no signal was received. */
export function exitCodeFor(signal: StopSignal | undefined): number {
  return 128 + constants.signals[signal ?? 'SIGINT'];
}

/** Runs `fn` with an AbortSignal that any stop signal aborts; the handlers are removed when it settles. */
export async function withSignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const handlers = STOP_SIGNALS.map((s) => {
    const h = () => {
      received ??= s;
      ac.abort(new Error(`interrupted (${s})`));
    };
    process.once(s, h);
    return [s, h] as const;
  });
  try {
    return await fn(ac.signal);
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}

/** Calls `stop` once on the first stop signal (a server's shutdown); returns a function removing the handlers. */
export function onStopSignal(stop: (signal: StopSignal) => void): () => void {
  const off = () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
  const handler = (s: StopSignal) => {
    received ??= s;
    off();
    stop(s);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return off;
}
