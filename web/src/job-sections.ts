/** Sections of the job page built from one job view: the totals, a ladder's renditions, the progress line and why an action is off. */
import { h } from './dom.js';
import { bytes, clock, eta, fps, seconds, speed, usd } from './format.js';
import { ACTIVE_STATUSES } from './status.js';
import type { JobDetail } from './types.js';

export function totals(job: JobDetail, now: number): HTMLElement {
  const wall = job.timings.totalMs ?? (job.startedAt && ACTIVE_STATUSES.includes(job.status) ? now - job.startedAt : undefined);
  const s = job.sourceInfo;
  const items: Array<[string, string]> = [
    ['Wall time', clock(wall)],
    ['CPU time', `${job.cpuSeconds.toFixed(1)} s`],
    [job.profile.ladder ? 'Output size (whole ladder)' : 'Output size', bytes(job.outputSizeBytes ?? job.sizeBytes)],
    ['Speed-up vs real time', job.status === 'done' ? speed(job.speed) : ACTIVE_STATUSES.includes(job.status) ? 'when done' : '–'],
    ['Source', s ? `${seconds(s.duration)}, ${s.width}×${s.height} ${s.codec}, ${s.frames} frames` : '–'],
    [
      'Cost estimate',
      job.costEstimate
        ? `${usd(job.costEstimate.usd)} on AWS (${job.costEstimate.region}, prices of ${job.costEstimate.pricesAsOf})${job.costEstimate.search ? `; the CRF searches ${usd(job.costEstimate.search.usd)} of it` : ''}`
        : ACTIVE_STATUSES.includes(job.status)
          ? 'when done'
          : '–',
    ],
    [
      'Phases',
      `analyze ${clock(job.timings.analyzeMs)} · encode ${clock(job.timings.encodeMs)} · merge ${clock(job.timings.mergeMs)} · verify ${clock(job.timings.verifyMs)}${job.timings.qualityMs !== undefined ? ` · quality ${clock(job.timings.qualityMs)}` : ''}`,
    ],
    [
      'Quality',
      job.quality
        ? `PSNR ${job.quality.psnrMean.toFixed(2)} dB (lowest ${job.quality.psnrMin.toFixed(2)}), SSIM ${job.quality.ssimMean.toFixed(4)}`
        : 'not measured',
    ],
  ];
  const notes: Record<string, string | undefined> = {
    'Cost estimate': job.costEstimate?.basis,
    'Output size (whole ladder)': 'playlists, manifests, init and media segments of every rendition',
  };
  return h('dl', { class: 'totals' }, ...items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-total': k, title: notes[k] }, v)]));
}

/** The renditions of a ladder: size, codec, segments, bytes, measured average and peak bitrate. */
export function renditionTable(j: JobDetail): HTMLElement {
  const kbps = (b: number) => `${Math.round(b / 1000)} kb/s`;
  return h(
    'table',
    { class: 'renditions' },
    h(
      'thead',
      {},
      h('tr', {}, ...['Rendition', 'Picture / track', 'Codecs', 'Segments', 'Bytes', 'Average', 'Peak'].map((c) => h('th', {}, c))),
    ),
    h(
      'tbody',
      {},
      ...(j.renditions ?? []).map((r) =>
        h(
          'tr',
          { 'data-rendition': r.name },
          h('td', { class: 'mono' }, r.name),
          h(
            'td',
            {},
            r.kind === 'video'
              ? `${r.width}×${r.height}`
              : r.kind === 'audio'
                ? `audio${r.channels ? ` ${r.channels} ch` : ''}${r.language ? ` (${r.language})` : ''}`
                : `subtitles${r.language ? ` (${r.language})` : ''}`,
          ),
          h('td', { class: 'mono' }, r.codecs ?? 'webvtt'),
          h('td', {}, String(r.segments)),
          h('td', {}, bytes(r.bytes)),
          h('td', {}, r.kind === 'subtitles' ? '–' : kbps(r.averageBitrate)),
          h('td', {}, r.kind === 'subtitles' ? '–' : kbps(r.peakBitrate)),
        ),
      ),
    ),
  );
}

/** Whether the job failed before its source was cut into segments (nothing to resume or retry). */
export const failedInAnalysis = (j: JobDetail) => j.status === 'failed' && !j.planned;

/** "1234/2500 frames · 2/5 segments done · 41 fps · 30 s left" (frames while encoding, else segments). */
export function progressLine(j: JobDetail): { frac: number; parts: HTMLElement[] } {
  const p = j.progress;
  const segs = `${j.segmentsDone}/${j.segmentsTotal} segments done${j.segmentsFailed ? `, ${j.segmentsFailed} failed` : ''}`;
  const parts: HTMLElement[] = [];
  if (p && p.totalFrames > 0) parts.push(h('span', { 'data-role': 'frames' }, `${p.frames}/${p.totalFrames} frames`));
  parts.push(h('span', { 'data-role': 'segments' }, segs));
  if (j.status === 'encoding' && p?.fps !== undefined) parts.push(h('span', { 'data-role': 'fps' }, fps(p.fps)));
  if (j.status === 'encoding' && p?.etaSeconds !== undefined)
    parts.push(
      h(
        'span',
        { 'data-role': 'eta', title: 'encoding time left at the measured rate; merge and verify follow' },
        `${eta(p.etaSeconds)} left`,
      ),
    );
  const frac = p && p.totalFrames > 0 ? p.frames / p.totalFrames : j.segmentsTotal ? j.segmentsDone / j.segmentsTotal : 0;
  return { frac: j.status === 'done' ? 1 : frac, parts };
}

/** Why Retry or Resume cannot be used now (undefined: it can). */
export function actionBlock(j: JobDetail, action: 'retry' | 'resume'): string | undefined {
  if (j.running || j.runningElsewhere) return 'the job is running';
  if (j.status === 'done') return 'the job is done';
  if (j.sourceRefused) return 'the job failed on its source: fix the input and start a new job';
  if (action === 'retry') {
    if (j.status !== 'failed' && j.status !== 'cancelled') return `the job is ${j.status}`;
    if (!j.segments.some((s) => s.status === 'failed')) return 'no segment failed; Resume runs what is not done';
  }
  return undefined;
}
