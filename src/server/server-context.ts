/**
 * What the routes share, built once by `startServer` (or a test) and passed in explicitly.
 */
import type { AwsPrices } from '../core/cost-model.js';
import type { Backend } from '../runtime/backend.js';
import type { JobFiles } from './job-files.js';
import type { JobRunner, LiveProgress } from './job-runner.js';
import type { ServerConfig } from './server-config.js';

export interface ServerContext {
  config: ServerConfig;
  /** The home the server's jobs run in (the CLI's local one, on the same state dir). */
  backend: Backend;
  runner: JobRunner;
  live: LiveProgress;
  files: JobFiles;
  /** Prices for the cost estimate shown with each done job (undefined: no estimate). */
  prices?: AwsPrices;
}
