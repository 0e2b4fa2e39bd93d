/**
 * Read and delete routes: GET /api/jobs, GET /api/workers, GET /api/jobs/:id, GET /api/jobs/:id/segments/:index,
 * GET /api/jobs/:id/output (Range supported), DELETE /api/jobs/:id.
 */
import { basename, dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../core/errors.js';
import type { TaskKind } from '../core/types.js';
import { HttpError } from './http-errors.js';
import { activeElsewhere, jobDetail, listJobItems, loadJob } from './job-queries.js';
import {
  errorResponses,
  jobIdParams,
  jobListItemSchema,
  jobViewSchema,
  segmentDetailSchema,
  segmentParams,
  segmentQuery,
  tokenQuery,
  workerSchema,
} from './schemas.js';
import type { ServerContext } from './server-context.js';

type IdParams = { id: string };

/** The files of a ladder's folder the server hands out: its playlists and renditions (I-frame playlists too). */
const LADDER_PATH =
  /^(master\.m3u8|manifest\.mpd|[vas]\d{1,5}\/(index\.m3u8|iframes\.m3u8|init\.mp4|seg_\d{5,}\.m4s|subtitles(-dash)?\.vtt))$/;

export function registerJobRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { ledger } = ctx.backend;

  app.get<{ Querystring: { limit: number } }>(
    '/api/jobs',
    {
      schema: {
        summary: 'List jobs, newest first',
        tags: ['jobs'],
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 }, ...tokenQuery.properties },
        },
        response: { 200: { type: 'object', properties: { jobs: { type: 'array', items: jobListItemSchema } } }, ...errorResponses },
      },
    },
    async (req) => ({ jobs: await listJobItems(ctx, req.query.limit) }),
  );

  app.get(
    '/api/workers',
    {
      schema: {
        summary: "The home and its workers: a cluster's shardcast workers (host, pid, tasks, last heartbeat); none on other homes",
        tags: ['jobs'],
        querystring: tokenQuery,
        response: {
          200: { type: 'object', properties: { backend: { type: 'string' }, workers: { type: 'array', items: workerSchema } } },
          ...errorResponses,
        },
      },
    },
    async () => ({ backend: ctx.backend.kind, workers: (await ctx.backend.workers?.()) ?? [] }),
  );

  app.get<{ Params: IdParams }>(
    '/api/jobs/:id',
    {
      schema: {
        summary: 'A job with its status, segments and totals',
        tags: ['jobs'],
        params: jobIdParams,
        querystring: tokenQuery,
        response: { 200: jobViewSchema, ...errorResponses },
      },
    },
    async (req) => jobDetail(ctx, req.params.id),
  );

  app.get<{ Params: { id: string; index: number }; Querystring: { kind: TaskKind } }>(
    '/api/jobs/:id/segments/:index',
    {
      schema: {
        summary: 'One task record: range, ffmpeg arguments, exit code, stderr tail, output checksum',
        tags: ['jobs'],
        params: segmentParams,
        querystring: segmentQuery,
        response: { 200: segmentDetailSchema, ...errorResponses },
      },
    },
    async (req) => {
      await loadJob(ctx, req.params.id);
      const task = await ledger.getTask({ jobId: req.params.id, kind: req.query.kind, index: req.params.index });
      if (!task) throw new NotFoundError(`job ${req.params.id} has no ${req.query.kind} task ${req.params.index}`);
      return task;
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/jobs/:id/output',
    {
      schema: {
        summary: 'Download (or stream) the finished output; supports Range requests',
        tags: ['jobs'],
        params: jobIdParams,
        querystring: tokenQuery,
        response: { 200: { type: 'string', format: 'binary' }, 206: { type: 'string', format: 'binary' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const job = await loadJob(ctx, req.params.id);
      if (job.status !== 'done')
        throw new HttpError(409, 'conflict', `job ${job.id} is ${job.status}; the output is there once it is done`);
      if (job.output.startsWith('s3://')) throw new HttpError(409, 'conflict', 'the output is in S3; download it from there');
      reply.header('content-disposition', `inline; filename="shardcast-${job.id}.${job.options.profile.container}"`);
      return reply.sendFile(basename(job.output), dirname(job.output), { dotfiles: 'allow', acceptRanges: true, cacheControl: false });
    },
  );

  app.get<{ Params: IdParams & { '*': string } }>(
    '/api/jobs/:id/ladder/*',
    {
      schema: {
        summary: "A file of a finished ladder (HLS/DASH): master.m3u8, manifest.mpd, a rendition's playlist, init or media segment",
        tags: ['jobs'],
        querystring: tokenQuery,
        response: { 200: { type: 'string', format: 'binary' }, 206: { type: 'string', format: 'binary' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const job = await loadJob(ctx, req.params.id);
      if (!job.options.profile.ladder)
        throw new HttpError(409, 'conflict', `job ${job.id} made one file, not a ladder: GET /api/jobs/${job.id}/output`);
      if (job.status !== 'done')
        throw new HttpError(409, 'conflict', `job ${job.id} is ${job.status}; the ladder is there once it is done`);
      if (job.output.startsWith('s3://')) throw new HttpError(409, 'conflict', 'the ladder is in S3; serve it from there');
      const rel = req.params['*'];
      // Only the names a ladder has (the folder may hold other files of the user's): no way up, no dot files.
      if (!LADDER_PATH.test(rel)) throw new HttpError(404, 'not_found', `no ladder file ${JSON.stringify(rel)}`);
      return reply.sendFile(rel, dirname(job.output), { dotfiles: 'deny', acceptRanges: true, cacheControl: false });
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/jobs/:id',
    {
      schema: {
        summary: 'Delete a job: its ledger records, segment files, upload and server-made output',
        tags: ['jobs'],
        params: jobIdParams,
        querystring: tokenQuery,
        response: { 200: { type: 'object', properties: { deleted: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (req) => {
      const job = await loadJob(ctx, req.params.id);
      const tasks = await ledger.listTasks(job.id);
      if (ctx.runner.isRunning(job.id) || activeElsewhere(ctx, job, tasks)) {
        throw new HttpError(409, 'conflict', `job ${job.id} is running; cancel it first`);
      }
      await ctx.files.remove(job.id);
      await ctx.backend.remove(job.id);
      return { deleted: job.id };
    },
  );
}
