/**
 * The cluster bench (issue 14): the same clip through `--backend cluster` with 1, 2 and 3 `shardcast worker`s
 * (one encode each) on this machine, and through the local backend with as many workers. The workers share
 * this machine's cores, so this shows the queue's overhead, not a speed-up. Per job, from its ledger:
 * - dispatch gap: on each worker, from one task's end (its file stored) to the next task's start, i.e. the
 *   result's trip back to BullMQ and the next task's fetch (a worker with no next task has no gap);
 * - result to ledger: from a task's end on its worker to the coordinator recording it done (the task.done event);
 * - first start: from the flow's add (the `cluster.queued` event) to the first task's start on a worker.
 * Wall and machine CPU (all processes, from /proc/stat: workers are not children of the coordinator).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, startWorker, type WorkerProcess } from '../../test/support/cluster.js';
import { machineBusySeconds, runTimed } from './exec.js';
import { fmt, markdownTable, median } from './stats.js';

interface Task {
  key: string;
  worker: string;
  startedAt: number;
  finishedAt: number;
  cpuSeconds?: number;
}
interface Event {
  type: string;
  at: number;
  data?: { key?: string };
}

interface ClusterRun {
  workers: number;
  backend: 'cluster' | 'local';
  wall: number;
  cpu: number;
  /** CPU seconds of the encode tasks as the ledger records them (their ffmpeg and check, on whichever worker). */
  taskCpu: number;
  gaps: number[];
  toLedger: number[];
  firstStart?: number;
}

function pct(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function runOne(
  bin: string,
  source: string,
  tmp: string,
  backend: 'cluster' | 'local',
  n: number,
  cluster: { redis: string; store: string } | undefined,
  log: (s: string) => void,
): Promise<ClusterRun> {
  const state = join(tmp, `state-${backend}-${n}`);
  const out = join(tmp, `out-${backend}-${n}.mp4`);
  const args = [bin, '--state-dir', state, 'transcode', source, out, '--json', '--no-progress', '-y', '--workers', String(n)];
  if (cluster) args.push('--backend', 'cluster', '--redis', cluster.redis, '--store', cluster.store);
  const busy0 = machineBusySeconds();
  const r = await runTimed(process.execPath, args, { tmpDir: tmp });
  const cpu = machineBusySeconds() - busy0;
  if (r.exitCode !== 0) throw new Error(`${backend} x${n} failed: ${r.stderr.slice(-1500)}`);
  const job = JSON.parse(r.stdout) as { id: string; segments: Task[] };
  const taskCpu = job.segments.reduce((sum, t) => sum + (t.cpuSeconds ?? 0), 0);
  const run: ClusterRun = { workers: n, backend, wall: r.wallSeconds, cpu, taskCpu, gaps: [], toLedger: [] };
  if (backend === 'cluster') {
    const st = await runTimed(process.execPath, [bin, '--state-dir', state, 'status', job.id, '--json', '--backend', 'cluster'], {
      tmpDir: tmp,
    });
    const { events } = JSON.parse(st.stdout) as { events: Event[] };
    const byWorker = new Map<string, Task[]>();
    for (const t of job.segments) byWorker.set(t.worker, [...(byWorker.get(t.worker) ?? []), t]);
    for (const ts of byWorker.values()) {
      ts.sort((a, b) => a.startedAt - b.startedAt);
      for (let i = 1; i < ts.length; i++) run.gaps.push(ts[i]!.startedAt - ts[i - 1]!.finishedAt);
    }
    for (const t of job.segments) {
      const done = events.find((e) => e.type === 'task.done' && e.data?.key === t.key);
      if (done) run.toLedger.push(done.at - t.finishedAt);
    }
    const encoding = events.find((e) => e.type === 'cluster.queued')?.at;
    if (encoding) run.firstStart = Math.min(...job.segments.map((t) => t.startedAt)) - encoding;
  }
  log(
    `  ${backend} x${n}: wall ${fmt(r.wallSeconds)} s, machine CPU ${fmt(cpu, 1)} s, tasks' CPU ${fmt(taskCpu, 1)} s${run.gaps.length ? `, gap median ${fmt(median(run.gaps), 0)} ms, to ledger median ${fmt(median(run.toLedger), 0)} ms` : ''}`,
  );
  return run;
}

export async function clusterReport(
  bin: string,
  source: string,
  label: string,
  tmp: string,
  runs: number,
  log: (s: string) => void,
): Promise<string> {
  log(`\n## cluster: ${label}, 1-3 workers (one encode each) on this machine vs the local backend`);
  const redis = await startRedis();
  const results: ClusterRun[] = [];
  try {
    for (let pair = 0; pair < runs; pair++) {
      for (const n of [1, 2, 3]) {
        const store = join(tmp, `store-${pair}-${n}`);
        mkdirSync(store, { recursive: true });
        const ws: WorkerProcess[] = await Promise.all(
          Array.from({ length: n }, () => startWorker({ redis: redis.url, store, concurrency: 1, lockSeconds: 30 })),
        );
        try {
          // Alternate which goes first, as the other cases do.
          const order: Array<'cluster' | 'local'> = pair % 2 === 0 ? ['cluster', 'local'] : ['local', 'cluster'];
          for (const b of order)
            results.push(await runOne(bin, source, tmp, b, n, b === 'cluster' ? { redis: redis.url, store } : undefined, log));
        } finally {
          await Promise.all(ws.map((w) => w.stop()));
        }
      }
    }
  } finally {
    await redis.stop();
  }
  const rows = [1, 2, 3].map((n) => {
    const c = results.filter((r) => r.backend === 'cluster' && r.workers === n);
    const l = results.filter((r) => r.backend === 'local' && r.workers === n);
    const gaps = c.flatMap((r) => r.gaps);
    const led = c.flatMap((r) => r.toLedger);
    const first = c.flatMap((r) => (r.firstStart !== undefined ? [r.firstStart] : []));
    return [
      String(n),
      fmt(median(c.map((r) => r.wall))),
      fmt(median(l.map((r) => r.wall))),
      fmt(median(c.map((r) => r.wall)) / median(l.map((r) => r.wall)), 3),
      `${fmt(median(c.map((r) => r.cpu)), 1)} (${fmt(median(c.map((r) => r.taskCpu)), 1)})`,
      `${fmt(median(l.map((r) => r.cpu)), 1)} (${fmt(median(l.map((r) => r.taskCpu)), 1)})`,
      `${fmt(median(gaps), 0)} / ${fmt(pct(gaps, 0.95), 0)}`,
      `${fmt(median(led), 0)} / ${fmt(pct(led, 0.95), 0)}`,
      first.length ? fmt(median(first), 0) : 'n/a',
    ];
  });
  return `Cluster on one machine (${label}; ${runs} run(s) each; medians)\n\n${markdownTable(
    [
      'workers',
      'cluster wall s',
      'local wall s',
      'cluster/local',
      'cluster CPU s (tasks)',
      'local CPU s (tasks)',
      'dispatch gap ms (median / p95)',
      'result to ledger ms (median / p95)',
      'first task start ms',
    ],
    rows,
  )}`;
}
