/**
 * The OpenAPI document, generated from the route schemas by @fastify/swagger and served at /openapi.json.
 * Register before the routes so every route is collected.
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance, requireToken: boolean): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'shardcast API',
        version: '0.1.0',
        description:
          'Submit, watch, inspect and repair segment-parallel transcoding jobs. The same ledger as the CLI: jobs ' +
          'started with `shardcast transcode` appear here live. Off loopback every request needs ' +
          '`Authorization: Bearer <token>` (or `?token=` for EventSource and media elements). Errors are ' +
          '`{ "error": code, "message": text }`.',
      },
      tags: [
        { name: 'jobs', description: 'transcoding jobs' },
        { name: 'pipelines', description: 'templates and watched folders: jobs started without a person' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(requireToken ? { security: [{ bearer: [] }] } : {}),
    },
  });
}

export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
