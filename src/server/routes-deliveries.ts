/**
 * GET /api/jobs/:id/deliveries: a job's webhook deliveries (`notify`), each with its attempts so far, from the
 * job's events (core/webhook.ts deliveriesOf): what the dashboard's job page shows.
 */
import type { FastifyInstance } from 'fastify';
import { deliveriesOf } from '../core/webhook.js';
import { loadJob } from './job-queries.js';
import { deliverySchema, errorResponses, jobIdParams, tokenQuery } from './schemas.js';
import type { ServerContext } from './server-context.js';

export function registerDeliveryRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { id: string } }>(
    '/api/jobs/:id/deliveries',
    {
      schema: {
        summary: "A job's webhook deliveries (its notify URLs), with their attempts",
        tags: ['jobs'],
        params: jobIdParams,
        querystring: tokenQuery,
        response: {
          200: { type: 'object', properties: { deliveries: { type: 'array', items: deliverySchema } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const job = await loadJob(ctx, req.params.id);
      return { deliveries: deliveriesOf(job, await ctx.backend.ledger.listEvents(job.id)) };
    },
  );
}
