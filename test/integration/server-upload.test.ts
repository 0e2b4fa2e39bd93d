/**
 * The upload cap on a real server (cap 5 MB here): a request declaring 2 GB is refused before its body is
 * read, a chunked body that runs past the cap is cut off, and neither leaves a file behind. The bodies are
 * generated as they are sent (nothing near 2 GB is allocated or written anywhere).
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api, startTestServer, type TestServer } from '../e2e/support/server-harness.js';

const CAP = 5 * 1024 * 1024;
const BOUNDARY = '----shardcast-test-boundary';
const HEAD = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="segmentSeconds"\r\n\r\n1\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
);

interface SendResult {
  status: number;
  body: string;
  sentBytes: number;
}

/**
 * Streams a multipart body of `totalBytes` (generated chunk by chunk) and stops sending as soon as the
 * server answers. `declared` sets Content-Length; without it the body goes chunked.
 */
function sendLargeUpload(base: string, totalBytes: number, declared: boolean): Promise<SendResult> {
  const u = new URL(base);
  const chunk = Buffer.alloc(256 * 1024, 0x41);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const headers: Record<string, string | number> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
    if (declared) headers['content-length'] = HEAD.length + totalBytes;
    const req = request({ host: u.hostname, port: u.port, path: '/api/jobs', method: 'POST', headers });
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, sentBytes: sent });
        req.destroy();
      });
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, sentBytes: sent }));
    });
    req.on('error', (err) => {
      if (!answered) reject(new Error(`no answer before the connection failed (${err.message}) after ${sent} bytes`));
    });
    req.write(HEAD);
    const pump = () => {
      while (!answered && !req.destroyed && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && sent >= totalBytes) req.end(`\r\n--${BOUNDARY}--\r\n`);
    };
    pump();
  });
}

function filesUnder(dir: string): Array<{ path: string; size: number }> {
  const out: Array<{ path: string; size: number }> = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else out.push({ path: p, size: st.size });
  }
  return out;
}

describe('server upload cap', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ maxUploadBytes: CAP });
  });
  after(async () => srv?.close());

  it('refuses a declared 2 GB upload before reading its body', async (t) => {
    const r = await sendLargeUpload(srv.url, 2 * 1024 * 1024 * 1024, true);
    t.diagnostic(`the client had sent ${r.sentBytes} bytes when the answer came`);
    assert.equal(r.status, 413, r.body);
    assert.equal(JSON.parse(r.body).error, 'too_large');
    assert.match(JSON.parse(r.body).message, /5 MiB/);
    assert.ok(r.sentBytes < 256 * 1024 * 1024, `sent ${r.sentBytes} bytes before the answer`);
    assert.deepEqual(filesUnder(join(srv.stateDir, 'uploads')), []);
  });

  it('cuts off a chunked 2 GB upload at the cap and removes the partial file', async (t) => {
    const r = await sendLargeUpload(srv.url, 2 * 1024 * 1024 * 1024, false);
    t.diagnostic(`the client had sent ${r.sentBytes} bytes when the answer came`);
    assert.equal(r.status, 413, r.body);
    assert.equal(JSON.parse(r.body).error, 'too_large');
    assert.ok(r.sentBytes < 512 * 1024 * 1024, `sent ${r.sentBytes} bytes before the answer`);
    assert.deepEqual(filesUnder(join(srv.stateDir, 'uploads')), []);
    const total = filesUnder(srv.stateDir).reduce((s, f) => s + f.size, 0);
    assert.ok(total < CAP, `state dir holds ${total} bytes`);
  });

  it('still accepts an upload under the cap (the server keeps working)', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(CAP - 1024, 1)]), 'under-cap.mp4');
    const r = await api(srv.url, 'POST', '/api/jobs', { body: form });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const files = filesUnder(join(srv.stateDir, 'uploads', r.body.id)).map((f) => f.path.split('/').pop());
    assert.deepEqual(files.sort(), ['meta.json', 'source.mp4']);
  });
});
