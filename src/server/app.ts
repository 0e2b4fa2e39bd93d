/**
 * Builds the fastify instance from explicit dependencies: guards, error mapping, OpenAPI, the job routes,
 * the event stream and the dashboard. No listening here (see start-server.ts).
 */
import fastifyMultipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { installAuth } from './auth.js';
import { installErrorHandlers } from './http-errors.js';
import { registerOpenApi, registerOpenApiRoute } from './openapi.js';
import { registerActionRoutes } from './routes-actions.js';
import { registerCreateRoute } from './routes-create.js';
import { registerDeliveryRoutes } from './routes-deliveries.js';
import { registerJobRoutes } from './routes-jobs.js';
import { registerPipelineRoutes } from './routes-pipelines.js';
import { registerThumbnailRoutes } from './routes-thumbnails.js';
import type { ServerContext } from './server-context.js';
import { registerEventStream, type SseTiming } from './sse.js';
import { registerStaticWeb } from './static-web.js';

export interface BuildAppOptions {
  sseTiming?: SseTiming;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Tokens may travel in URLs (EventSource, <video>): never leak them to other sites.
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
};

export async function buildApp(ctx: ServerContext, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = Fastify({
    logger: config.logRequests ? { level: 'info' } : false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  });
  app.addHook('onSend', async (_req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
  });
  installErrorHandlers(app);
  installAuth(app, { requireToken: config.requireToken, ...(config.token ? { token: config.token } : {}) });
  await registerOpenApi(app, config.requireToken);
  await app.register(fastifyMultipart, { throwFileSizeLimit: true, limits: { fileSize: config.maxUploadBytes, files: 1 } });
  registerCreateRoute(app, ctx);
  registerJobRoutes(app, ctx);
  registerPipelineRoutes(app, ctx);
  registerThumbnailRoutes(app, ctx);
  registerActionRoutes(app, ctx);
  registerDeliveryRoutes(app, ctx);
  registerEventStream(app, ctx, opts.sseTiming);
  registerOpenApiRoute(app);
  await registerStaticWeb(app, config.webDir, config.stateDir);
  return app;
}
