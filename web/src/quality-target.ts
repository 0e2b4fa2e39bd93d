/**
 * A targeted job (`--target-quality`) on the job page: the target and how many segments reached it (under the
 * header), each segment's score on its cell in the map, coloured by where it lands against the band (with a
 * legend, and an icon and a word for readers who do not tell colours apart), and a segment's search in its
 * details: the kept CRF, the score, why it is outside the band, and its trials as a table.
 */
import { h } from './dom.js';
import { bytes, clock } from './format.js';
import type { BandPosition, JobDetail, QualityMetric, QualityReport, SegmentQuality, TaskView } from './types.js';

/** A score in its metric's digits: VMAF 93.41, SSIM 0.9812, PSNR 41.27. */
export function scoreText(metric: QualityMetric, score: number): string {
  return metric === 'ssim' ? score.toFixed(4) : score.toFixed(2);
}

export const POSITIONS: Record<BandPosition, { icon: string; word: string; hint: string }> = {
  in: { icon: '✓', word: 'in band', hint: 'the score the target asks for' },
  above: { icon: '▲', word: 'above the band', hint: 'better than asked: more bytes than the target needs' },
  below: { icon: '▼', word: 'below the band', hint: 'worse than asked' },
  floor: { icon: '⊥', word: 'under the floor', hint: 'in the band, but its worst frames fall under --min-quality' },
};

/**
 * "vmaf 93.41 at crf 24, in band", or with no encode kept "searching: 2 trials so far" (running) or "no encode
 * kept: 2 trials so far" (failed or waiting: a new attempt re-uses them); empty for a segment with no search.
 */
export function segmentScoreText(q: SegmentQuality | undefined, running = true): string {
  if (!q) return '';
  if (q.position === undefined || q.score === undefined)
    return `${running ? 'searching' : 'no encode kept'}: ${q.trials.length} ${q.trials.length === 1 ? 'trial' : 'trials'} so far`;
  const why = q.position !== 'in' && q.reason ? ` (${q.reason})` : '';
  return `${q.metric} ${scoreText(q.metric, q.score)} at crf ${q.crf}, ${POSITIONS[q.position].word}${why}`;
}

/** The score on a segment's cell, coloured by where it lands; a searching segment shows its trials so far. */
export function cellScore(t: TaskView): HTMLElement | null {
  const q = t.quality;
  if (!q) return null;
  if (q.position === undefined || q.score === undefined) {
    return q.trials.length
      ? h(
          'span',
          { class: 'cell-score q-searching', 'data-position': 'searching', title: segmentScoreText(q, t.status === 'running') },
          `${q.trials.length}×`,
        )
      : null;
  }
  const p = POSITIONS[q.position];
  return h(
    'span',
    { class: `cell-score q-${q.position}`, 'data-position': q.position, 'data-score': q.score, title: segmentScoreText(q) },
    h('span', { 'aria-hidden': 'true' }, p.icon),
    ` ${q.metric === 'ssim' ? q.score.toFixed(3) : q.score.toFixed(1)}`,
  );
}

/** The map's score legend: how many segments landed in, above and below the band, and how many still search. */
export function scoreLegend(job: JobDetail): HTMLElement | null {
  const t = job.target;
  if (!t) return null;
  const videos = job.segments.filter((s) => s.kind === 'video');
  const count = (p: BandPosition) => videos.filter((s) => s.quality?.position === p).length;
  const shown = (['in', 'above', 'below', 'floor'] as const).filter((p) => p !== 'floor' || count(p) > 0 || t.floor);
  return h(
    'ul',
    { class: 'legend score-legend', 'data-role': 'score-legend', 'aria-label': `scores against ${t.label}` },
    h('li', { class: 'legend-head' }, `${t.label}:`),
    ...shown.map((p) =>
      h(
        'li',
        { class: `legend-item q-${p}`, 'data-position': p, title: POSITIONS[p].hint },
        h('span', { class: 'swatch', 'aria-hidden': 'true' }, POSITIONS[p].icon),
        ` ${POSITIONS[p].word} ${count(p)}`,
      ),
    ),
    t.segments > t.scored ? h('li', { class: 'legend-item q-searching' }, `not scored yet ${t.segments - t.scored}`) : null,
  );
}

