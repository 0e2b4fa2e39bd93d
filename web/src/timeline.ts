/**
 * The timeline: every attempt of every task as a bar, on one lane per concurrent slot of each worker, over
 * the job's wall time. Built from the event log (task.started / task.done / task.failed), so failed attempts
 * and retries appear too. Failed attempts, retries and stragglers (much slower per frame than the median)
 * are marked in words as well as color.
 */
import { h } from './dom.js';
import { workerLabel } from './format.js';
import type { JobDetail, JobEvent } from './types.js';

interface Bar {
  key: string;
  label: string;
  worker: string;
  attempt: number;
  start: number;
  end?: number;
  outcome: 'running' | 'done' | 'failed' | 'stopped';
  frames: number;
  slow?: boolean;
}

export function buildBars(job: JobDetail, events: JobEvent[]): Bar[] {
  const frames = new Map(job.segments.map((t) => [t.key, t.frameCount]));
  const open = new Map<string, Bar>();
  const bars: Bar[] = [];
  for (const e of events) {
    const key = typeof e.data?.key === 'string' ? e.data.key : undefined;
    if (!key) continue;
    if (e.type === 'task.started') {
      const id = /\son (\S+)$/.exec(e.message)?.[1] ?? 'worker';
      // Every Lambda invocation has its own id: they share one group, a lane per concurrent function.
      const worker = id.startsWith('lambda:') ? 'lambda' : id;
      const short = key.split('/')[1] ?? key;
      const bar: Bar = {
        key,
        label: short.startsWith('a') ? 'audio' : String(Number(short.slice(1))),
        worker,
        attempt: Number(e.data?.attempt ?? 1),
        start: e.at,
        outcome: 'running',
        frames: frames.get(key) ?? 0,
      };
      const prev = open.get(key);
      if (prev) Object.assign(prev, { end: e.at, outcome: 'stopped' });
      open.set(key, bar);
      bars.push(bar);
    } else if (e.type === 'task.done' || e.type === 'task.failed' || e.type === 'task.reclaimed') {
      const bar = open.get(key);
      if (!bar) continue;
      Object.assign(bar, { end: e.at, outcome: e.type === 'task.done' ? 'done' : e.type === 'task.failed' ? 'failed' : 'stopped' });
      open.delete(key);
    } else if (e.type === 'job.cancelled' || e.type === 'job.failed') {
      for (const bar of open.values()) Object.assign(bar, { end: e.at, outcome: 'stopped' });
      open.clear();
    }
  }
  // Bars still open belong to a task that is no longer running: the run ended without an event for them.
  const running = new Set(job.segments.filter((t) => t.status === 'running').map((t) => t.key));
  for (const [key, bar] of open) if (!running.has(key)) Object.assign(bar, { outcome: 'stopped', end: bar.start });
  const perFrame = bars
    .filter((b) => b.outcome === 'done' && b.end && b.frames > 0 && !b.label.startsWith('a'))
    .map((b) => (b.end! - b.start) / b.frames)
    .sort((a, b) => a - b);
  const median = perFrame[Math.floor(perFrame.length / 2)];
  if (median !== undefined && perFrame.length >= 3) {
    for (const b of bars)
      if (b.outcome === 'done' && b.end && b.frames && (b.end - b.start) / b.frames > 1.6 * median && b.end - b.start > 300) b.slow = true;
  }
  return bars;
}

/**
 * A lane in plain words: "worker 2 (pid 20843)" on this machine, "worker 1 (node-b, pid 311)" on another,
 * "Lambda 3" for the third concurrent function.
 */
export function laneLabel(worker: string, lane: number, serverHost?: string): string {
  if (worker === 'lambda') return `Lambda ${lane + 1}`;
  const where = workerLabel(worker, serverHost);
  const m = /^(?:this machine \((pid \d+)\)|(.*) \((pid \d+)\))$/.exec(where);
  const inner = m ? (m[1] ?? `${m[2]}, ${m[3]}`) : where;
  return `worker ${lane + 1} (${inner})`;
}

/** Lanes: per worker, the first lane free at the bar's start. */
function lanes(bars: Bar[], now: number): Map<string, Bar[][]> {
  const byWorker = new Map<string, Bar[][]>();
  for (const b of [...bars].sort((x, y) => x.start - y.start)) {
    const ls = byWorker.get(b.worker) ?? [];
    let lane = ls.find((l) => (l[l.length - 1]!.end ?? now) <= b.start);
    if (!lane) ls.push((lane = []));
    lane.push(b);
    byWorker.set(b.worker, ls);
  }
  return byWorker;
}

export function timeline(job: JobDetail, events: JobEvent[], now: number): HTMLElement {
  const bars = buildBars(job, events);
  if (bars.length === 0)
    return h(
      'p',
      { class: 'muted' },
      job.status === 'failed' && !job.planned ? 'No task ran: the job failed in analysis.' : 'No task has started yet.',
    );
  const t0 = Math.min(...bars.map((b) => b.start));
  const t1 = Math.max(...bars.map((b) => b.end ?? now), t0 + 1);
  const span = t1 - t0;
  const rows: HTMLElement[] = [];
  for (const [worker, ls] of lanes(bars, now)) {
    ls.forEach((lane, i) => {
      const track = h('div', { class: 'tl-track' });
      for (const b of lane) {
        const left = ((b.start - t0) / span) * 100;
        const width = Math.max(0.8, (((b.end ?? now) - b.start) / span) * 100);
        const marks = [b.outcome === 'failed' ? '✗ failed' : null, b.attempt > 1 ? `retry ${b.attempt}` : null, b.slow ? 'slow' : null]
          .filter(Boolean)
          .join(', ');
        const dur = (((b.end ?? now) - b.start) / 1000).toFixed(2);
        track.append(
          h(
            'div',
            {
              class: `tl-bar out-${b.outcome}${b.attempt > 1 ? ' retry' : ''}${b.slow ? ' slow' : ''}`,
              style: `left:${left}%;width:${width}%`,
              title: `${b.label === 'audio' ? 'audio' : `segment ${b.label}`} attempt ${b.attempt}: ${b.outcome}, ${dur} s${marks ? ` (${marks})` : ''}`,
              'data-key': b.key,
            },
            h(
              'span',
              {},
              `${b.label}${b.outcome === 'failed' ? ' ✗' : ''}${b.attempt > 1 ? ` ↻${b.attempt}` : ''}${b.slow ? ' ⚠slow' : ''}`,
            ),
          ),
        );
      }
      rows.push(
        h(
          'div',
          { class: 'tl-row' },
          h(
            'div',
            { class: 'tl-label', title: `${laneLabel(worker, i, job.serverHost)} (${worker})` },
            laneLabel(worker, i, job.serverHost),
          ),
          track,
        ),
      );
    });
  }
  return h(
    'div',
    { class: 'timeline' },
    ...rows,
    h('div', { class: 'tl-axis' }, h('span', {}, '0 s'), h('span', {}, `${(span / 1000).toFixed(1)} s`)),
    h(
      'p',
      { class: 'legend small' },
      '✗ failed attempt · ↻n retry (attempt n) · ⚠slow straggler (over 1.6× the median time per frame) · one row per concurrent encode (worker) of each process',
    ),
  );
}
