/**
 * The lifecycle tables of core/lifecycle.ts, as tables: every (from, to) pair of a job and of a task is legal or
 * not as listed here; every status write in src goes through app/transitions.ts; every event type written in
 * src is one the union names.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { EVENT_TYPES, isJobMove, isTaskMove, JOB_MOVES, TASK_MOVES } from '../../src/core/lifecycle.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/core/webhook.js';
import type { JobStatus, TaskStatus } from '../../src/core/types.js';
import { REPO } from '../support/media.js';

const JOB: JobStatus[] = ['created', 'analyzing', 'encoding', 'merging', 'verifying', 'done', 'failed', 'cancelled'];
const TASK: TaskStatus[] = ['pending', 'running', 'done', 'failed'];

// Rows: from; columns: to, in the order of JOB / TASK. 1 = legal.
// prettier-ignore
const JOB_TABLE: Record<JobStatus, string> = {
  //         cr an en me ve do fa ca
  created:   '1  1  0  0  0  0  1  1',
  analyzing: '1  1  1  0  0  0  1  1',
  encoding:  '0  0  1  1  0  0  1  1',
  merging:   '0  0  1  1  1  0  1  1',
  verifying: '0  0  1  0  1  1  1  1',
  done:      '0  0  0  0  0  1  0  0',
  failed:    '1  0  1  0  0  0  1  1',
  cancelled: '1  0  1  0  0  0  1  1',
};

// prettier-ignore
const TASK_TABLE: Record<TaskStatus, string> = {
  //       pe ru do fa
  pending: '1  1  1  1',
  running: '1  1  1  1',
  done:    '1  0  1  0',
  failed:  '1  1  1  1',
};

const row = (s: string) => s.split(/\s+/).map((c) => c === '1');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('lifecycle', () => {
  it('a job moves only as the table says', () => {
    for (const from of JOB) {
      const legal = row(JOB_TABLE[from]);
      JOB.forEach((to, i) => assert.equal(isJobMove(from, to), legal[i], `${from} -> ${to}`));
    }
  });

  it('a task moves only as the table says', () => {
    for (const from of TASK) {
      const legal = row(TASK_TABLE[from]);
      TASK.forEach((to, i) => assert.equal(isTaskMove(from, to), legal[i], `${from} -> ${to}`));
    }
  });

  it('done is final and every unfinished job can fail or be stopped', () => {
    assert.deepEqual(JOB_MOVES.done, []);
    for (const s of JOB.filter((x) => x !== 'done' && x !== 'failed' && x !== 'cancelled')) {
      assert.ok(JOB_MOVES[s].includes('failed') && JOB_MOVES[s].includes('cancelled'), s);
    }
    assert.deepEqual(TASK_MOVES.done, ['pending']);
  });

  it('no status is written outside app/transitions.ts (the ledgers implement the writes)', () => {
    const writers = new Set(['src/app/transitions.ts']);
    const bad: string[] = [];
    for (const f of files(join(REPO, 'src'))) {
      const rel = relative(REPO, f);
      if (writers.has(rel) || rel.startsWith('src/adapters/sqlite/') || rel.startsWith('src/adapters/aws/dynamodb')) continue;
      const n = (readFileSync(f, 'utf8').match(/\.(updateJob|transitionTask)\(/g) ?? []).length;
      if (n) bad.push(`${rel}: ${n}`);
    }
    assert.deepEqual(bad, []);
  });

  it('every event type written in src is one the union names', () => {
    const written = new Set<string>();
    for (const f of files(join(REPO, 'src')).filter((x) => !x.endsWith('lifecycle.ts'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/'((?:job|task|cluster|lambda|notify)\.[a-z-]+)'/g)) written.add(m[1]!);
    }
    // A webhook's event types (job.started, ...) are what a receiver is sent, not events of the ledger.
    const known = new Set<string>([...EVENT_TYPES, ...WEBHOOK_EVENT_TYPES]);
    assert.deepEqual(
      [...written].filter((t) => !known.has(t)),
      [],
    );
    assert.deepEqual(
      EVENT_TYPES.filter((t) => !written.has(t)),
      [],
      'a type in the union that nothing writes',
    );
  });
});