/** Under the header: "Target vmaf 93 ±1, crf 18–40: 3 of 4 segments in band · segment 2 below the band (why)". */
export function targetLine(j: JobDetail): HTMLElement | null {
  const t = j.target;
  if (!t) return null;
  const floor = t.floor ? `, floor ${t.floor.pool} ${t.floor.value}` : '';
  return h(
    'p',
    { class: 'target-line', 'data-role': 'target' },
    h('strong', {}, `Target ${t.label}`),
    `, crf ${t.minCrf}–${t.maxCrf}${floor}: ${t.inBand} of ${t.segments} ${t.segments === 1 ? 'segment' : 'segments'} in band`,
    t.segments > t.scored ? `, ${t.segments - t.scored} not scored yet` : '',
    ...t.outside.map((o) =>
      h(
        'span',
        { class: `q-${o.position}`, 'data-outside': o.index },
        ` · segment ${o.index} ${POSITIONS[o.position].word}: ${scoreText(t.metric, o.score)} at crf ${o.crf}${o.reason ? ` (${o.reason})` : ''}`,
      ),
    ),
  );
}

/**
 * A segment's search in its details: target, kept CRF and score, where it lands and why, the quality report's
 * means over its frames (when there is one), then its trials. Without
 * a search, an empty hidden placeholder: the job page fills it from each snapshot (a running search's trials so far).
 */
export function segmentQualitySection(t?: TaskView, report?: QualityReport): HTMLElement {
  const q = t?.quality;
  const measured = t && report?.segments?.find((x) => x.index === t.index);
  const sizeBytes = t?.status === 'done' ? t.sizeBytes : undefined;
  if (!t || !q) return h('div', { class: 'segment-quality', 'data-role': 'segment-quality', hidden: true });
  const floor = q.trials.some((x) => x.floorScore !== undefined);
  const head = ['Kind', 'CRF', q.metric.toUpperCase(), ...(floor ? ['Floor'] : []), 'Bytes', 'Frames', 'Time', 'CPU'];
  return h(
    'div',
    { class: 'segment-quality', 'data-role': 'segment-quality' },
    h('h3', {}, 'Quality target'),
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'Target'),
      h('dd', {}, `${q.metric} ${q.target} ±${q.band}`),
      h('dt', {}, 'Result'),
      h(
        'dd',
        { 'data-role': 'segment-score', class: q.position ? `q-${q.position}` : undefined },
        q.position ? `${POSITIONS[q.position].icon} ` : '',
        segmentScoreText(q, t.status === 'running'),
        sizeBytes !== undefined && q.position ? `, ${bytes(sizeBytes)}` : '',
      ),
      measured ? h('dt', {}, 'Quality report') : null,
      measured
        ? h(
            'dd',
            { 'data-role': 'segment-report' },
            `PSNR ${measured.psnrMean.toFixed(2)} dB, SSIM ${measured.ssimMean.toFixed(4)} over its frames`,
          )
        : null,
    ),
    q.trials.length
      ? h(
          'table',
          { class: 'trials', 'data-role': 'trials' },
          h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
          h(
            'tbody',
            {},
            ...q.trials.map((x) =>
              h(
                'tr',
                { 'data-kind': x.kind, 'data-crf': x.crf, class: x.kind === 'encode' && x.crf === q.crf ? 'kept' : undefined },
                h('td', {}, x.kind),
                h('td', {}, String(x.crf)),
                h('td', {}, scoreText(q.metric, x.score)),
                floor ? h('td', {}, x.floorScore !== undefined ? scoreText(q.metric, x.floorScore) : '–') : null,
                h('td', {}, bytes(x.bytes)),
                h('td', {}, String(x.frames)),
                h('td', {}, clock(x.ms)),
                h('td', {}, `${x.cpuSeconds.toFixed(1)} s`),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No trial has finished yet.'),
  );
}
