/**
 * `shardcast serve`: normalizes the flags (and SHARDCAST_TOKEN) into a ServerConfig, starts the server,
 * prints the URL (and the token off loopback), and on Ctrl-C stops it, leaving running jobs resumable.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { isLoopback, type ServerConfig } from '../server/server-config.js';
import { startServer } from '../server/start-server.js';
import { stateDirOf } from '../runtime/job-paths.js';
import type { GlobalFlags } from './commands.js';
import { onStopSignal } from './signals.js';
import { flagText } from './flag-text.js';

const serveFlagsSchema = z.object({
  host: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9.:\-[\]]+$/, '--host must be a host name or an IP address')
    .default('127.0.0.1'),
  port: z
    .string()
    .regex(/^\d+$/, '--port must be a number')
    .transform(Number)
    .refine((n) => n >= 0 && n <= 65535, '--port must be from 0 to 65535')
    .default(8080),
  root: z.array(z.string().min(1)).default([]),
  maxUploadMb: z
    .string()
    .regex(/^\d+$/, '--max-upload-mb must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1_048_576, '--max-upload-mb must be from 1 to 1048576')
    .default(4096),
  quiet: z.boolean().optional(),
});

/** The dashboard's build folder, found beside the package (dist/cli/ or src/cli/ -> ../../web/dist). */
export function defaultWebDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');
}

export function buildServerConfig(flags: GlobalFlags & Record<string, unknown>, env: NodeJS.ProcessEnv): ServerConfig {
  const r = serveFlagsSchema.safeParse({ ...flags, port: flags.port === undefined ? undefined : flagText(flags.port) });
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid options');
  const f = r.data;
  const roots = f.root.map((d) => resolve(d));
  for (const d of roots) if (!existsSync(d)) throw new UsageError(`--root folder does not exist: ${d}`);
  const requireToken = !isLoopback(f.host);
  const token = env.SHARDCAST_TOKEN || (requireToken ? randomBytes(24).toString('base64url') : undefined);
  return {
    host: f.host,
    port: f.port,
    stateDir: stateDirOf(flags, env),
    roots,
    maxUploadBytes: f.maxUploadMb * 1024 * 1024,
    requireToken,
    ...(token ? { token } : {}),
    webDir: defaultWebDir(),
    env,
    ...(flags.backend ? { backend: flags.backend as 'local' | 'cluster' } : {}),
    cluster: {
      ...(flags.redis ? { redis: flags.redis } : {}),
      ...(flags.store ? { store: flags.store } : {}),
      ...(flags.s3Endpoint ? { s3Endpoint: flags.s3Endpoint } : {}),
      ...(flags.redisWaitSeconds !== undefined ? { redisWaitSeconds: String(flags.redisWaitSeconds) } : {}),
    },
    logRequests: flags.debug === true,
  };
}

export async function serveCommand(flags: GlobalFlags & Record<string, unknown>): Promise<void> {
  const config = buildServerConfig(flags, process.env);
  const server = await startServer(config);
  const lines = [
    `shardcast: serving ${server.url}  (state dir ${config.stateDir}${config.backend === 'cluster' ? ', jobs run on the cluster' : ''})`,
  ];
  if (config.requireToken) {
    lines.push(
      `shardcast: API token${process.env.SHARDCAST_TOKEN ? ' (from SHARDCAST_TOKEN)' : ''}: ${process.env.SHARDCAST_TOKEN ? '(not shown)' : config.token}`,
    );
    lines.push(`shardcast: open ${server.url}/ and paste the token when asked`);
  }
  if (config.roots.length) lines.push(`shardcast: JSON jobs may read sources under ${config.roots.join(', ')}`);
  if (!existsSync(join(config.webDir!, 'index.html'))) lines.push('shardcast: the dashboard is not built (npm run build); the API works');
  lines.push('shardcast: Ctrl-C stops the server; running jobs stay resumable');
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolveStop) => {
    onStopSignal(() => {
      process.stderr.write('shardcast: stopping; running jobs are cancelled and can be resumed\n');
      server.close().then(resolveStop, (err: unknown) => {
        process.stderr.write(`shardcast: error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
        resolveStop();
      });
    });
  });
}
