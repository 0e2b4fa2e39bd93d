/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 endpoint that damages uploads on their way: the body of the first
 * `times` PUT requests whose path matches has one byte flipped (same length, same headers, so neither the client
 * nor an S3 emulator that checks no checksum can tell). Everything else passes through unchanged.
 */
import { createServer, request, type IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';

export interface CorruptingProxy {
  endpoint: string;
  /** The paths of the uploads it damaged. */
  damaged: string[];
  stop(): Promise<void>;
}

/** Flips the byte at `offset` of the stream (or its last byte, if the stream is shorter). */
function flipByteAt(offset: number): Transform {
  let seen = 0;
  let flipped = false;
  let last: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (last) this.push(last);
      const buf = Buffer.from(chunk);
      if (!flipped && offset >= seen && offset < seen + buf.length) {
        buf[offset - seen] = buf[offset - seen]! ^ 0xff;
        flipped = true;
      }
      seen += buf.length;
      last = buf;
      done();
    },
    flush(done) {
      if (last) {
        if (!flipped && last.length) last[last.length - 1] = last[last.length - 1]! ^ 0xff;
        this.push(last);
      }
      done();
    },
  });
}

export async function startCorruptingProxy(target: string, opts: { match: RegExp; times?: number; offset?: number }): Promise<CorruptingProxy> {
  const upstream = new URL(target);
  const damaged: string[] = [];
  let left = opts.times ?? 1;
  const server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    const damage = req.method === 'PUT' && left > 0 && opts.match.test(path.split('?')[0]!);
    if (damage) {
      left--;
      damaged.push(path.split('?')[0]!);
    }
    const { expect: _expect, ...headers } = req.headers;
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    (damage ? req.pipe(flipByteAt(opts.offset ?? 4096)) : req).pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    damaged,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
