/**
 * GET /api/jobs/:id/thumbnails/:file: a done job's poster (`poster.jpg`), sprite sheets (`sprite-N.jpg`) and
 * their WebVTT map (`thumbnails.vtt`), made with `--thumbnails` (app/thumbnails/publish-thumbnails.ts). Only the
 * files its result names are served, from the folder they were written to.
 */
import { basename, dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-errors.js';
import { loadJob } from './job-queries.js';
import { errorResponses, tokenQuery } from './schemas.js';
import type { ServerContext } from './server-context.js';

const CONTENT_TYPES: Record<string, string> = { jpg: 'image/jpeg', vtt: 'text/vtt; charset=utf-8' };

export function registerThumbnailRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { id: string; file: string } }>(
    '/api/jobs/:id/thumbnails/:file',
    {
      schema: {
        summary: "A done job's thumbnails (--thumbnails): poster.jpg, sprite-N.jpg or thumbnails.vtt (cues name the sheets relatively)",
        tags: ['jobs'],
        params: {
          type: 'object',
          required: ['id', 'file'],
          properties: {
            id: { type: 'string' },
            file: { type: 'string', pattern: '^(poster\\.jpg|sprite-\\d{1,5}\\.jpg|thumbnails\\.vtt)$' },
          },
        },
        querystring: tokenQuery,
        response: { 200: { type: 'string', format: 'binary' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const job = await loadJob(ctx, req.params.id);
      const t = job.result?.thumbnails;
      if (!t) {
        if (job.status !== 'done' && job.options.thumbnails)
          throw new HttpError(409, 'conflict', `job ${job.id} is ${job.status}; its thumbnails are there once it is done`);
        throw new HttpError(404, 'not_found', `job ${job.id} has no thumbnails (transcode with --thumbnails SECONDS)`);
      }
      const file = [t.poster, t.vtt, ...t.sprites].find((f) => basename(f) === req.params.file);
      if (!file) throw new HttpError(404, 'not_found', `job ${job.id} has no thumbnail file ${JSON.stringify(req.params.file)}`);
      if (file.startsWith('s3://')) throw new HttpError(409, 'conflict', 'the thumbnails are in S3; serve them from there');
      reply.type(CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1)]!);
      return reply.sendFile(basename(file), dirname(file), { dotfiles: 'deny', cacheControl: false });
    },
  );
}
