/**
 * `shardcast watch DIR --template NAME --out DIR`: runs a job per new file of a folder, on this machine or a
 * cluster (runtime/watch-folder.ts), until Ctrl-C / SIGTERM; a job stopped so is resumed by the next watch.
 */
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { stateDirOf } from '../runtime/job-paths.js';
import { templateOutputPath } from '../core/templates.js';
import { openBackend } from '../runtime/backend.js';
import { CLI_DRAIN_MS, eventRelay, refuseUnsignedNotify, startNotifier } from '../runtime/start-notifier.js';
import { applyTemplate, findTemplate } from '../runtime/templates.js';
import { loadTemplateCatalog } from '../runtime/template-files.js';
import { parseTranscodeOptions } from '../runtime/transcode-options.js';
import { watchFolder } from '../runtime/watch-folder.js';
import { removeWatchState, writeWatchState } from '../runtime/watch-registry.js';
import type { GlobalFlags } from './commands.js';
import { clusterFlags } from './cluster-flags.js';
import { withSignals } from './signals.js';

const seconds = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `${name} must be a number of seconds`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be from ${min} to ${max} seconds`);

const watchFlagsSchema = z.object({
  template: z.string({ message: 'watch needs --template NAME (`shardcast templates` lists them)' }).min(1),
  out: z.string({ message: 'watch needs --out DIR: the folder the outputs are written to' }).min(1),
  settleSeconds: seconds('--settle-seconds', 0, 3600).default(5),
  pollSeconds: seconds('--poll-seconds', 0.2, 600).default(2),
});

/** The job options a watcher passes on to every job (besides its template). */
const JOB_FLAGS = ['workers', 'maxAttempts', 'notify', 'notifySecretEnv'] as const;

export async function watchCommand(dir: string, flags: GlobalFlags & Record<string, unknown>): Promise<void> {
  const r = watchFlagsSchema.safeParse(flags);
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid options');
  const f = r.data;
  const catalog = await loadTemplateCatalog({ ...(flags.config ? { explicit: flags.config } : {}), env: process.env, cwd: process.cwd() });
  const stateDir = stateDirOf(flags, process.env);
  const options: Record<string, unknown> = {};
  for (const k of JOB_FLAGS) if (flags[k] !== undefined) options[k] = flags[k];
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  // The template with the flags given, checked once before anything is watched (and its webhooks' secrets).
  const sample = templateOutputPath(findTemplate(catalog, f.template), 'sample', '/');
  const checked = parseTranscodeOptions(
    applyTemplate({ output: sample, options: { ...options, template: f.template } }, catalog).options,
    sample,
  );
  refuseUnsignedNotify(checked.notify, process.env);
  // Webhooks: sent as the jobs go, and owed ones (a receiver that was down) retried on a timer.
  const relay = eventRelay();
  const backend = await openBackend({
    kind: flags.backend ?? 'local',
    stateDir,
    env: process.env,
    templates: catalog,
    onEvent: relay.onEvent,
    cluster: clusterFlags(flags),
  });
  const notifier = startNotifier(backend.ledger, process.env);
  relay.to(notifier.notifier);
  try {
    await withSignals((signal) =>
      watchFolder(backend, {
        dir,
        outDir: f.out,
        template: f.template,
        catalog,
        settleMs: f.settleSeconds * 1000,
        pollMs: f.pollSeconds * 1000,
        options,
        log,
        onState: (s) => writeWatchState(stateDir, s).catch(() => undefined),
        signal,
      }),
    );
  } finally {
    await removeWatchState(stateDir).catch(() => undefined);
    await notifier.stop(CLI_DRAIN_MS);
    await backend.close();
  }
}
