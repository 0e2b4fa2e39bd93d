/**
 * A webhook receiver for tests: node:http on 127.0.0.1 that keeps every POST (headers, raw body) and checks
 * its signature with plain node:crypto, as a receiver that uses no shardcast code would (Stripe's scheme:
 * HMAC-SHA256 of "<t>.<raw body>", hex, in `Shardcast-Signature: t=..,v1=..`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { type: string; id: string; jobId: string; createdAt: string; data: Record<string, unknown> };
  /** Whether the signature verified under the receiver's secret (node:crypto alone). */
  signed: boolean;
}

export function verifyWithNodeCrypto(secret: string, raw: string, header: string | undefined, nowSeconds: number): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m || Math.abs(nowSeconds - Number(m[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Resolves once `n` deliveries have come (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Listens on `port` (0: a free one); answers `status(i)` to the i-th POST (default 200). */
export async function startReceiver(secret: string, opts: { port?: number; status?: (i: number) => number } = {}): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['shardcast-signature'];
      const signed = verifyWithNodeCrypto(secret, raw, typeof header === 'string' ? header : undefined, Math.floor(Date.now() / 1000));
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) as Received['body'], signed });
      res.writeHead(opts.status?.(received.length - 1) ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    async waitFor(n, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > end)
          throw new Error(`expected ${n} deliveries, got ${received.length}: ${received.map((r) => r.body.type).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on now (a receiver that is down), to start a receiver on later. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
