/**
 * The server's fully specified configuration, built once at the edge (the `serve` command or a test) and
 * passed in explicitly. Nothing in src/server reads the environment.
 */
import type { MediaTool } from '../ports/media-tool.js';
import type { TemplateCatalog } from '../runtime/templates.js';

export interface ServerConfig {
  host: string;
  port: number;
  /** The state dir shared with the CLI: ledger.db, jobs/ (segments), uploads/, outputs/. */
  stateDir: string;
  /** Folders a JSON-submitted source path must lie under (after resolving links). Empty: uploads only. */
  roots: string[];
  /** Largest accepted upload, in bytes. */
  maxUploadBytes: number;
  /** When true every /api request needs `Authorization: Bearer <token>` (or `?token=`). */
  requireToken: boolean;
  token?: string;
  /** The built dashboard (web/dist); when absent the server answers / with a short note. */
  webDir?: string;
  /** Environment for the runtime (ffmpeg paths): passed in, never read here. */
  env: Record<string, string | undefined>;
  /** Log requests (pino) to stdout. */
  logRequests: boolean;
  /** The home its jobs run in: this machine (default) or a cluster of shardcast workers. */
  backend?: 'local' | 'cluster';
  /** The cluster's Redis and store (`serve --backend cluster`). */
  cluster?: { redis?: string; store?: string; s3Endpoint?: string; redisWaitSeconds?: string };
  /** The templates a job may name (`template`), read at start from `--config` / SHARDCAST_CONFIG / the working folder. */
  templates: TemplateCatalog;
  /** Test hook: wraps the ffmpeg runner to inject faults. Never set in production paths. */
  wrapMedia?: (media: MediaTool) => MediaTool;
}

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Whether a bind address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
