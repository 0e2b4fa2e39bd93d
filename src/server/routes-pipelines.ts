/**
 * What runs jobs without a person: GET /api/templates (the templates a job may name, with what each makes) and
 * GET /api/watches (the folders `shardcast watch` processes watch on this state dir, live or stopped).
 */
import type { FastifyInstance } from 'fastify';
import { listTemplates } from '../runtime/templates.js';
import { listWatchers } from '../runtime/watch-registry.js';
import { errorResponses, looseObject, tokenQuery } from './schemas.js';
import type { ServerContext } from './server-context.js';

const templateSchema = looseObject('a template: a named output specification', {
  name: { type: 'string' },
  from: { type: 'string', description: '`built-in`, or the file it came from' },
  output: { type: 'string', enum: ['mp4', 'mkv', 'webm', 'mov', 'hls'] },
  description: { type: 'string' },
  makes: { type: 'string', description: 'what it makes, in one line' },
  options: { type: 'object', additionalProperties: true, description: 'its options, by flag name' },
});

const watcherSchema = looseObject('a `shardcast watch` process and its folder', {
  dir: { type: 'string' },
  outDir: { type: 'string' },
  template: { type: 'string' },
  watcher: { type: 'string', description: 'host:pid/start of the watching process' },
  alive: { type: 'boolean', description: 'its process runs and wrote its state within a minute' },
  startedAt: { type: 'number' },
  heartbeatAt: { type: 'number' },
  done: { type: 'integer' },
  failed: { type: 'integer' },
  skipped: { type: 'integer', description: 'files found already run (a restart)' },
  running: looseObject('the job it runs now', { jobId: { type: 'string' }, file: { type: 'string' } }),
  lastError: { type: 'string' },
});

export function registerPipelineRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    '/api/templates',
    {
      schema: {
        summary: 'The templates a job may name (built-in and from the server’s shardcast.config), with what each makes',
        tags: ['pipelines'],
        querystring: tokenQuery,
        response: {
          200: {
            type: 'object',
            properties: { source: { type: ['string', 'null'] }, templates: { type: 'array', items: templateSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ source: ctx.config.templates.source ?? null, templates: listTemplates(ctx.config.templates) }),
  );

  app.get(
    '/api/watches',
    {
      schema: {
        summary: 'Folders watched by `shardcast watch` on this state dir: what each runs and has run',
        tags: ['pipelines'],
        querystring: tokenQuery,
        response: { 200: { type: 'object', properties: { watches: { type: 'array', items: watcherSchema } } }, ...errorResponses },
      },
    },
    async () => ({ watches: await listWatchers(ctx.config.stateDir) }),
  );
}
