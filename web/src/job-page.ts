/**
 * The job page, live: a header with state and actions, totals, the segment map, segment details on click,
 * the timeline over workers, the player for the finished output and the event history. Updated from the
 * event stream (`job-event` appends to the history, `snapshot` replaces the job). The header shows the live
 * figures (frames, fps, time left, each running segment's), the sections come from job-sections.ts.
 *
 * Over 300 lines: the wiring of every section of the page and its live updates in one place.
 */
import { api, withToken } from './api.js';
import { playLadder } from './ladder-player.js';
import { fill, h } from './dom.js';
import { eventList } from './event-list.js';
import { outputKind } from './format.js';
import { actionBlock, failedInAnalysis, progressLine, renditionTable, totals } from './job-sections.js';
import { deliveryCard } from './delivery-card.js';
import { segmentQualitySection, targetLine } from './quality-target.js';
import { liveText, loadSegmentDetails } from './segment-details.js';
import { segmentMap } from './segment-map.js';
import { ACTIVE_STATUSES, jobBadge } from './status.js';
import { navigate } from './router.js';
import { timeline } from './timeline.js';
import { renderThumbnails } from './thumbnail-strip.js';
import type { JobDetail, JobEvent, TaskRecord } from './types.js';

export function renderJobPage(root: HTMLElement, id: string): () => void {
  let job: JobDetail | undefined;
  const events: JobEvent[] = [];
  let selected: { kind: string; index: number; sig: string; record?: TaskRecord; loadedAt: number } | undefined;
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
    deliveryCard(id),
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
    const mine = { kind, index, sig: t ? `${t.status}:${t.attempts}` : '', loadedAt: Date.now() } as NonNullable<typeof selected>;
    selected = mine;
    void loadSegmentDetails(
      details,
      id,
      kind,
      index,
      () => {
        selected = undefined;
        details.hidden = true;
        render();
      },
      job?.serverHost,
    ).then((record) => {
      mine.record = record;
      if (selected === mine) renderDetailsLive();
    });
    render();
    if (scroll) details.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  };

  function renderHead(j: JobDetail): void {
    const idle = !j.running && !j.runningElsewhere;
    const { frac, parts } = progressLine(j);
    const retryBlock = actionBlock(j, 'retry');
    const resumeBlock = actionBlock(j, 'resume');
    const running = j.segments.filter((s) => s.status === 'running');
    fill(
      head,
      h('div', { class: 'job-title' }, h('h1', {}, j.sourceName), jobBadge(j.status)),
      h(
        'p',
        { class: 'muted mono' },
        `job ${j.id} · ${j.profile.videoCodec} ${j.target ? 'a CRF per segment' : `crf ${j.profile.crf}`} ${j.profile.preset}${j.profile.height ? ` ${j.profile.height}p` : ''} · ${outputKind(j.profile)} · ${j.options.workers} worker${j.options.workers === 1 ? '' : 's'}${j.runningElsewhere ? ' · running in another process' : ''}`,
      ),
      targetLine(j),
      j.error
        ? h(
            'p',
            { class: 'error', 'data-role': 'job-error' },
            failedInAnalysis(j) ? `Failed in analysis, before the source was cut into segments: ${j.error}` : j.error,
          )
        : null,
      failedInAnalysis(j)
        ? null
        : h(
            'div',
            { class: 'progress-cell big' },
            h('progress', { max: 1, value: frac, 'aria-label': j.progress?.totalFrames ? 'frames encoded' : 'segments done' }),
            h('span', { 'data-role': 'progress-text', class: 'live-figures' }, ...parts.flatMap((x, i) => (i ? [' · ', x] : [x]))),
          ),
      running.length && j.status === 'encoding'
        ? h(
            'ul',
            { class: 'running-now muted small', 'data-role': 'running-segments', 'aria-label': 'segments encoding now' },
            ...running
              .slice(0, 8)
              .map((t) =>
                h(
                  'li',
                  { 'data-key': t.key, class: 'live-figures' },
                  `${t.kind === 'audio' ? 'audio' : `segment ${t.index}`}: ${liveText(t)}`,
                ),
              ),
            running.length > 8 ? h('li', {}, `and ${running.length - 8} more`) : null,
          )
        : null,
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            disabled: retryBlock !== undefined,
            title: retryBlock ? `Retry is off: ${retryBlock}` : 'Re-run only the failed segments',
            onclick: act('retry'),
          },
          '↻ Retry failed segments',
        ),
        h(
          'button',
          {
            type: 'button',
            disabled: resumeBlock !== undefined,
            title: resumeBlock ? `Resume is off: ${resumeBlock}` : 'Run what is not done',
            onclick: act('resume'),
          },
          '▶ Resume',
        ),
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
      j.sourceRefused
        ? h(
            'p',
            { class: 'muted action-note', 'data-role': 'action-note' },
            'Resume and Retry are off: the job failed on its source, so running it again fails the same way. Fix the input and start a new job.',
          )
        : null,
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
    renderThumbnails(job, playerBox);
    fill(eventsBox, eventList(events, job.serverHost));
    renderDetailsLive();
  }

  /** The selected segment's live figures, from the newest snapshot. */
  function renderDetailsLive(): void {
    const t = selected && job?.segments.find((s) => s.kind === selected!.kind && s.index === selected!.index);
    const el = details.querySelector('[data-role=segment-live]');
    if (t && el) el.textContent = liveText(t);
    const q = details.querySelector('[data-role=segment-quality]');
    if (t?.quality && q) q.replaceWith(segmentQualitySection(t, job?.quality));
  }

  function update(j: JobDetail): void {
    job = j;
    if (selected) {
      const t = j.segments.find((s) => s.kind === selected!.kind && s.index === selected!.index);
      const sig = t ? `${t.status}:${t.attempts}` : '';
      // Reloaded when its state changes, and while a running attempt has not shown its command yet.
      const noCommand = selected.record?.status === 'running' && !selected.record.args?.length;
      if (sig !== selected.sig || (noCommand && Date.now() - selected.loadedAt > 1500)) select(selected.kind, selected.index, false);
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
