/**
 * GET /api/jobs/:id/events: Server-Sent Events. Polls the ledger's event log (`listEvents(jobId, afterSeq)`),
 * so events written by any process sharing the ledger (a CLI run) arrive too; each is sent as `job-event`
 * with its seq as the SSE id (a reconnecting EventSource resumes after Last-Event-ID). A `snapshot` (the
 * job detail with live frame counts) follows every batch of events and is repeated periodically.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { jobDetail, loadJob } from './job-queries.js';
import { errorResponses, jobIdParams } from './schemas.js';
import type { ServerContext } from './server-context.js';

export interface SseTiming {
  pollMs: number;
  snapshotMs: number;
  keepAliveMs: number;
}

const DEFAULT_TIMING: SseTiming = { pollMs: 400, snapshotMs: 2000, keepAliveMs: 15_000 };

function send(res: ServerResponse, event: string, data: unknown, id?: number): void {
  res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export function registerEventStream(app: FastifyInstance, ctx: ServerContext, timing: SseTiming = DEFAULT_TIMING): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get<{ Params: { id: string }; Querystring: { after?: number } }>(
    '/api/jobs/:id/events',
    {
      schema: {
        summary: 'Server-Sent Events: `job-event` (the ledger event log, id = seq) and `snapshot` (the job detail); `gone` when deleted',
        tags: ['jobs'],
        params: jobIdParams,
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'integer', minimum: 0, description: 'send events after this seq' },
            token: { type: 'string', maxLength: 512 },
          },
        },
        response: { 200: { description: 'text/event-stream', type: 'string' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      await loadJob(ctx, id);
      const header = Number(req.headers['last-event-id']);
      let lastSeq = Number.isInteger(header) && header >= 0 ? header : (req.query.after ?? 0);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      let busy = false;
      let lastSnapshot = 0;
      let lastWrite = Date.now();
      let lastSnapshotJson = '';
      const tick = async () => {
        if (busy || res.writableEnded) return;
        busy = true;
        try {
          const events = await ctx.backend.ledger.listEvents(id, lastSeq);
          for (const e of events) {
            send(res, 'job-event', e, e.seq);
            lastSeq = e.seq;
          }
          const now = Date.now();
          const live = Object.keys(ctx.live.forJob(id)).length > 0;
          if (events.length > 0 || live || now - lastSnapshot >= timing.snapshotMs) {
            const detail = await jobDetail(ctx, id).catch(() => undefined);
            if (!detail) {
              send(res, 'gone', { id });
              stop();
              return;
            }
            const json = JSON.stringify(detail);
            if (json !== lastSnapshotJson || now - lastSnapshot >= timing.snapshotMs) {
              res.write(`event: snapshot\ndata: ${json}\n\n`);
              lastSnapshotJson = json;
              lastSnapshot = now;
              lastWrite = now;
            }
          }
          if (events.length > 0) lastWrite = now;
          if (now - lastWrite >= timing.keepAliveMs) {
            res.write(': keep-alive\n\n');
            lastWrite = now;
          }
        } catch (err) {
          req.log.warn({ err }, 'event stream poll failed');
        } finally {
          busy = false;
        }
      };
      const timer = setInterval(() => void tick(), timing.pollMs);
      function stop() {
        clearInterval(timer);
        open.delete(stop);
        if (!res.writableEnded) res.end();
      }
      open.add(stop);
      res.on('close', stop);
      res.on('error', stop);
      void tick();
    },
  );
}
