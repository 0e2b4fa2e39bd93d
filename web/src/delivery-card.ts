/**
 * The job page's webhook deliveries (a job made with --notify or `notify`): each event to each URL, its
 * attempts, its status and when it is tried next, from GET /api/jobs/:id/deliveries. Read again every few
 * seconds while the page shows it (deliveries are retried after a job ends, so the job's own events stop).
 */
import { request } from './api.js';
import { fill, h } from './dom.js';

export interface Delivery {
  id: string;
  type: 'job.started' | 'job.done' | 'job.failed';
  url: string;
  status: 'pending' | 'retrying' | 'sent' | 'gave-up' | 'refused';
  attempts: number;
  httpStatus?: number;
  error?: string;
  nextAt?: number;
  lastAt?: number;
}

const STATUS_TEXT: Record<Delivery['status'], string> = {
  pending: 'not sent yet',
  retrying: 'failed, will retry',
  sent: 'delivered',
  'gave-up': 'gave up',
  refused: 'refused by the receiver',
};

export function deliveryRow(d: Delivery, now: number): HTMLTableRowElement {
  const answer = d.httpStatus !== undefined ? `HTTP ${d.httpStatus}` : (d.error ?? '');
  const next = d.status === 'retrying' && d.nextAt ? `in ${Math.max(0, Math.round((d.nextAt - now) / 1000))} s` : '';
  return h(
    'tr',
    { 'data-status': d.status, title: d.id },
    h('td', {}, d.type),
    h('td', { class: 'url' }, d.url),
    h('td', {}, d.attempts),
    h('td', { class: `delivery-${d.status}` }, STATUS_TEXT[d.status], answer ? ` (${answer})` : ''),
    h('td', {}, next),
  );
}

/** The card, hidden until the job has deliveries; it keeps itself up to date while it is on the page. */
export function deliveryCard(jobId: string, everyMs = 3000): HTMLElement {
  const body = h('tbody');
  const card = h(
    'section',
    { class: 'card deliveries', hidden: true, 'aria-label': 'webhook deliveries' },
    h('h2', {}, 'Webhook deliveries'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, 'Event'), h('th', {}, 'URL'), h('th', {}, 'Attempts'), h('th', {}, 'Status'), h('th', {}, 'Next try')),
      ),
      body,
    ),
  );
  let started = false;
  const load = async () => {
    const { deliveries } = await request<{ deliveries: Delivery[] }>('GET', `/api/jobs/${encodeURIComponent(jobId)}/deliveries`);
    card.hidden = deliveries.length === 0;
    const now = Date.now();
    fill(body, ...deliveries.map((d) => deliveryRow(d, now)));
  };
  const tick = () => {
    if (started && !card.isConnected) return; // the page was left
    started = true;
    load()
      .catch(() => undefined)
      .finally(() => setTimeout(tick, everyMs));
  };
  setTimeout(tick, 0);
  return card;
}
