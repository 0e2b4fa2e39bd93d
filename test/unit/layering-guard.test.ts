/**
 * Guards the layering of docs/ARCHITECTURE.md: core/ and app/ import no I/O (fs, child_process, AWS SDK,
 * SQLite) and nothing under adapters/; core/ reads no clock or environment either. The entry points reach a
 * home only through the Backend port: server/, runtime/ and lambda/ import nothing from cli/; cli/ and
 * server/ open homes by runtime/backend.ts, never a home's implementation, and cli/ branches on no backend; no
 * home (runtime/local, runtime/aws, runtime/cluster) imports another.
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

const FORBIDDEN_IMPORTS = [
  /['"]node:child_process['"]/,
  /['"]node:fs(\/promises)?['"]/,
  /['"](child_process|fs|fs\/promises)['"]/,
  /['"]@aws-sdk\//,
  /['"]better-sqlite3['"]/,
  /['"][./]*adapters\//,
  /['"]\.\.\/(runtime|cli|server|lambda)\//,
];

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

  const importsOf = (f: string): string[] =>
    [...readFileSync(f, 'utf8').matchAll(/(?:from\s*|import\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);

  for (const layer of ['server', 'runtime', 'lambda']) {
    it(`src/${layer} imports nothing from src/cli`, () => {
      const bad = files(join(REPO, 'src', layer)).flatMap((f) =>
        importsOf(f)
          .filter((s) => /(^|\/)cli\//.test(s))
          .map((s) => `${relative(REPO, f)}: ${s}`),
      );
      assert.deepEqual(bad, []);
    });
  }

  it('src/cli and src/server open homes through runtime/backend.ts only, and src/cli branches on no backend', () => {
    const IMPLEMENTATIONS =
      /runtime\/(local\/local-backend|aws\/workflow-backend|aws\/workflow-execution|aws\/aws-emulated-runtime|cluster\/cluster-backend)\.js$/;
    const bad: string[] = [];
    for (const layer of ['cli', 'server']) {
      for (const f of files(join(REPO, 'src', layer))) {
        for (const s of importsOf(f)) if (IMPLEMENTATIONS.test(s)) bad.push(`${relative(REPO, f)}: ${s}`);
        if (
          layer === 'cli' &&
          /isWorkflowBackend|backend\s*===?\s*'aws-emulated'|\?\s*\(await workflow\(\)\)/.test(readFileSync(f, 'utf8'))
        )
          bad.push(`${relative(REPO, f)}: branches on the backend`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('no home imports another home (src/runtime/local, aws and cluster share only src/runtime/*.ts)', () => {
    const HOMES = ['local', 'aws', 'cluster'];
    const bad: string[] = [];
    for (const home of HOMES) {
      for (const f of files(join(REPO, 'src', 'runtime', home))) {
        for (const s of importsOf(f)) {
          const other = HOMES.find((h) => h !== home && new RegExp(`(^|/)runtime/${h}/|^\\.\\./${h}/`).test(s));
          if (other) bad.push(`${relative(REPO, f)}: ${s}`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });

  it('no source file is over 300 lines without saying why at its top', () => {
    const bad: string[] = [];
    for (const f of [...files(join(REPO, 'src')), ...files(join(REPO, 'web', 'src'))]) {
      const text = readFileSync(f, 'utf8');
      const lines = text.split('\n').length - 1;
      const head = text.slice(0, text.indexOf('*/') + 2);
      if (lines > 300 && !/Over 300 lines/.test(head)) bad.push(`${relative(REPO, f)}: ${lines} lines`);
    }
    assert.deepEqual(bad, []);
  });

  it('src/core reads no clock and no environment', () => {
    const bad: string[] = [];
    for (const f of files(join(REPO, 'src', 'core'))) {
      const text = readFileSync(f, 'utf8');
      if (/Date\.now\(|new Date\(\)|process\.env|process\.hrtime|performance\.now/.test(text)) bad.push(relative(REPO, f));
    }
    assert.deepEqual(bad, []);
  });
});
