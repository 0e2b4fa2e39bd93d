/**
 * Serves the built dashboard (web/dist) at `/`, with the SPA fallback (any other GET that accepts HTML,
 * such as /jobs/<id>, gets index.html), and unknown /api paths as JSON 404s. Also registers @fastify/static's
 * `reply.sendFile` (Range, ETag), which the output download uses.
 */
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>shardcast</title>
<p>The dashboard is not built. Run <code>npm run build</code> (or <code>npx vite build web</code>) and restart
<code>shardcast serve</code>. The API is at <a href="/openapi.json">/openapi.json</a>.</p>`;

export async function registerStaticWeb(app: FastifyInstance, webDir: string | undefined, fallbackRoot: string): Promise<void> {
  const built = !!webDir && existsSync(webDir) && existsSync(`${webDir}/index.html`);
  if (built) {
    await app.register(fastifyStatic, { root: webDir, index: false, wildcard: true, maxAge: 0, cacheControl: true });
    app.get('/', { schema: { hide: true } }, (_req, reply) => reply.sendFile('index.html', webDir, { cacheControl: false }));
  } else {
    await app.register(fastifyStatic, { root: fallbackRoot, serve: false });
    app.get('/', { schema: { hide: true } }, (_req, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT));
  }
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const wantsHtml = (req.headers.accept ?? '').includes('text/html');
    if (req.method === 'GET' && !path.startsWith('/api/') && path !== '/api' && wantsHtml) {
      if (built) return reply.sendFile('index.html', webDir, { cacheControl: false });
      return reply.type('text/html; charset=utf-8').send(NOT_BUILT);
    }
    return reply
      .code(404)
      .type('application/json')
      .send({ error: 'not_found', message: `no route ${req.method} ${path}` });
  });
}
