/** State labels: every state has a word and an icon, so nothing is told by color alone. */
import { h } from './dom.js';
import type { JobStatus, TaskStatus } from './types.js';

const JOB_ICONS: Record<JobStatus, string> = {
  created: '○',
  analyzing: '◔',
  encoding: '▶',
  merging: '⇶',
  verifying: '◎',
  done: '✓',
  failed: '✗',
  cancelled: '■',
};
const TASK_ICONS: Record<TaskStatus, string> = { pending: '·', running: '▶', done: '✓', failed: '✗' };

export function jobBadge(status: JobStatus): HTMLElement {
  return h(
    'span',
    { class: `badge st-${status}`, 'data-status': status },
    h('span', { 'aria-hidden': 'true' }, JOB_ICONS[status]),
    ` ${status}`,
  );
}

export function taskIcon(status: TaskStatus): string {
  return TASK_ICONS[status];
}

export const ACTIVE_STATUSES: JobStatus[] = ['created', 'analyzing', 'encoding', 'merging', 'verifying'];
