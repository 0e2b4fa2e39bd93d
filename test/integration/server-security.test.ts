/**
 * Security of the HTTP API on a real server: the token off loopback (configured with requireToken, since a
 * test binds 127.0.0.1 only), path traversal through job ids, segment indexes and source paths, host and
 * origin checks, and errors that never carry a stack.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeClip, tempDir } from '../support/media.js';
import { api, startTestServer, type TestServer } from '../e2e/support/server-harness.js';

/** A raw GET (fetch would normalize `..` segments and forbid a Host header). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('server security: token required off loopback', () => {
  let srv: TestServer;
  const token = 'test-token-0123456789abcdef';
  before(async () => {
    srv = await startTestServer({ requireToken: true, token });
  });
  after(async () => srv?.close());

  it('refuses /api and /openapi.json without the token, with a JSON 401', async () => {
    for (const path of ['/api/jobs', '/api/jobs/abcdef123456', '/api/jobs/abcdef123456/events', '/openapi.json']) {
      const r = await api(srv.url, 'GET', path);
      assert.equal(r.status, 401, path);
      assert.equal(r.body.error, 'unauthorized');
    }
    assert.equal((await api(srv.url, 'POST', '/api/jobs', { json: { source: '/etc/passwd' } })).status, 401);
    assert.equal((await api(srv.url, 'DELETE', '/api/jobs/abcdef123456')).status, 401);
  });

  it('refuses a wrong token, in the header or the query', async () => {
    assert.equal((await api(srv.url, 'GET', '/api/jobs', { headers: { authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await api(srv.url, 'GET', '/api/jobs', { headers: { authorization: `Basic ${token}` } })).status, 401);
    assert.equal((await api(srv.url, 'GET', '/api/jobs?token=nope')).status, 401);
  });

  it('accepts the token as a Bearer header or as ?token= (EventSource, <video>)', async () => {
    assert.equal((await api(srv.url, 'GET', '/api/jobs', { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await api(srv.url, 'GET', `/api/jobs?token=${token}`)).status, 200);
    assert.equal((await api(srv.url, 'GET', `/openapi.json?token=${token}`)).status, 200);
    assert.equal((await api(srv.url, 'GET', `/api/jobs/abcdef123456?token=${token}`)).status, 404);
  });

  it('serves the page itself without a token (it asks for one)', async () => {
    const r = await fetch(`${srv.url}/jobs/abcdef123456`, { headers: { accept: 'text/html' } });
    assert.equal(r.status, 200);
    assert.match(await r.text(), /<html|dashboard is not built/);
  });
});

describe('server security: paths, hosts, origins', () => {
  let srv: TestServer;
  let root: { dir: string; cleanup: () => void };
  let outside: { dir: string; cleanup: () => void };
  before(async () => {
    root = tempDir('shardcast-root-');
    outside = tempDir('shardcast-outside-');
    makeClip(join(outside.dir, 'secret.mp4'), { seconds: 1, audio: false });
    mkdirSync(join(root.dir, 'sub'));
    symlinkSync(join(outside.dir, 'secret.mp4'), join(root.dir, 'sub', 'link.mp4'));
    symlinkSync(outside.dir, join(root.dir, 'dirlink'));
    writeFileSync(join(root.dir, 'empty.mp4'), '');
    srv = await startTestServer({ roots: [root.dir] });
  });
  after(async () => {
    await srv?.close();
    root?.cleanup();
    outside?.cleanup();
  });

  it('refuses job ids that are not ids (traversal, encoded slashes, dots)', async () => {
    for (const id of [
      '..%2F..%2Fetc%2Fpasswd',
      '..%2F..',
      '%2e%2e',
      'ABCDEF123456',
      'abc',
      'abcdef123456%00',
      'a'.repeat(33),
      'abcdef12345%2F',
    ]) {
      for (const suffix of ['', '/segments/0', '/output', '/events']) {
        const r = await rawGet(srv.url, `/api/jobs/${id}${suffix}`);
        assert.ok(r.status === 400 || r.status === 404, `${id}${suffix}: ${r.status}`);
        const body = JSON.parse(r.body);
        assert.ok(['bad_request', 'not_found'].includes(body.error), r.body);
      }
      const del = await api(srv.url, 'DELETE', `/api/jobs/${id}`);
      assert.ok(del.status === 400 || del.status === 404, `DELETE ${id}: ${del.status}`);
    }
    const neg = await rawGet(srv.url, '/api/jobs/abcdef123456/segments/-1');
    assert.equal(neg.status, 400);
  });

  it('does not serve files from outside the dashboard through the SPA paths', async () => {
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2F..%2F..%2Fpackage.json', '/..%2Fpackage.json']) {
      const r = await rawGet(srv.url, path);
      assert.ok(!r.body.includes('root:x:0:0') && !r.body.includes('"name": "shardcast"'), `${path} leaked a file`);
    }
  });

  it('reads JSON sources only under the roots, links resolved', async () => {
    const cases: Array<[string, number]> = [
      ['/etc/passwd', 403],
      ['../../../../etc/passwd', 403],
      [join(outside.dir, 'secret.mp4'), 403],
      [join(root.dir, '..', 'x.mp4'), 403],
      ['sub/link.mp4', 403],
      ['dirlink/secret.mp4', 403],
      ['missing.mp4', 400],
      ['empty.mp4', 400],
      ['sub', 400],
    ];
    for (const [source, status] of cases) {
      const r = await api(srv.url, 'POST', '/api/jobs', { json: { source } });
      assert.equal(r.status, status, `${source}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(Object.keys(r.body).sort(), ['error', 'message']);
    }
  });

  it('refuses requests addressed to other host names (DNS rebinding)', async () => {
    const r = await rawGet(srv.url, '/api/jobs', { host: 'attacker.example:8080' });
    assert.equal(r.status, 403);
    const ok = await rawGet(srv.url, '/api/jobs', { host: 'localhost' });
    assert.equal(ok.status, 200);
  });

  it('refuses state-changing requests from another origin (CSRF)', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('x')]), 'x.mp4');
    const r = await api(srv.url, 'POST', '/api/jobs', { body: form, headers: { origin: 'https://attacker.example' } });
    assert.equal(r.status, 403);
    const d = await api(srv.url, 'DELETE', '/api/jobs/abcdef123456', { headers: { origin: 'null' } });
    assert.equal(d.status, 403);
    const same = await api(srv.url, 'DELETE', '/api/jobs/abcdef123456', { headers: { origin: srv.url } });
    assert.equal(same.status, 404);
  });

  it('answers errors as JSON with a message and no stack, and sends safety headers', async () => {
    const r = await fetch(`${srv.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"source": ' });
    assert.equal(r.status, 400);
    const body = (await r.json()) as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
    assert.doesNotMatch(JSON.stringify(body), /at .*\.(js|ts):\d+/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  });
});
