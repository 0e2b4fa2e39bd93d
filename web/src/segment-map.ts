/**
 * The segment map: one cell per video segment (plus the audio track), colored by state and labelled with
 * the state's icon and word (for screen readers and for readers who do not tell colors apart). Running
 * cells fill with their live frame progress; retried cells show their attempt count. With a quality
 * report, each cut gets a mark on the left edge of the segment after it (its PSNR either side, and how far
 * below the frames around it), the worst seam marked apart, and a line under the map names it. A targeted job's
 * cells carry their score, coloured by where it lands against the band, with a second legend (quality-target.ts).
 */
import { h } from './dom.js';
import { eta, fps } from './format.js';
import { cellScore, scoreLegend, segmentScoreText } from './quality-target.js';
import { taskIcon } from './status.js';
import type { JobDetail, QualityReport, SeamQuality, TaskView } from './types.js';

export type SelectTask = (kind: TaskView['kind'], index: number) => void;

function seamText(s: SeamQuality): string {
  return `cut at ${s.time.toFixed(3)} s (frame ${s.frame}): ${s.psnrBefore.toFixed(2)} | ${s.psnrAfter.toFixed(2)} dB either side, ${s.dipDb.toFixed(2)} dB below the ${s.psnrAround.toFixed(2)} dB around it`;
}

function seamMark(s: SeamQuality, worst: boolean): HTMLElement {
  return h(
    'span',
    {
      class: `seam${worst ? ' worst' : ''}`,
      'data-seam': s.index,
      'data-dip': s.dipDb.toFixed(2),
      title: `${worst ? 'worst seam: ' : 'seam: '}${seamText(s)}`,
    },
    `${s.dipDb.toFixed(1)} dB`,
  );
}

function qualityLine(q: QualityReport): HTMLElement {
  const w = q.seams.find((s) => s.index === q.worstSeam);
  return h(
    'p',
    { class: 'quality-line', 'data-role': 'quality' },
    `PSNR ${q.psnrMean.toFixed(2)} dB, SSIM ${q.ssimMean.toFixed(4)} against the source · `,
    w ? `worst seam before segment ${w.index}: ${seamText(w)}` : 'one segment, no seams',
  );
}

function cell(
  t: TaskView,
  live: Record<string, number>,
  selected: boolean,
  onSelect: SelectTask,
  seam?: { s: SeamQuality; worst: boolean },
): HTMLElement {
  const frames = t.progress?.frames ?? live[t.key];
  const pct =
    t.status === 'done'
      ? 100
      : t.status === 'running' && frames !== undefined
        ? Math.min(100, (frames / Math.max(1, t.frameCount)) * 100)
        : 0;
  const name = t.kind === 'audio' ? 'audio' : `segment ${t.index}`;
  const label = `${name}: ${t.status}${t.attempts > 1 ? `, ${t.attempts} attempts` : ''}`;
  const liveText =
    t.status === 'running' && frames !== undefined && t.kind === 'video'
      ? ` · ${frames}/${t.frameCount} frames${t.progress?.fps ? `, ${fps(t.progress.fps)}` : ''}${t.progress?.etaSeconds !== undefined && frames < t.frameCount ? `, ${eta(t.progress.etaSeconds)} left` : ''}`
      : '';
  return h(
    'button',
    {
      type: 'button',
      class: `cell st-${t.status}${selected ? ' selected' : ''}`,
      'data-kind': t.kind,
      'data-index': t.index,
      'data-status': t.status,
      title: `${label}${liveText} · ${t.startTime.toFixed(2)}–${t.endTime.toFixed(2)} s${t.quality ? ` · ${segmentScoreText(t.quality, t.status === 'running')}` : ''}${seam ? ` · ${seamText(seam.s)}` : ''}`,
      'data-frames': t.status === 'running' && frames !== undefined ? frames : undefined,
      'aria-label': label,
      'aria-pressed': selected ? 'true' : 'false',
      style: `--fill:${pct.toFixed(0)}%`,
      onclick: () => onSelect(t.kind, t.index),
    },
    h('span', { class: 'cell-index' }, t.kind === 'audio' ? '♪' : String(t.index)),
    h(
      'span',
      { class: 'cell-state' },
      h('span', { 'aria-hidden': 'true' }, taskIcon(t.status)),
      h('span', { class: 'cell-word' }, t.status),
    ),
    t.attempts > 1 ? h('span', { class: 'cell-attempts', title: `${t.attempts} attempts` }, `↻${t.attempts}`) : null,
    cellScore(t),
    seam ? seamMark(seam.s, seam.worst) : null,
  );
}

/** Why a job has no segments: still analyzing, failed in analysis, or stopped before it. */
function noSegments(job: JobDetail): string {
  if (job.status === 'failed') return 'No segments: the job failed in analysis, before its source was cut into segments.';
  if (job.status === 'cancelled') return 'No segments yet: the job was stopped before its source was analyzed (Resume analyzes it).';
  return 'No segments yet: the source is being analyzed.';
}

export function segmentMap(job: JobDetail, selected: string | undefined, onSelect: SelectTask): HTMLElement {
  const q = job.quality;
  const seamOf = (t: TaskView) => {
    const s = t.kind === 'video' ? q?.seams.find((x) => x.index === t.index) : undefined;
    return s ? { s, worst: s.index === q!.worstSeam } : undefined;
  };
  const cells = job.segments.map((t) => cell(t, job.live, selected === `${t.kind}:${t.index}`, onSelect, seamOf(t)));
  const counts = (['done', 'running', 'pending', 'failed'] as const).map((s) => {
    const n = job.segments.filter((t) => t.kind === 'video' && t.status === s).length;
    return h('li', { class: `legend-item st-${s}` }, h('span', { class: 'swatch', 'aria-hidden': 'true' }, taskIcon(s)), ` ${s} ${n}`);
  });
  return h(
    'div',
    { class: 'segment-map-wrap' },
    cells.length
      ? h('div', { class: 'segment-map', role: 'group', 'aria-label': 'segments' }, ...cells)
      : h('p', { class: job.status === 'failed' ? 'error' : 'muted', 'data-role': 'no-segments' }, noSegments(job)),
    cells.length ? h('ul', { class: 'legend' }, ...counts) : null,
    cells.length ? scoreLegend(job) : null,
    q ? qualityLine(q) : null,
  );
}
