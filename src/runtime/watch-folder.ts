/**
 * `shardcast watch DIR --template NAME --out DIR`: a job per file that appears in a folder, once it has stopped
 * growing, on the home the Backend is (this machine or a cluster). Each file is run once, across restarts, with
 * no list of its own: a file's job id is made from its path, size and modification time (jobIdFor), so the
 * ledger's record of that id says whether it ran. A done or failed job is left (a failed file is not retried in
 * a loop: `shardcast retry ID` or a new copy of the file runs it again); a job a stopped watcher left unfinished
 * is resumed. Jobs run one after another (each uses every worker). The watcher says where it is in a small file
 * under the state dir, which `serve` lists (watch-registry.ts).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CancelledError, ConditionFailedError, oneLine, UsageError } from '../core/errors.js';
import { templateOutputPath } from '../core/templates.js';
import type { Backend } from './backend.js';
import { jobIdFor } from './process-identity.js';
import type { TemplateCatalog } from './templates.js';
import { findTemplate } from './templates.js';
import type { WatchState } from './watch-registry.js';

export interface WatchOptions {
  dir: string;
  outDir: string;
  template: string;
  catalog: TemplateCatalog;
  /** A file is taken once its size and modification time have not changed for this long (ms). */
  settleMs: number;
  /** How often the folder is listed (ms). */
  pollMs: number;
  /** Options the jobs get besides the template (flags as strings: workers, notify, ...). */
  options?: Record<string, unknown>;
  /** One line per thing that happened, for a person. */
  log: (line: string) => void;
  /** Called with the watcher's state after every pass and job (the registry file). */
  onState?: (state: WatchState) => void | Promise<void>;
  signal: AbortSignal;
  clock?: () => number;
}

/** How often a watcher rewrites its state file while a job runs (watch-registry.ts calls one silent for 60 s stopped). */
const STATE_EVERY_MS = 15_000;

/** Names that are not (yet) a finished upload: hidden files and the usual partial-download suffixes. */
export function isCandidateName(name: string): boolean {
  return !name.startsWith('.') && !/\.(part|partial|tmp|temp|crdownload|download|!ut)$/i.test(name);
}

