/**
 * What `shardcast serve` tells a person (issue 27, item 7): a port held by another process is one line naming
 * the port and the two ways out, as a usage error (exit 2), not a raw `listen EADDRINUSE`; bound to every
 * interface (0.0.0.0, ::) it prints URLs a browser can open (127.0.0.1 and this machine's own addresses), never
 * http://0.0.0.0:PORT/.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { isWildcardHost, listenError, openableUrls, servingLines } from '../../src/cli/serve-command.js';

const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  ({
    address,
    family,
    internal,
    netmask: '',
    mac: '00:00:00:00:00:00',
    cidr: null,
    ...(family === 'IPv6' ? { scopeid: 0 } : {}),
  }) as NetworkInterfaceInfo;

const interfaces = {
  lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
  eth0: [nic('192.168.1.20', 'IPv4'), nic('fe80::1', 'IPv6'), nic('2001:db8::20', 'IPv6')],
  wlan0: [nic('10.0.0.7', 'IPv4')],
};

const config = (host: string, token?: string) => ({
  host,
  stateDir: '/tmp/state',
  requireToken: token !== undefined,
  roots: [],
  ...(token ? { token } : {}),
});

describe('serve: where to open it', () => {
  it('0.0.0.0 and :: are every interface; loopback and one address are not', () => {
    for (const h of ['0.0.0.0', '::', '[::]']) assert.equal(isWildcardHost(h), true, h);
    for (const h of ['127.0.0.1', '::1', '192.168.1.20', 'localhost']) assert.equal(isWildcardHost(h), false, h);
  });

  it('0.0.0.0: 127.0.0.1 first, then each IPv4 address of the machine that is not internal', () => {
    assert.deepEqual(openableUrls('0.0.0.0', 8080, interfaces), [
      'http://127.0.0.1:8080/',
      'http://192.168.1.20:8080/',
      'http://10.0.0.7:8080/',
    ]);
  });

  it('::: the IPv6 addresses too, bracketed, without the link-local one (it needs a zone)', () => {
    assert.deepEqual(openableUrls('::', 8080, interfaces), [
      'http://127.0.0.1:8080/',
      'http://192.168.1.20:8080/',
      'http://[2001:db8::20]:8080/',
      'http://10.0.0.7:8080/',
    ]);
  });

  it('--host 0.0.0.0 says it listens on all interfaces and prints openable URLs, never 0.0.0.0', () => {
    const lines = servingLines(config('0.0.0.0', 'tok'), 'http://0.0.0.0:34007', 34007, {}, interfaces);
    const text = lines.join('\n');
    assert.match(lines[0]!, /^shardcast: listening on all interfaces \(0\.0\.0\.0\), port 34007/);
    assert.match(
      text,
      /open http:\/\/127\.0\.0\.1:34007\/ on this machine, or from another: http:\/\/192\.168\.1\.20:34007\/ {2}http:\/\/10\.0\.0\.7:34007\//,
    );
    assert.match(text, /API token: tok/);
    assert.doesNotMatch(text, /0\.0\.0\.0:34007/);
  });

  it('a machine with no other address: only the loopback URL', () => {
    const lines = servingLines(config('0.0.0.0', 'tok'), 'http://0.0.0.0:34007', 34007, {}, { lo: interfaces.lo });
    assert.equal(lines[1], 'shardcast: open http://127.0.0.1:34007/ on this machine');
  });

  it('loopback: the one URL, as before', () => {
    const lines = servingLines(config('127.0.0.1'), 'http://127.0.0.1:8080', 8080, {}, interfaces);
    assert.deepEqual(lines, ['shardcast: serving http://127.0.0.1:8080  (state dir /tmp/state)']);
  });
});

describe('serve: a port already in use', () => {
  it('is one usage-error line naming the port and the host, from the error listen really gives', async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    const second = createServer();
    const err = await new Promise<unknown>((r) => {
      second.once('error', r);
      second.listen(port, '127.0.0.1');
    });
    holder.close();
    const mapped = listenError(err, '127.0.0.1', port);
    assert.ok(mapped instanceof UsageError);
    assert.equal(mapped.exitCode, 2);
    assert.equal(mapped.message, `port ${port} on 127.0.0.1 is in use: stop what holds it or pass --port N`);
  });

  it('other errors pass through as they are', () => {
    const e = new Error('boom');
    assert.equal(listenError(e, '127.0.0.1', 1), e);
  });
});
