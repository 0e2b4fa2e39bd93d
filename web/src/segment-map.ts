/**
 * The segment map: one cell per video segment (plus the audio track), colored by state and labelled with
 * the state's icon and word (for screen readers and for readers who do not tell colors apart). Running
 * cells fill with their live frame progress; retried cells show their attempt count.
 */
import { h } from './dom.js';
import { taskIcon } from './status.js';
import type { JobDetail, TaskView } from './types.js';

export type SelectTask = (kind: TaskView['kind'], index: number) => void;

function cell(t: TaskView, live: Record<string, number>, selected: boolean, onSelect: SelectTask): HTMLElement {
  const frames = live[t.key];
  const pct = t.status === 'done' ? 100 : t.status === 'running' && frames !== undefined ? Math.min(100, (frames / Math.max(1, t.frameCount)) * 100) : 0;
  const name = t.kind === 'audio' ? 'audio' : `segment ${t.index}`;
  const label = `${name}: ${t.status}${t.attempts > 1 ? `, ${t.attempts} attempts` : ''}`;
  return h('button', {
    type: 'button',
    class: `cell st-${t.status}${selected ? ' selected' : ''}`,
    'data-kind': t.kind,
    'data-index': t.index,
    'data-status': t.status,
    title: `${label} · ${t.startTime.toFixed(2)}–${t.endTime.toFixed(2)} s`,
    'aria-label': label,
    'aria-pressed': selected ? 'true' : 'false',
    style: `--fill:${pct.toFixed(0)}%`,
    onclick: () => onSelect(t.kind, t.index),
  },
  h('span', { class: 'cell-index' }, t.kind === 'audio' ? '♪' : String(t.index)),
  h('span', { class: 'cell-state' }, h('span', { 'aria-hidden': 'true' }, taskIcon(t.status)), h('span', { class: 'cell-word' }, t.status)),
  t.attempts > 1 ? h('span', { class: 'cell-attempts', title: `${t.attempts} attempts` }, `↻${t.attempts}`) : null);
}

export function segmentMap(job: JobDetail, selected: string | undefined, onSelect: SelectTask): HTMLElement {
  const cells = job.segments.map((t) => cell(t, job.live, selected === `${t.kind}:${t.index}`, onSelect));
  const counts = (['done', 'running', 'pending', 'failed'] as const).map((s) => {
    const n = job.segments.filter((t) => t.kind === 'video' && t.status === s).length;
    return h('li', { class: `legend-item st-${s}` }, h('span', { class: 'swatch', 'aria-hidden': 'true' }, taskIcon(s)), ` ${s} ${n}`);
  });
  return h('div', { class: 'segment-map-wrap' },
    cells.length ? h('div', { class: 'segment-map', role: 'group', 'aria-label': 'segments' }, ...cells)
      : h('p', { class: 'muted' }, 'No segments yet: the source is being analyzed.'),
    h('ul', { class: 'legend' }, ...counts));
}
