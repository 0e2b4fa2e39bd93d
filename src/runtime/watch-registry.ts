/**
 * Where `shardcast watch` processes say what they watch: one small JSON file per watcher under
 * `<state dir>/watches/`, rewritten after every pass, removed when it stops. `serve` lists them (a file whose
 * process is gone, or not rewritten for a minute, is shown as stopped and removed after a day).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLocalWorkerAlive, localWorkerId } from './process-identity.js';

export interface WatchState {
  dir: string;
  outDir: string;
  template: string;
  startedAt: number;
  heartbeatAt?: number;
  /** Files run to done, failed (left), and found already run. */
  done: number;
  failed: number;
  skipped: number;
  running?: { jobId: string; file: string };
  lastError?: string;
}

export interface WatcherView extends WatchState {
  /** `host:pid/start` of the watching process. */
  watcher: string;
  alive: boolean;
}

const STALE_MS = 60_000;
const FORGET_MS = 24 * 3600_000;

const folderOf = (stateDir: string) => join(stateDir, 'watches');
const fileName = (watcher: string) => `${watcher.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;

/** Writes this process's state (atomically: a reader never sees half a file). */
export async function writeWatchState(stateDir: string, state: WatchState): Promise<void> {
  const watcher = localWorkerId();
  const dir = folderOf(stateDir);
  await mkdir(dir, { recursive: true });
  const path = join(dir, fileName(watcher));
  await writeFile(`${path}.tmp`, JSON.stringify({ ...state, watcher }));
  await rename(`${path}.tmp`, path);
}

export async function removeWatchState(stateDir: string): Promise<void> {
  await rm(join(folderOf(stateDir), fileName(localWorkerId())), { force: true });
}

/** Every watcher's last state, live ones first. */
export async function listWatchers(stateDir: string, now = Date.now()): Promise<WatcherView[]> {
  const dir = folderOf(stateDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: WatcherView[] = [];
  for (const n of names.filter((x) => x.endsWith('.json'))) {
    const raw = await readFile(join(dir, n), 'utf8').catch(() => undefined);
    if (!raw) continue;
    let w: WatchState & { watcher: string };
    try {
      w = JSON.parse(raw) as WatchState & { watcher: string };
    } catch {
      continue;
    }
    const fresh = now - (w.heartbeatAt ?? 0) < STALE_MS;
    const alive = fresh && isLocalWorkerAlive(w.watcher) !== false;
    if (!alive && now - (w.heartbeatAt ?? 0) > FORGET_MS) {
      await rm(join(dir, n), { force: true });
      continue;
    }
    out.push({ ...w, alive });
  }
  return out.sort((a, b) => Number(b.alive) - Number(a.alive) || b.startedAt - a.startedAt);
}
