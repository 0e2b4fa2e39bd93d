/**
 * What runs jobs without a person: GET /api/templates (the templates a job may name, with what each makes) and
 * GET /api/watches (the folders `shardcast watch` processes watch on this state dir, live or stopped).
 */
import type { FastifyInstance } from 'fastify';
import { listTemplates } from '../runtime/templates.js';
import { listWatchers } from '../runtime/watch-registry.js';
import { errorResponses, templateSchema, tokenQuery, watcherSchema } from './schemas.js';
import type { ServerContext } from './server-context.js';

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
