/**
 * Request guards, run before routing:
 * - off loopback (`requireToken`), every /api request and /openapi.json needs the token, as
 *   `Authorization: Bearer <token>` or `?token=` (for EventSource and <video>, which cannot send headers);
 * - on loopback, the Host header must name this machine (a page on another site cannot reach the API through
 *   DNS rebinding);
 * - a state-changing request that carries an Origin must come from this server's own origin (no CSRF from
 *   other sites through simple form posts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';

export interface AuthOptions {
  requireToken: boolean;
  token?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function givenToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m?.[1];
  }
  const q = req.query as Record<string, unknown> | undefined;
  return typeof q?.token === 'string' ? q.token : undefined;
}

function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.replace(/:\d+$/, '');
}

const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function needsGuard(url: string): boolean {
  return url.startsWith('/api/') || url === '/api' || url.startsWith('/openapi.json');
}

export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  if (opts.requireToken && !opts.token) throw new Error('requireToken is set but no token was given');
  app.addHook('onRequest', async (req) => {
    const host = req.headers.host ?? '';
    if (!opts.requireToken && !LOCAL_NAMES.has(hostName(host)) && !/^127\.\d+\.\d+\.\d+$/.test(hostName(host))) {
      throw new HttpError(403, 'forbidden', 'this server only answers requests addressed to localhost');
    }
    if (!needsGuard(req.url)) return;
    const origin = req.headers.origin;
    if (origin && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        /* an unparsable origin is refused below */
      }
      if (originHost !== host) throw new HttpError(403, 'forbidden', 'cross-origin requests are not accepted');
    }
    if (opts.requireToken && !tokenMatches(givenToken(req), opts.token!)) {
      throw new HttpError(
        401,
        'unauthorized',
        'this server needs a token: send "Authorization: Bearer <token>" (printed by `shardcast serve`, or SHARDCAST_TOKEN)',
      );
    }
  });
}
