/**
 * Repair and control: POST /api/jobs/:id/retry (failed segments only), /resume (everything not done),
 * /cancel (stops this server's run; the job stays resumable), /quality (a done job's quality report). Retry and resume answer 202 and run in the
 * background (a job that failed in analysis, before it had segments, is refused: it would fail the same way); the job's state is then followed through GET /api/jobs/:id or the event stream.
 */
import type { FastifyInstance } from 'fastify';
import type { JobRecord } from '../core/types.js';
import { HttpError } from './http-errors.js';
import type { RunAction } from './job-runner.js';
import { activeElsewhere, jobDetail, loadJob } from './job-queries.js';
import { errorResponses, jobIdParams, jobViewSchema, tokenQuery } from './schemas.js';
import type { ServerContext } from './server-context.js';

type IdParams = { id: string };

async function checkStartable(ctx: ServerContext, job: JobRecord, action: RunAction): Promise<void> {
  if (ctx.runner.isRunning(job.id)) throw new HttpError(409, 'conflict', `job ${job.id} is already running`);
  const tasks = await ctx.backend.ledger.listTasks(job.id);
  if (activeElsewhere(ctx, job, tasks)) throw new HttpError(409, 'conflict', `job ${job.id} is running in another process`);
  if (job.status === 'done') throw new HttpError(409, 'conflict', `job ${job.id} is already done`);
  // Failed on its source (an unreadable or unsupported file: app/run-steps.ts refuseInputFailure, the CLI's rule):
  // running it again fails the same way. A failure of anything else in analysis (a full disk) can be run again.
  if (job.status === 'failed' && job.errorKind === 'input') {
    const why = (job.error ?? 'its source was refused').split('\n')[0];
    const when = job.plan ? 'on its source' : 'before it was planned';
    throw new HttpError(409, 'conflict', `job ${job.id} failed ${when}: ${why}; fix the input and start a new job`);
  }
  if (action === 'retry') {
    if (job.status !== 'failed' && job.status !== 'cancelled') {
      throw new HttpError(409, 'conflict', `job ${job.id} is ${job.status}; only failed or cancelled jobs can be retried`);
    }
    if (job.plan && !tasks.some((t) => t.status === 'failed')) {
      throw new HttpError(409, 'conflict', `job ${job.id} has no failed segments; use resume to run what is not done`);
    }
  }
}

export function registerActionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const schema = (summary: string, code: number) => ({
    summary,
    tags: ['jobs'],
    params: jobIdParams,
    querystring: tokenQuery,
    response: { [code]: jobViewSchema, ...errorResponses },
  });

  for (const action of ['retry', 'resume'] as const) {
    const summary =
      action === 'retry'
        ? 'Re-run only the failed segments of a failed or cancelled job'
        : 'Continue a stopped, failed or crashed job: runs only what is not done';
    app.post<{ Params: IdParams }>(`/api/jobs/:id/${action}`, { schema: schema(summary, 202) }, async (req, reply) => {
      const job = await loadJob(ctx, req.params.id);
      await checkStartable(ctx, job, action);
      ctx.runner.start(job.id, action);
      return reply.code(202).send(await jobDetail(ctx, job.id));
    });
  }

  app.post<{ Params: IdParams }>(
    '/api/jobs/:id/quality',
    {
      schema: schema(
        "Measure a done job's output against its source: PSNR and SSIM, whole and at every seam (one decode of each); the report lands in the job's `quality`",
        202,
      ),
    },
    async (req, reply) => {
      const job = await loadJob(ctx, req.params.id);
      if (ctx.runner.isRunning(job.id)) throw new HttpError(409, 'conflict', `job ${job.id} is already running`);
      if (job.status !== 'done') throw new HttpError(409, 'conflict', `job ${job.id} is ${job.status}; a quality report needs a done job`);
      ctx.runner.start(job.id, 'quality');
      return reply.code(202).send(await jobDetail(ctx, job.id));
    },
  );

  app.post<{ Params: IdParams }>(
    '/api/jobs/:id/cancel',
    {
      schema: schema('Stop a job this server is running; it stays resumable (status cancelled)', 200),
    },
    async (req) => {
      const job = await loadJob(ctx, req.params.id);
      if (!(await ctx.runner.cancel(job.id))) {
        const tasks = await ctx.backend.ledger.listTasks(job.id);
        const where = activeElsewhere(ctx, job, tasks) ? 'it runs in another process; stop that process (Ctrl-C)' : `it is ${job.status}`;
        throw new HttpError(409, 'conflict', `job ${job.id} is not running in this server: ${where}`);
      }
      return jobDetail(ctx, job.id);
    },
  );
}