interface Seen {
  size: number;
  mtimeMs: number;
  /** When size and mtime were last seen to change. */
  since: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((res) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      res();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Watches until the signal; resolves when stopped (a running job is left stopped, and resumed next time). */
export async function watchFolder(backend: Backend, o: WatchOptions): Promise<void> {
  const clock = o.clock ?? Date.now;
  const dir = await realpath(resolve(o.dir)).catch(() => {
    throw new UsageError(`cannot watch ${o.dir}: no such folder`);
  });
  if (!(await stat(dir)).isDirectory()) throw new UsageError(`cannot watch ${o.dir}: not a folder`);
  const template = findTemplate(o.catalog, o.template);
  const outDir = resolve(o.outDir);
  const seen = new Map<string, Seen>();
  /** Job ids this watcher has dealt with (ran, found finished, or could not start): not looked at again. */
  const handled = new Set<string>();
  const state: WatchState = { dir, outDir, template: template.name, startedAt: clock(), done: 0, failed: 0, skipped: 0 };
  const publish = async () => {
    state.heartbeatAt = clock();
    await o.onState?.({ ...state });
  };
  o.log(`watching ${dir} for new files: template ${template.name}, outputs in ${outDir}`);
  await publish();
  while (!o.signal.aborted) {
    const ready: { path: string; name: string; size: number; mtimeMs: number }[] = [];
    const names = await readdir(dir).catch(() => [] as string[]);
    const now = clock();
    // Files gone from the folder are forgotten (a watcher that runs for months sees many).
    const present = new Set(names.map((n) => join(dir, n)));
    for (const path of seen.keys()) if (!present.has(path)) seen.delete(path);
    for (const name of names.filter(isCandidateName).sort()) {
      const path = join(dir, name);
      const s = await stat(path).catch(() => undefined);
      if (!s?.isFile()) continue;
      const prev = seen.get(path);
      if (!prev || prev.size !== s.size || prev.mtimeMs !== s.mtimeMs) {
        seen.set(path, { size: s.size, mtimeMs: s.mtimeMs, since: now });
        continue;
      }
      if (s.size > 0 && now - prev.since >= o.settleMs) ready.push({ path, name, size: s.size, mtimeMs: s.mtimeMs });
    }
    for (const f of ready) {
      if (o.signal.aborted) break;
      // The template and the output folder are part of what the job is: two watchers of one folder with two
      // templates make two jobs of each file.
      const id = jobIdFor('watch', f.path, String(f.size), String(Math.round(f.mtimeMs)), template.name, outDir);
      if (handled.has(id)) continue;
      // Looked at again just before: a file that changed while earlier jobs ran waits to settle again.
      const now = await stat(f.path).catch(() => undefined);
      if (!now || now.size !== f.size || now.mtimeMs !== f.mtimeMs) continue;
      state.running = { jobId: id, file: f.name };
      await publish();
      // Said again while the job runs, so `serve` shows a watcher in a long job as alive.
      const beat = setInterval(() => void publish(), STATE_EVERY_MS);
      try {
        const outcome = await runOne(
          backend,
          o,
          { ...f, id, output: templateOutputPath(template, f.name, outDir), template: template.name },
          state,
        );
        // A job another live process runs is looked at again on the next pass (it may be a watcher's that died).
        if (outcome !== 'elsewhere') handled.add(id);
      } finally {
        clearInterval(beat);
      }
      delete state.running;
      await publish();
    }
    await publish();
    await sleep(o.pollMs, o.signal);
  }
  o.log(`stopped watching ${dir}`);
}

async function runOne(
  backend: Backend,
  o: WatchOptions,
  f: { path: string; name: string; id: string; output: string; template: string },
  state: WatchState,
): Promise<'ran' | 'elsewhere'> {
  const existing = await backend.ledger.getJob(f.id);
  const signal = { signal: o.signal };
  try {
    if (existing?.status === 'done' || existing?.status === 'failed') {
      // Ran before (this watcher, or one before a restart): left as it ended.
      state.skipped++;
      o.log(`${f.name}: job ${f.id} already ${existing.status}, left as it is`);
      return 'ran';
    }
    if (existing) {
      const tasks = await backend.ledger.listTasks(f.id);
      if (backend.runsElsewhere(existing, tasks)) {
        o.log(`${f.name}: job ${f.id} is running elsewhere, left to it (looked at again next pass)`);
        return 'elsewhere';
      }
      o.log(`${f.name}: resuming job ${f.id}, left unfinished by an earlier watcher`);
      await backend.resume(f.id, signal);
    } else {
      o.log(`${f.name}: job ${f.id} -> ${f.output}`);
      // The output folder is the watcher's: a file replaced by a new version (a new job) replaces its output.
      await backend.submit(
        { input: f.path, output: f.output, options: { ...o.options, template: f.template }, overwrite: true, id: f.id },
        signal,
      );
    }
    state.done++;
    o.log(`${f.name}: done -> ${f.output}`);
  } catch (err) {
    if (o.signal.aborted || err instanceof CancelledError) {
      o.log(`${f.name}: job ${f.id} stopped; the next watch resumes it`);
      return 'ran';
    }
    if (err instanceof ConditionFailedError) {
      // Another watcher of the same folder made it first: it runs there.
      o.log(`${f.name}: job ${f.id} was made by another watcher, left to it`);
      return 'elsewhere';
    }
    state.failed++;
    state.lastError = `${f.name}: ${oneLine(err)}`;
    o.log(`${f.name}: failed, left (not retried): ${oneLine(err)}`);
  }
  return 'ran';
}
