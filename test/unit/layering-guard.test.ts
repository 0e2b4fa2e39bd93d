/**
 * Guards the layering of ../shared/DESIGN.md: core/ and app/ import no I/O (fs, child_process, AWS SDK,
 * SQLite) and nothing under adapters/; core/ reads no clock or environment either.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../support/media.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const FORBIDDEN_IMPORTS = [/['"]node:child_process['"]/, /['"]node:fs(\/promises)?['"]/, /['"](child_process|fs|fs\/promises)['"]/, /['"]@aws-sdk\//, /['"]better-sqlite3['"]/, /['"][./]*adapters\//, /['"]\.\.\/(runtime|cli|server|lambda)\//];

describe('layering', () => {
  for (const layer of ['core', 'app']) {
    it(`src/${layer} imports no I/O modules and no adapters`, () => {
      const bad: string[] = [];
      for (const f of files(join(REPO, 'src', layer))) {
        const text = readFileSync(f, 'utf8');
        for (const line of text.split('\n')) {
          if (!/^\s*(import|export)\b.*from\s|^\s*import\(|require\(/.test(line) && !/import\(/.test(line)) continue;
          if (FORBIDDEN_IMPORTS.some((re) => re.test(line))) bad.push(`${relative(REPO, f)}: ${line.trim()}`);
        }
      }
      assert.deepEqual(bad, []);
    });
  }

  it('src/core reads no clock and no environment', () => {
    const bad: string[] = [];
    for (const f of files(join(REPO, 'src', 'core'))) {
      const text = readFileSync(f, 'utf8');
      if (/Date\.now\(|new Date\(\)|process\.env|process\.hrtime|performance\.now/.test(text)) bad.push(relative(REPO, f));
    }
    assert.deepEqual(bad, []);
  });
});
