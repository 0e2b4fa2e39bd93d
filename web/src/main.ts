/** The dashboard: a two-page SPA (jobs list at /, job page at /jobs/:id) over the HTTP API. */
import './style.css';
import { renderJobPage } from './job-page.js';
import { renderJobsPage } from './jobs-page.js';
import { navigate, setRouteHandler } from './router.js';

const root = document.getElementById('app')!;
let cleanup: (() => void) | undefined;

function route(): void {
  cleanup?.();
  cleanup = undefined;
  const m = /^\/jobs\/([a-z0-9]{6,32})\/?$/.exec(location.pathname);
  root.replaceChildren();
  if (m) {
    document.title = `job ${m[1]} · shardcast`;
    cleanup = renderJobPage(root, m[1]!);
  } else {
    document.title = 'jobs · shardcast';
    cleanup = renderJobsPage(root);
  }
  window.scrollTo(0, 0);
}

document.addEventListener('click', (ev) => {
  const e = ev as MouseEvent;
  const a = (e.target as Element | null)?.closest?.('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
});
window.addEventListener('popstate', route);
setRouteHandler(route);
route();
