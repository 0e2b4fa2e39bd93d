/**
 * The event history: every event of the job's log, newest first (so what just happened is in view), with its
 * offset from the first event. Worker ids in messages ("on host:pid/start") read in plain words.
 */
import { h } from './dom.js';
import { workerLabel } from './format.js';
import type { JobEvent } from './types.js';

function kindOf(type: string): string {
  if (type.endsWith('.failed')) return 'ev-failed';
  if (type.endsWith('.done')) return 'ev-done';
  if (type.endsWith('.cancelled')) return 'ev-cancelled';
  return '';
}

/** "segment 3: attempt 1 on vm:20843/105760" -> "segment 3: attempt 1 on this machine (pid 20843)". */
export function plainMessage(message: string, serverHost?: string): string {
  return message.replace(/ on (\S+:\S+)$/, (_all, id: string) => ` on ${workerLabel(id, serverHost)}`);
}

export function eventList(events: JobEvent[], serverHost?: string): HTMLElement {
  if (events.length === 0) return h('p', { class: 'muted' }, 'No events yet.');
  const t0 = Math.min(...events.map((e) => e.at));
  const newestFirst = [...events].sort((a, b) => b.seq - a.seq);
  return h(
    'ol',
    { class: 'events', reversed: true, 'aria-label': 'events, newest first' },
    ...newestFirst.map((e) =>
      h(
        'li',
        { class: kindOf(e.type), 'data-type': e.type, 'data-seq': e.seq },
        h(
          'time',
          { datetime: new Date(e.at).toISOString(), title: new Date(e.at).toLocaleString() },
          `+${((e.at - t0) / 1000).toFixed(2)} s`,
        ),
        h('code', { class: 'ev-type' }, e.type),
        h('span', { class: 'ev-msg', title: e.message }, plainMessage(e.message, serverHost)),
      ),
    ),
  );
}
