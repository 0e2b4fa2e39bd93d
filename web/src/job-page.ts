/**
 * The job page, live: a header with state and actions, totals, the segment map, segment details on click,
 * the timeline over workers, the player for the finished output and the event history. Updated from the
 * event stream (`job-event` appends to the history, `snapshot` replaces the job).
 *
 * Over 300 lines: one page of the dashboard, its sections rendered from one job view.
 */
import { api, withToken } from './api.js';
import { playLadder } from './ladder-player.js';
import { fill, h } from './dom.js';
import { eventList } from './event-list.js';
import { bytes, clock, seconds, speed, usd } from './format.js';
import { loadSegmentDetails } from './segment-details.js';
import { segmentMap } from './segment-map.js';
import { ACTIVE_STATUSES, jobBadge } from './status.js';
import { navigate } from './router.js';
import { timeline } from './timeline.js';
import type { JobDetail, JobEvent } from './types.js';

function totals(job: JobDetail, now: number): HTMLElement {
  const wall = job.timings.totalMs ?? (job.startedAt && ACTIVE_STATUSES.includes(job.status) ? now - job.startedAt : undefined);
  const s = job.sourceInfo;
  const items: Array<[string, string]> = [
    ['Wall time', clock(wall)],
    ['CPU time', `${job.cpuSeconds.toFixed(1)} s`],
    ['Output size', bytes(job.outputSizeBytes ?? job.sizeBytes)],
    ['Speed-up vs real time', speed(job.speed)],
    ['Source', s ? `${seconds(s.duration)}, ${s.width}×${s.height} ${s.codec}, ${s.frames} frames` : '–'],
    [
      'Cost estimate',
      job.costEstimate
        ? `${usd(job.costEstimate.usd)} on AWS (${job.costEstimate.region}, prices of ${job.costEstimate.pricesAsOf})`
        : 'when done',
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
  const notes: Record<string, string | undefined> = { 'Cost estimate': job.costEstimate?.basis };
  return h('dl', { class: 'totals' }, ...items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-total': k, title: notes[k] }, v)]));
}

/** The renditions of a ladder: size, codec, segments, bytes, measured average and peak bitrate. */
function renditionTable(j: JobDetail): HTMLElement {
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

export function renderJobPage(root: HTMLElement, id: string): () => void {
  let job: JobDetail | undefined;
  const events: JobEvent[] = [];
  let selected: { kind: string; index: number; sig: string } | undefined;
  const head = h('section', { class: 'card job-head' }, h('p', { class: 'muted' }, 'Loading…'));
  const message = h('p', { class: 'form-status', role: 'status' });
  const totalsBox = h('section', { class: 'card' });
  const mapBox = h('div');
  const details = h('aside', { class: 'card details', hidden: true, 'aria-label': 'segment details' });
  const timelineBox = h('div');
  const playerBox = h('section', { class: 'card player', hidden: true });
  const eventsBox = h('div', { class: 'events-wrap' });
  root.append(
    h('nav', { class: 'crumbs' }, h('a', { href: '/', 'data-link': true }, '← All jobs')),
    head,
    message,
    h('div', { class: 'grid2' }, h('section', { class: 'card' }, h('h2', {}, 'Segments'), mapBox), totalsBox),
    details,
    h('section', { class: 'card' }, h('h2', {}, 'Timeline'), timelineBox),
    playerBox,
    h('section', { class: 'card' }, h('h2', {}, 'Event history'), eventsBox),
  );

  const act = (action: 'retry' | 'resume' | 'cancel' | 'quality') => () => void acting(action);
  const acting = async (action: 'retry' | 'resume' | 'cancel' | 'quality') => {
    message.textContent = action === 'quality' ? 'Measuring the output against the source (one decode of each)…' : `${action}…`;
    message.classList.remove('error');
    try {
      update(await api.action(id, action));
      message.textContent =
        action === 'retry'
          ? 'Retrying the failed segments.'
          : action === 'resume'
            ? 'Resuming.'
            : action === 'quality'
              ? 'Measuring quality; the report appears on the segment map when done.'
              : 'Cancelled; the job can be resumed.';
      const shown = message.textContent;
      setTimeout(() => {
        if (message.textContent === shown) message.textContent = '';
      }, 5000);
    } catch (err) {
      message.textContent = (err as Error).message;
      message.classList.add('error');
    }
  };
  const remove = async () => {
    if (!confirm(`Delete job ${id} and its files?`)) return;
    try {
      await api.remove(id);
      navigate('/');
    } catch (err) {
      message.textContent = (err as Error).message;
      message.classList.add('error');
    }
  };
  const select = (kind: string, index: number, scroll = true) => {
    const t = job?.segments.find((s) => s.kind === kind && s.index === index);
    selected = { kind, index, sig: t ? `${t.status}:${t.attempts}` : '' };
    void loadSegmentDetails(details, id, kind, index, () => {
      selected = undefined;
      details.hidden = true;
      render();
    });
    render();
    if (scroll) details.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  };

  function renderHead(j: JobDetail): void {
    const idle = !j.running && !j.runningElsewhere;
    const failedTasks = j.segments.filter((s) => s.status === 'failed').length;
    const frac = j.segmentsTotal ? j.segmentsDone / j.segmentsTotal : 0;
    fill(
      head,
      h('div', { class: 'job-title' }, h('h1', {}, j.sourceName), jobBadge(j.status)),
      h(
        'p',
        { class: 'muted mono' },
        `job ${j.id} · ${j.profile.videoCodec} crf ${j.profile.crf} ${j.profile.preset}${j.profile.height ? ` ${j.profile.height}p` : ''} · ${j.profile.container} · ${j.options.workers} workers${j.runningElsewhere ? ' · running in another process' : ''}`,
      ),
      j.error ? h('p', { class: 'error', 'data-role': 'job-error' }, j.error) : null,
      h(
        'div',
        { class: 'progress-cell big' },
        h('progress', { max: 1, value: frac, 'aria-label': 'segments done' }),
        h(
          'span',
          { 'data-role': 'progress-text' },
          `${j.segmentsDone}/${j.segmentsTotal} segments done${j.segmentsFailed ? `, ${j.segmentsFailed} failed` : ''}`,
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            disabled: !(idle && (j.status === 'failed' || j.status === 'cancelled') && failedTasks > 0),
            onclick: act('retry'),
          },
          '↻ Retry failed segments',
        ),
        h('button', { type: 'button', disabled: !(idle && j.status !== 'done'), onclick: act('resume') }, '▶ Resume'),
        h('button', { type: 'button', disabled: !j.running, onclick: act('cancel') }, '■ Cancel'),
        h(
          'button',
          {
            type: 'button',
            'data-action': 'quality',
            disabled: !(idle && j.status === 'done' && j.outputAvailable),
            title: 'PSNR and SSIM against the source, whole and at every seam (one decode of each)',
            onclick: act('quality'),
          },
          j.quality ? '◎ Measure quality again' : '◎ Quality report',
        ),
        j.outputAvailable && !j.profile.ladder
          ? h(
              'a',
              { class: 'button', href: withToken(`/api/jobs/${j.id}/output`), download: `shardcast-${j.id}.${j.profile.container}` },
              '⤓ Download',
            )
          : null,
        h('button', { type: 'button', class: 'danger', disabled: !idle, onclick: () => void remove() }, '✕ Delete'),
      ),
    );
  }

  let stopLadder: (() => void) | undefined;
  function renderPlayer(j: JobDetail): void {
    if (!j.outputAvailable) {
      stopLadder?.();
      stopLadder = undefined;
      playerBox.hidden = true;
      playerBox.replaceChildren();
      return;
    }
    if (playerBox.querySelector('video')) return;
    playerBox.hidden = false;
    if (j.renditions) {
      const video = h('video', { controls: true, muted: true, playsinline: true, 'data-ladder': 'hls' });
      fill(
        playerBox,
        h('h2', {}, 'Output: HLS ladder'),
        video,
        renditionTable(j),
        h(
          'p',
          { class: 'muted' },
          h('a', { href: withToken(`/api/jobs/${j.id}/ladder/master.m3u8`) }, 'master.m3u8'),
          j.profile.ladder?.dash ? ' · ' : '',
          j.profile.ladder?.dash ? h('a', { href: withToken(`/api/jobs/${j.id}/ladder/manifest.mpd`) }, 'manifest.mpd') : '',
        ),
      );
      stopLadder = playLadder(video, `/api/jobs/${j.id}/ladder/master.m3u8`);
      return;
    }
    fill(
      playerBox,
      h('h2', {}, 'Output'),
      h('video', { controls: true, preload: 'metadata', playsinline: true, src: withToken(`/api/jobs/${j.id}/output`) }),
    );
  }

  function render(): void {
    if (!job) return;
    const now = Date.now();
    renderHead(job);
    fill(totalsBox, h('h2', {}, 'Totals'), totals(job, now));
    fill(mapBox, segmentMap(job, selected ? `${selected.kind}:${selected.index}` : undefined, select));
    fill(timelineBox, timeline(job, events, now));
    renderPlayer(job);
    fill(eventsBox, eventList(events));
  }

  function update(j: JobDetail): void {
    job = j;
    if (selected) {
      const t = j.segments.find((s) => s.kind === selected!.kind && s.index === selected!.index);
      const sig = t ? `${t.status}:${t.attempts}` : '';
      if (sig !== selected.sig) select(selected.kind, selected.index, false);
    }
    render();
  }

  let source: EventSource | undefined;
  let closed = false;
  api.job(id).then(
    (j) => {
      if (closed) return;
      update(j);
      source = new EventSource(withToken(`/api/jobs/${id}/events`));
      source.addEventListener('job-event', (ev) => {
        const e = JSON.parse((ev as MessageEvent<string>).data) as JobEvent;
        if (!events.some((x) => x.seq === e.seq)) events.push(e);
      });
      source.addEventListener('snapshot', (ev) => update(JSON.parse((ev as MessageEvent<string>).data) as JobDetail));
      source.addEventListener('gone', () => {
        source?.close();
        fill(head, h('p', { class: 'error' }, `Job ${id} was deleted.`));
      });
    },
    (err: Error) => {
      fill(head, h('h1', {}, `Job ${id}`), h('p', { class: 'error' }, err.message));
    },
  );
  const ticker = setInterval(() => {
    if (job && ACTIVE_STATUSES.includes(job.status)) render();
  }, 1000);
  return () => {
    closed = true;
    source?.close();
    clearInterval(ticker);
    stopLadder?.();
  };
}
