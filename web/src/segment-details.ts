/**
 * Details of one task (on click in the segment map): range, live progress while it runs, a targeted segment's
 * CRF search (quality-target.ts), ffmpeg command, attempts, logs, output. The live figures and the search
 * come from the job's snapshots (`liveText`, job-page.ts), the rest from the task record.
 */
import { api } from './api.js';
import { fill, h } from './dom.js';
import { bytes, clock, commandLine, eta, fps, time, workerLabel } from './format.js';
import { segmentQualitySection } from './quality-target.js';
import { taskIcon } from './status.js';
import type { TaskRecord, TaskView } from './types.js';

function dl(rows: Array<[string, Node | string | undefined]>): HTMLElement {
  const out = h('dl', { class: 'kv' });
  for (const [k, v] of rows) if (v !== undefined && v !== '') out.append(h('dt', {}, k), h('dd', {}, v));
  return out;
}

/** A running task's figures: "frames 120 of 250 (48%) · 41 fps · 4 s left". */
export function liveText(t: TaskView): string {
  if (t.status !== 'running') return '';
  const p = t.progress;
  if (!p) return 'started; no frame count yet';
  if (t.kind === 'audio') return `running${p.fps ? ` · ${fps(p.fps)}` : ''}`;
  const pct = Math.round((p.frames / Math.max(1, t.frameCount)) * 100);
  // Every frame is in the encoder; it still holds its look-ahead frames back (x264 slower: 50).
  if (p.frames >= t.frameCount) return `frames ${p.frames} of ${t.frameCount} (100%) · the encoder is finishing`;
  return [
    `frames ${p.frames} of ${t.frameCount} (${pct}%)`,
    p.fps ? fps(p.fps) : null,
    p.etaSeconds !== undefined ? `${eta(p.etaSeconds)} left` : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

export function renderSegmentDetails(panel: HTMLElement, t: TaskRecord, onClose: () => void, serverHost?: string): void {
  const title = t.kind === 'audio' ? 'Audio track' : `Segment ${t.index}`;
  const running = t.status === 'running';
  fill(
    panel,
    h(
      'div',
      { class: 'panel-head' },
      h('h2', {}, title, ' ', h('span', { class: `badge st-${t.status}` }, taskIcon(t.status), ` ${t.status}`)),
      h('button', { type: 'button', class: 'ghost', onclick: onClose, 'aria-label': 'close details' }, '✕'),
    ),
    dl([
      ['Key', h('code', {}, t.key)],
      [
        'Range',
        t.kind === 'audio'
          ? 'whole track'
          : `frames ${t.startFrame}–${t.startFrame + t.frameCount - 1} (${t.frameCount}), ${t.startTime.toFixed(3)}–${t.endTime.toFixed(3)} s`,
      ],
      ['Progress', running ? h('span', { class: 'live-figures', 'data-role': 'segment-live' }, liveText(t)) : undefined],
      ['Attempts', String(t.attempts)],
      ['Worker', t.worker ? h('span', { title: t.worker }, workerLabel(t.worker, serverHost)) : undefined],
      ['Started', t.startedAt ? time(t.startedAt) : undefined],
      ['Wall time', t.wallMs !== undefined ? clock(t.wallMs) : undefined],
      ['CPU time', t.cpuSeconds !== undefined ? `${t.cpuSeconds.toFixed(2)} s` : undefined],
      ['Exit code', t.exitCode !== undefined ? String(t.exitCode) : undefined],
      ['Output', h('code', {}, t.outputKey)],
      ['Size', t.sizeBytes !== undefined ? bytes(t.sizeBytes) : undefined],
      ['Checksum', t.checksum ? h('code', { class: 'wrap' }, `sha256 ${t.checksum}`) : undefined],
      ['Error', t.error ? h('span', { class: 'error' }, t.error) : undefined],
    ]),
    // A targeted segment's search: filled from the job's snapshots (their views say where a score lands).
    segmentQualitySection(),
    h('h3', {}, 'ffmpeg command'),
    t.args?.length
      ? h('pre', { class: 'cmd' }, commandLine('ffmpeg', t.args))
      : h('p', { class: 'muted' }, running ? 'Starting: the command shows here once the attempt has written it.' : 'Not run yet.'),
    h('h3', {}, 'Log (stderr tail)'),
    t.stderrTail?.trim()
      ? h('pre', { class: 'log' }, t.stderrTail)
      : h(
          'p',
          { class: 'muted' },
          running
            ? "Running: ffmpeg's log is kept when the attempt ends; the progress above is live."
            : t.status === 'pending'
              ? 'Not run yet.'
              : 'Empty.',
        ),
  );
}

/** Loads and shows a task's record; resolves to it (undefined when it could not be loaded). */
export async function loadSegmentDetails(
  panel: HTMLElement,
  jobId: string,
  kind: string,
  index: number,
  onClose: () => void,
  serverHost?: string,
): Promise<TaskRecord | undefined> {
  panel.hidden = false;
  try {
    const t = await api.segment(jobId, kind, index);
    renderSegmentDetails(panel, t, onClose, serverHost);
    return t;
  } catch (err) {
    fill(panel, h('p', { class: 'error' }, `Cannot load the segment: ${(err as Error).message}`));
    return undefined;
  }
}
