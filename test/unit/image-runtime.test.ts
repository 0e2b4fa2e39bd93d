/**
 * The Lambda image installs its own dependency list (infra/docker/runtime): exactly the packages the handlers'
 * import graph reaches (src/lambda/*.ts and everything it imports, dynamic imports included), at the root
 * package's versions, locked. Regression: the image ran `npm ci` on the root lockfile and carried aws-cdk-lib,
 * the emulators and the server; from the npm package (no root lockfile) it could not build at all.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../support/media.js';

type Pkg = { dependencies?: Record<string, string> };
const readJson = <T>(p: string): T => JSON.parse(readFileSync(join(REPO, p), 'utf8')) as T;

/** Bare package names imported from the handlers, following relative imports (.js specifiers -> .ts files). */
function handlerPackages(): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\s)(?:import|export)\s[^'"`;]*?from\s+'([^']+)'|import\('([^']+)'\)/gm)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) {
        const ts = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        assert.ok(existsSync(ts), `${file} imports ${spec}`);
        visit(ts);
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  };
  const dir = join(REPO, 'src', 'lambda');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) visit(join(dir, f));
  return packages;
}

describe('the Lambda image dependencies', () => {
  const image = readJson<Pkg>('infra/docker/runtime/package.json');
  const root = readJson<Pkg>('package.json');

  it('are exactly the packages the handlers import, at the root package versions', () => {
    const imported = [...handlerPackages()].sort();
    assert.ok(imported.includes('@aws-sdk/client-s3') && imported.includes('zod'), imported.join(' '));
    assert.deepEqual(Object.keys(image.dependencies ?? {}).sort(), imported);
    for (const [name, version] of Object.entries(image.dependencies ?? {})) assert.equal(version, root.dependencies?.[name], name);
  });

  it('are locked: the lockfile was made from this list', () => {
    const lock = readJson<{ packages: Record<string, Pkg & { version?: string }> }>('infra/docker/runtime/package-lock.json');
    assert.deepEqual(lock.packages['']?.dependencies, image.dependencies);
    for (const [name, version] of Object.entries(image.dependencies ?? {}))
      assert.equal(lock.packages[`node_modules/${name}`]?.version, version, name);
  });

  it('the Dockerfile installs from that lockfile on a supported Node and copies the built dist/, compiling nothing', () => {
    const dockerfile = readFileSync(join(REPO, 'infra/docker/Dockerfile'), 'utf8');
    assert.match(dockerfile, /^ARG NODE_IMAGE=public\.ecr\.aws\/lambda\/nodejs:22$/m);
    assert.match(dockerfile, /COPY infra\/docker\/runtime\/package\.json infra\/docker\/runtime\/package-lock\.json/);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.doesNotMatch(dockerfile, /COPY package-lock\.json|COPY src|tsc /);
    assert.match(dockerfile, /^COPY dist /m);
  });
});
