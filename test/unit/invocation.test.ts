import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { asInvoked, invocationOf, pathHint } from '../../src/cli/invocation.js';

describe('how the user ran the command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardcast-invocation-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const checkout = join(dir, 'checkout');
  mkdirSync(join(checkout, 'bin'), { recursive: true });
  const script = join(checkout, 'bin', 'shardcast.js');
  writeFileSync(script, '#!/usr/bin/env node\n', { mode: 0o755 });

  it('names npx under npx, and says how to put it on PATH', () => {
    const inv = invocationOf({ npm_command: 'exec', PATH: '/usr/bin' }, script, checkout);
    assert.deepEqual(inv, { name: 'npx shardcast', onPath: false });
    assert.match(pathHint(inv) ?? '', /npm link/);
  });

  it('names shardcast when the one on PATH is this one (npm link, a global install)', () => {
    const binDir = join(dir, 'global-bin');
    mkdirSync(binDir);
    symlinkSync(script, join(binDir, 'shardcast'));
    const inv = invocationOf({ PATH: `/nonexistent:${binDir}` }, join(binDir, 'shardcast'), '/');
    assert.deepEqual(inv, { name: 'shardcast', onPath: true });
    assert.equal(pathHint(inv), undefined);
  });

  it('names node and the script, relative to where it was run from, otherwise', () => {
    const inv = invocationOf({ PATH: '/usr/bin' }, script, checkout);
    assert.deepEqual(inv, { name: 'node bin/shardcast.js', onPath: false });
  });

  it('rewrites the commands quoted in a message, nothing else', () => {
    const text = 'shardcast: interrupted: stopped by the user; run `shardcast resume 81f0afebee56` to continue';
    assert.equal(
      asInvoked(text, 'npx shardcast'),
      'shardcast: interrupted: stopped by the user; run `npx shardcast resume 81f0afebee56` to continue',
    );
    assert.equal(asInvoked(text, 'shardcast'), text);
  });
});
