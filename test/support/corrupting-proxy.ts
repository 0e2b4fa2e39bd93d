/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 endpoint that damages uploads on their way: the body of the first
 * `times` PUT requests whose path matches has its byte at `offset` (default 4096) flipped: same length, same
 * headers, so neither the client nor an S3 emulator that checks no checksum can tell. Everything else passes
 * through unchanged.
 * `startCuttingProxy` is its twin for downloads: it drops the connection part-way through a GET.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { Transform } from 'node:stream';

export interface CorruptingProxy {
  endpoint: string;
  /** The paths of the uploads it damaged (a matched upload shorter than the offset is not). */
  damaged: string[];
  stop(): Promise<void>;
}

/** Flips the byte at `offset` of the stream, if it has one, and then calls `onFlip`. */
function flipByteAt(offset: number, onFlip: () => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (offset >= seen && offset < seen + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[offset - seen] = chunk[offset - seen]! ^ 0xff;
        onFlip();
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
}

/** Serves on 127.0.0.1 at a free port: its endpoint, and a stop that drops every connection. */
async function listen(server: Server): Promise<{ endpoint: string; stop(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startCorruptingProxy(
  target: string,
  opts: { match: RegExp; times?: number; offset?: number },
): Promise<CorruptingProxy> {
  const upstream = new URL(target);
  const damaged: string[] = [];
  let left = opts.times ?? 1;
  const server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    const pathname = path.split('?')[0]!;
    const damage = req.method === 'PUT' && left > 0 && opts.match.test(pathname);
    if (damage) left--;
    const { expect: _expect, ...headers } = req.headers;
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    (damage ? req.pipe(flipByteAt(opts.offset ?? 4096, () => damaged.push(pathname))) : req).pipe(out);
  });
  return { ...(await listen(server)), damaged };
}

export interface CuttingProxy {
  endpoint: string;
  /** The paths of the downloads it cut. */
  cut: string[];
  stop(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 endpoint that cuts downloads short: the first `times` GET
 * requests whose path matches get the upstream's status and headers (the whole Content-Length) and then only
 * `after` bytes of the body before the connection is dropped, as a reset mid-read does. GETs from an offset (a
 * reader's reconnect) and everything else pass through unchanged.
 */
export async function startCuttingProxy(target: string, opts: { match: RegExp; times?: number; after?: number }): Promise<CuttingProxy> {
  const upstream = new URL(target);
  const cut: string[] = [];
  let left = opts.times ?? 1;
  const server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    const pathname = path.split('?')[0]!;
    // ffmpeg asks for `bytes=0-` on its first read; a reconnect asks from where it stopped.
    const fromStart = !req.headers.range || req.headers.range === 'bytes=0-';
    const cutThis = req.method === 'GET' && fromStart && left > 0 && opts.match.test(pathname);
    if (cutThis) left--;
    const { expect: _expect, ...headers } = req.headers;
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (!cutThis) return void up.pipe(res);
      let sent = 0;
      const limit = opts.after ?? 4096;
      up.on('data', (chunk: Buffer) => {
        if (sent >= limit) return;
        const part = chunk.subarray(0, limit - sent);
        sent += part.length;
        res.write(part);
        if (sent >= limit) {
          cut.push(pathname);
          up.destroy();
          res.socket?.destroy();
        }
      });
      up.on('end', () => res.end());
    });
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(out);
  });
  return { ...(await listen(server)), cut };
}
