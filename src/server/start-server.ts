/**
 * Starts `shardcast serve`: the Backend (local, or `--backend cluster`; the same as the CLI's, on the same state dir), the in-process
 * job runner, and the HTTP server. `close` stops every running job (they end `cancelled`, resumable), then
 * the server, then the ledger.
 */
import type { FastifyInstance } from 'fastify';
import { openBackend } from '../runtime/backend.js';
import { eventRelay, startNotifier } from '../runtime/start-notifier.js';
import { buildApp, type BuildAppOptions } from './app.js';
import { loadDefaultPrices } from './cost-estimate.js';
import { JobFiles } from './job-files.js';
import { JobRunner, LiveProgress } from './job-runner.js';
import type { ServerConfig } from './server-config.js';
import type { ServerContext } from './server-context.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: ServerContext;
  /** http://host:port (the bound port when 0 was asked for). */
  url: string;
  /** The port bound (the one picked when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, opts: BuildAppOptions = {}): Promise<RunningServer> {
  const live = new LiveProgress();
  // Webhooks: sent as the server's runs go, and owed ones retried on a timer (runtime/start-notifier.ts).
  const relay = eventRelay();
  const backend = await openBackend({
    kind: config.backend ?? 'local',
    stateDir: config.stateDir,
    env: config.env,
    ...(config.cluster ? { cluster: config.cluster } : {}),
    templates: config.templates,
    onProgress: live.onProgress,
    onEvent: relay.onEvent,
    ...(config.wrapMedia ? { wrapMedia: config.wrapMedia } : {}),
  });
  const notifier = startNotifier(backend.ledger, config.env);
  relay.to(notifier.notifier);
  let app: FastifyInstance | undefined;
  const log = {
    info: (m: string) => app?.log.info(m),
    warn: (m: string) => app?.log.warn(m),
  };
  const runner = new JobRunner(backend, live, log);
  const prices = loadDefaultPrices();
  const ctx: ServerContext = { config, backend, runner, live, files: new JobFiles(config.stateDir), ...(prices ? { prices } : {}) };
  try {
    app = await buildApp(ctx, opts);
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await app?.close().catch(() => undefined);
    await notifier.stop();
    await backend.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  const server = app;
  return {
    app: server,
    ctx,
    url: `http://${host}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        await runner.stopAll();
        await server.close();
        await notifier.stop(2000);
        await backend.close();
      })();
      return closing;
    },
  };
}
