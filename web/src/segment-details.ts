/** Details of one task (on click in the segment map): range, ffmpeg command, attempts, logs, output. */
import { api } from './api.js';
import { fill, h } from './dom.js';
import { bytes, clock, commandLine, time } from './format.js';
import { taskIcon } from './status.js';
import type { TaskRecord } from './types.js';

function dl(rows: Array<[string, Node | string | undefined]>): HTMLElement {
  const out = h('dl', { class: 'kv' });
  for (const [k, v] of rows) if (v !== undefined && v !== '') out.append(h('dt', {}, k), h('dd', {}, v));
  return out;
}

export function renderSegmentDetails(panel: HTMLElement, t: TaskRecord, onClose: () => void): void {
  const title = t.kind === 'audio' ? 'Audio track' : `Segment ${t.index}`;
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
      ['Attempts', String(t.attempts)],
      ['Worker', t.worker],
      ['Started', t.startedAt ? time(t.startedAt) : undefined],
      ['Wall time', t.wallMs !== undefined ? clock(t.wallMs) : undefined],
      ['CPU time', t.cpuSeconds !== undefined ? `${t.cpuSeconds.toFixed(2)} s` : undefined],
      ['Exit code', t.exitCode !== undefined ? String(t.exitCode) : undefined],
      ['Output', h('code', {}, t.outputKey)],
      ['Size', t.sizeBytes !== undefined ? bytes(t.sizeBytes) : undefined],
      ['Checksum', t.checksum ? h('code', { class: 'wrap' }, `sha256 ${t.checksum}`) : undefined],
      ['Error', t.error ? h('span', { class: 'error' }, t.error) : undefined],
    ]),
    h('h3', {}, 'ffmpeg command'),
    t.args?.length ? h('pre', { class: 'cmd' }, commandLine('ffmpeg', t.args)) : h('p', { class: 'muted' }, 'Not run yet.'),
    h('h3', {}, 'Log (stderr tail)'),
    t.stderrTail?.trim() ? h('pre', { class: 'log' }, t.stderrTail) : h('p', { class: 'muted' }, 'Empty.'),
  );
}

export async function loadSegmentDetails(
  panel: HTMLElement,
  jobId: string,
  kind: string,
  index: number,
  onClose: () => void,
): Promise<void> {
  panel.hidden = false;
  try {
    renderSegmentDetails(panel, await api.segment(jobId, kind, index), onClose);
  } catch (err) {
    fill(panel, h('p', { class: 'error' }, `Cannot load the segment: ${(err as Error).message}`));
  }
}
