/** The event history: every event of the job's log, oldest first, with its offset from the first event. */
import { h } from './dom.js';
import type { JobEvent } from './types.js';

function kindOf(type: string): string {
  if (type.endsWith('.failed')) return 'ev-failed';
  if (type.endsWith('.done')) return 'ev-done';
  if (type.endsWith('.cancelled')) return 'ev-cancelled';
  return '';
}

export function eventList(events: JobEvent[]): HTMLElement {
  if (events.length === 0) return h('p', { class: 'muted' }, 'No events yet.');
  const t0 = events[0]!.at;
  return h(
    'ol',
    { class: 'events' },
    ...events.map((e) =>
      h(
        'li',
        { class: kindOf(e.type), 'data-type': e.type },
        h(
          'time',
          { datetime: new Date(e.at).toISOString(), title: new Date(e.at).toLocaleString() },
          `+${((e.at - t0) / 1000).toFixed(2)} s`,
        ),
        h('code', { class: 'ev-type' }, e.type),
        h('span', { class: 'ev-msg' }, e.message),
      ),
    ),
  );
}
