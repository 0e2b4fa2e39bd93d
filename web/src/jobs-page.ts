/**
 * The jobs list (refreshed every 2 s; jobs started from the CLI show up too; a targeted job's target and segments
 * in band under its profile) and the upload form.
 */
import { api } from './api.js';
import { fill, h } from './dom.js';
import { bytes, clock, dateTime, eta, fps, outputKind, seconds, speed } from './format.js';
import { jobBadge } from './status.js';
import { listTargetText } from './target-field.js';
import type { JobListItem, WorkerInfo } from './types.js';
import { pipelinesCard } from './pipelines.js';
import { uploadForm } from './upload-form.js';

function profileText(j: JobListItem): string {
  const p = j.profile;
  // A targeted job has no one CRF: each segment searched its own (the target is the line under it).
  return [p.videoCodec, j.target ? null : `crf ${p.crf}`, p.preset, p.height ? `${p.height}p` : null, outputKind(p)]
    .filter(Boolean)
    .join(' · ');
}

/** Segments done of all; while it encodes, the bar follows the frames and the time left is named. */
function progressCell(j: JobListItem): HTMLElement {
  const p = j.progress && j.progress.totalFrames > 0 ? j.progress : undefined;
  const frac = p ? p.frames / p.totalFrames : j.segmentsTotal ? j.segmentsDone / j.segmentsTotal : j.status === 'done' ? 1 : 0;
  const live = p ? ` · ${Math.floor(frac * 100)}%${p.etaSeconds !== undefined ? `, ${eta(p.etaSeconds)} left` : ''}` : '';
  return h(
    'div',
    { class: 'progress-cell', title: p ? `${p.frames}/${p.totalFrames} frames${p.fps ? `, ${fps(p.fps)}` : ''}` : undefined },
    h('progress', { max: 1, value: frac, 'aria-label': `${j.segmentsDone} of ${j.segmentsTotal} segments` }),
    h('span', { 'data-role': 'list-progress' }, `${j.segmentsDone}/${j.segmentsTotal || '?'}${live}`),
  );
}

function row(j: JobListItem): HTMLElement {
  const link = h('a', { href: `/jobs/${j.id}`, 'data-link': true, class: 'job-link' }, j.sourceName);
  return h(
    'tr',
    { 'data-job': j.id },
    h(
      'td',
      { 'data-label': 'Source' },
      link,
      h('div', { class: 'muted mono' }, j.id),
      j.error ? h('div', { class: 'error small' }, j.error) : null,
    ),
    h(
      'td',
      { 'data-label': 'Profile' },
      profileText(j),
      j.target
        ? h('div', { class: 'muted small', 'data-role': 'list-target', title: `target ${j.target.label}` }, listTargetText(j.target))
        : null,
    ),
    h('td', { 'data-label': 'Status' }, jobBadge(j.status)),
    h('td', { 'data-label': 'Progress' }, progressCell(j)),
    h('td', { 'data-label': 'Duration' }, seconds(j.duration)),
    h('td', { 'data-label': 'Wall time' }, clock(j.wallMs)),
    h('td', { 'data-label': 'Speed-up' }, h('span', { title: 'source duration / wall time' }, speed(j.speed))),
    h('td', { 'data-label': 'Output' }, bytes(j.sizeBytes)),
    h('td', { 'data-label': 'Created' }, dateTime(j.createdAt)),
  );
}

/** One cluster worker: where it runs, what it encodes now, when it was last heard from. */
function workerRow(w: WorkerInfo, now: number): HTMLElement {
  const age = Math.max(0, Math.round((now - w.heartbeatAt) / 1000));
  return h(
    'tr',
    { 'data-worker': w.id },
    h('td', { 'data-label': 'Host' }, w.host),
    h('td', { 'data-label': 'PID', class: 'mono' }, String(w.pid)),
    h('td', { 'data-label': 'Task', class: 'mono' }, w.tasks.length ? w.tasks.join(', ') : h('span', { class: 'muted' }, 'idle')),
    h('td', { 'data-label': 'Slots' }, `${w.tasks.length}/${w.concurrency}`),
    h('td', { 'data-label': 'Heartbeat' }, `${age} s ago${w.draining ? ' (draining)' : ''}`),
    h('td', { 'data-label': 'ffmpeg', class: 'muted' }, w.ffmpeg),
  );
}

export function renderJobsPage(root: HTMLElement): () => void {
  const tbody = h('tbody');
  const note = h('p', { class: 'muted' }, 'Loading…');
  const table = h(
    'table',
    { class: 'jobs-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Source', 'Profile', 'Status', 'Progress', 'Duration', 'Wall time', 'Speed-up', 'Output', 'Created'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    tbody,
  );
  const workersBody = h('tbody');
  const workersNote = h('p', { class: 'muted' });
  const workersCard = h(
    'section',
    { class: 'card workers', hidden: true },
    h('h1', {}, 'Workers'),
    workersNote,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'workers-table' },
        h('thead', {}, h('tr', {}, ...['Host', 'PID', 'Task', 'Slots', 'Heartbeat', 'ffmpeg'].map((t) => h('th', { scope: 'col' }, t)))),
        workersBody,
      ),
    ),
  );
  const pipelines = pipelinesCard();
  root.append(
    h('section', { class: 'card' }, h('h1', {}, 'New job'), uploadForm()),
    workersCard,
    h('section', { class: 'card' }, h('h1', {}, 'Jobs'), note, h('div', { class: 'table-wrap' }, table)),
    pipelines.card,
  );
  let stopped = false;
  const refresh = async () => {
    try {
      const jobs = await api.listJobs();
      if (stopped) return;
      fill(tbody, ...jobs.map(row));
      note.textContent = jobs.length ? '' : 'No jobs yet: upload a video above, or run `shardcast transcode` with the same state dir.';
      note.classList.remove('error');
      // The cluster's workers (the card stays hidden on homes without workers of their own).
      const w = await api.workers();
      if (stopped) return;
      workersCard.hidden = w.backend !== 'cluster';
      fill(workersBody, ...w.workers.map((x) => workerRow(x, Date.now())));
      workersNote.textContent = w.workers.length
        ? ''
        : 'No worker has reported in the last 30 s: start `shardcast worker --redis … --store …` on each node.';
      await pipelines.refresh();
    } catch (err) {
      note.textContent = `Cannot load jobs: ${(err as Error).message}`;
      note.classList.add('error');
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), 2000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
