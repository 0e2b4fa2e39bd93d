/**
 * `shardcast serve`: normalizes the flags (and SHARDCAST_TOKEN) into a ServerConfig, starts the server,
 * prints the URL (and the token off loopback), and on Ctrl-C stops it, leaving running jobs resumable.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { isLoopback, type ServerConfig } from '../server/server-config.js';
import { startServer } from '../server/start-server.js';
import { stateDirOf } from '../runtime/job-paths.js';
import type { GlobalFlags } from './commands.js';
import { clusterFlags } from './cluster-flags.js';
import { onStopSignal } from './signals.js';
import { flagText } from './flag-text.js';
import { BUILTIN_TEMPLATES } from '../core/templates.js';
import { type TemplateCatalog } from '../runtime/templates.js';
import { loadTemplateCatalog } from '../runtime/template-files.js';

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

export function buildServerConfig(
  flags: GlobalFlags & Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  templates: TemplateCatalog = { templates: [...BUILTIN_TEMPLATES] },
): ServerConfig {
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
    cluster: clusterFlags(flags),
    logRequests: flags.debug === true,
    templates,
  };
}

/** Whether a bind address is every interface of the machine (a URL a browser can open must name another). */
export function isWildcardHost(host: string): boolean {
  return ['0.0.0.0', '::', '[::]', '::0', '0:0:0:0:0:0:0:0'].includes(host);
}

/**
 * The URLs a person can open for a server bound to every interface: loopback first, then each non-internal
 * address of this machine (IPv4 for 0.0.0.0; IPv4 and IPv6 for ::, link-local IPv6 left out: it needs a zone).
 */
export function openableUrls(host: string, port: number, interfaces: ReturnType<typeof networkInterfaces>): string[] {
  const v6 = host !== '0.0.0.0';
  const urls = [`http://127.0.0.1:${port}/`];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') urls.push(`http://${a.address}:${port}/`);
      else if (v6 && a.family === 'IPv6' && !/^fe80:/i.test(a.address)) urls.push(`http://[${a.address}]:${port}/`);
    }
  }
  return [...new Set(urls)];
}

/** A listen error a person can act on, as one line (exit 2); anything else as it is. */
export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new UsageError(`port ${port} on ${host} is in use: stop what holds it or pass --port N`);
  if (code === 'EACCES')
    return new UsageError(`port ${port} on ${host} needs privileges this user lacks: pass --port N with N from 1024 up`);
  if (code === 'EADDRNOTAVAIL')
    return new UsageError(`${host} is not an address of this machine: pass --host with one of its addresses, or 0.0.0.0 for all`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UsageError(`--host ${host} does not resolve to an address`);
  return err;
}

/** What `serve` prints once it listens: where to open it, the token, the roots. */
export function servingLines(
  config: Pick<ServerConfig, 'host' | 'stateDir' | 'backend' | 'requireToken' | 'token' | 'roots'>,
  url: string,
  port: number,
  env: NodeJS.ProcessEnv,
  interfaces: ReturnType<typeof networkInterfaces>,
): string[] {
  const where = `state dir ${config.stateDir}${config.backend === 'cluster' ? ', jobs run on the cluster' : ''}`;
  const wildcard = isWildcardHost(config.host);
  const urls = wildcard ? openableUrls(config.host, port, interfaces) : [`${url}/`];
  const lines = wildcard
    ? [
        `shardcast: listening on all interfaces (${config.host}), port ${port}  (${where})`,
        `shardcast: open ${urls[0]} on this machine${urls.length > 1 ? `, or from another: ${urls.slice(1).join('  ')}` : ''}`,
      ]
    : [`shardcast: serving ${url}  (${where})`];
  if (config.requireToken) {
    lines.push(
      `shardcast: API token${env.SHARDCAST_TOKEN ? ' (from SHARDCAST_TOKEN)' : ''}: ${env.SHARDCAST_TOKEN ? '(not shown)' : config.token}`,
    );
    lines.push(`shardcast: open ${wildcard ? 'one of those URLs' : urls[0]} and paste the token when asked`);
  }
  return lines;
}

export async function serveCommand(flags: GlobalFlags & Record<string, unknown>): Promise<void> {
  // A wrong template file stops the server here, in one line, rather than every job that names one.
  const templates = await loadTemplateCatalog({
    ...(flags.config ? { explicit: flags.config } : {}),
    env: process.env,
    cwd: process.cwd(),
  });
  const config = buildServerConfig(flags, process.env, templates);
  let server;
  try {
    server = await startServer(config);
  } catch (err) {
    throw listenError(err, config.host, config.port);
  }
  const lines = servingLines(config, server.url, server.port, process.env, networkInterfaces());
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
