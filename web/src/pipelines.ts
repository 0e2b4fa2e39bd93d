/**
 * Jobs that start without a person: the templates a job may name (GET /api/templates) and the folders
 * `shardcast watch` watches on this state dir (GET /api/watches), as a card on the jobs page.
 */
import { api } from './api.js';
import { fill, h } from './dom.js';
import { dateTime } from './format.js';
import type { TemplateInfo, WatcherInfo } from './types.js';

function templateRow(t: TemplateInfo): HTMLElement {
  return h(
    'tr',
    { 'data-template': t.name },
    h('td', { 'data-label': 'Template', class: 'mono' }, t.name),
    h('td', { 'data-label': 'Makes' }, t.makes, t.description ? h('div', { class: 'muted small' }, t.description) : null),
    h('td', { 'data-label': 'From', class: 'muted' }, t.from === 'built-in' ? 'built-in' : (t.from.split('/').pop() ?? t.from)),
  );
}

function watcherRow(w: WatcherInfo): HTMLElement {
  return h(
    'tr',
    { 'data-watch': w.dir },
    h('td', { 'data-label': 'Folder', class: 'mono' }, w.dir, h('div', { class: 'muted small' }, `→ ${w.outDir}`)),
    h('td', { 'data-label': 'Template', class: 'mono' }, w.template),
    h(
      'td',
      { 'data-label': 'State' },
      w.alive ? (w.running ? `running ${w.running.file}` : 'watching') : h('span', { class: 'muted' }, 'stopped'),
      w.running
        ? h('div', {}, h('a', { href: `/jobs/${w.running.jobId}`, 'data-link': true, class: 'mono small' }, w.running.jobId))
        : null,
    ),
    h('td', { 'data-label': 'Files' }, `${w.done} done · ${w.failed} failed · ${w.skipped} already run`),
    h('td', { 'data-label': 'Since' }, dateTime(w.startedAt), w.lastError ? h('div', { class: 'error small' }, w.lastError) : null),
  );
}

/** The card and its refresh (called with the jobs list's). */
export function pipelinesCard(): { card: HTMLElement; refresh: () => Promise<void> } {
  const templatesBody = h('tbody');
  const watchesBody = h('tbody');
  const source = h('p', { class: 'muted small' });
  const watchNote = h('p', { class: 'muted small' });
  const table = (heads: string[], body: HTMLElement, cls: string) =>
    h(
      'div',
      { class: 'table-wrap' },
      h('table', { class: cls }, h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', { scope: 'col' }, t)))), body),
    );
  const card = h(
    'section',
    { class: 'card pipelines' },
    h('h1', {}, 'Templates and watched folders'),
    h(
      'details',
      { 'data-role': 'templates' },
      h('summary', {}, 'Templates'),
      source,
      table(['Template', 'Makes', 'From'], templatesBody, 'templates-table'),
    ),
    h('h2', {}, 'Watched folders'),
    watchNote,
    table(['Folder', 'Template', 'State', 'Files', 'Since'], watchesBody, 'watches-table'),
  );
  let templatesLoaded = false;
  const refresh = async () => {
    if (!templatesLoaded) {
      const t = await api.templates();
      fill(templatesBody, ...t.templates.map(templateRow));
      source.textContent = t.source
        ? `From ${t.source} and the built-ins.`
        : 'Built-in only: add your own in shardcast.config.yaml where you start `shardcast serve`.';
      templatesLoaded = true;
    }
    const w = await api.watches();
    fill(watchesBody, ...w.watches.map(watcherRow));
    watchNote.textContent = w.watches.length
      ? ''
      : 'No folder is watched: `shardcast watch DIR --template NAME --out DIR` with the same state dir runs a job per new file.';
  };
  return { card, refresh };
}
