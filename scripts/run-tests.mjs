#!/usr/bin/env node
// Runs the test files under test/ with node's test runner (TypeScript through tsx), one tier after another,
// the fast ones first: test/unit, test/fast (the use-cases over an in-memory ledger and recorded ffmpeg runs),
// test/contract, test/integration, test/e2e (what `npm test` runs; none of them
// needs anything beside the checkout). `test/corpus` (the real media files of ../shared, `npm run test:corpus`)
// runs only when named.
// Usage: node scripts/run-tests.mjs [folder-or-file ...]
//
// Every tier runs even when an earlier one failed (CI shows every failure at once); the exit code is 1 when any
// test failed. A test that hangs fails by the per-test timeout (its own waits say what they waited for); the
// processes a file started are killed with their groups once its tests are over (test/support/processes.ts).
// Not --test-force-exit: with it node 20 lost the reports of some tests now and then (536 of 548 counted).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const TIERS = ['test/unit', 'test/fast', 'test/contract', 'test/integration', 'test/e2e'];
/** Per-test limit: the slowest test here takes about a minute on 2 loaded cores. */
const TEST_TIMEOUT_MS = Number(process.env.SHARDCAST_TEST_TIMEOUT_MS ?? 600_000);

/** Test files at once, per tier (SHARDCAST_TEST_CONCURRENCY=1: one at a time, to tell a flaky test from a clash). */
const CONCURRENCY = Number(process.env.SHARDCAST_TEST_CONCURRENCY ?? 2);
/**
 * The files that take a minute or more here (CI's log: the cluster 178 s, the npm package 99 s, resume 95 s,
 * damaged state 53 s, a full disk 41 s): started first, so the tier does not end on one of them alone.
 */
const LONG = ['cli-cluster', 'npm-package', 'cli-resume', 'cli-damaged-state', 'cli-disk-full', 'unseekable-sources'];
const longFirst = (files) => {
  const rank = (f) => {
    const i = LONG.findIndex((l) => f.endsWith(`/${l}.test.ts`));
    return i < 0 ? LONG.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b));
};

const filesUnder = (p) => {
  let st;
  try {
    st = statSync(p);
  } catch {
    return [];
  }
  if (st.isDirectory())
    return readdirSync(p)
      .sort()
      .flatMap((e) => filesUnder(join(p, e)));
  return /\.test\.ts$/.test(p) ? [p] : [];
};

const args = process.argv.slice(2);
const groups = (args.length ? args : TIERS).map((t) => ({ name: t, files: filesUnder(t) })).filter((g) => g.files.length);
if (!groups.length) {
  console.error('no test files found under', (args.length ? args : TIERS).join(' '));
  process.exit(1);
}

/** Runs one tier; resolves with its counts, read from the runner's closing lines while passing its output on. */
function runTier(g) {
  return new Promise((resolve) => {
    // Two files at once in every tier: no two files share a state dir, a port, a server or a store (each makes
    // its own in a temp folder, on a free port), and every wait is bounded by what it waits for, not by a guess
    // of this machine's speed (the timing-sensitive files pass beside two CPU hogs). On the 2-core machine this
    // took integration from 294 s to 246 s and e2e from 628 s to 516 s. The long files start first.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', `--test-concurrency=${CONCURRENCY}`, `--test-timeout=${TEST_TIMEOUT_MS}`, ...longFirst(g.files)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const counts = { pass: 0, fail: 0, cancelled: 0, skipped: 0 };
    let partial = '';
    child.stdout.on('data', (b) => {
      process.stdout.write(b);
      partial += b.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^# (pass|fail|cancelled|skipped) (\d+)$/.exec(l);
        if (m) counts[m[1]] = Number(m[2]);
      }
    });
    child.on('close', (code) => resolve({ ...counts, code }));
  });
}

const started = Date.now();
const results = [];
for (const g of groups) {
  const t0 = Date.now();
  console.log(`\n== ${g.name}: ${g.files.length} file(s)`);
  const r = await runTier(g);
  results.push({ name: g.name, ...r, seconds: Math.round((Date.now() - t0) / 1000) });
  console.log(
    `== ${g.name}: ${r.pass} passed, ${r.fail} failed${r.cancelled ? `, ${r.cancelled} cancelled` : ''} in ${results.at(-1).seconds} s`,
  );
}
const failedTiers = results.filter((r) => r.code !== 0 || r.fail > 0 || r.cancelled > 0);
console.log('');
for (const r of results)
  console.log(
    `${r.name.padEnd(17)} ${String(r.pass).padStart(4)} passed ${String(r.fail).padStart(3)} failed ${String(r.seconds).padStart(5)} s`,
  );
const pass = results.reduce((a, r) => a + r.pass, 0);
const fail = results.reduce((a, r) => a + r.fail + r.cancelled, 0) + failedTiers.filter((r) => r.fail === 0 && r.cancelled === 0).length;
console.log(`in ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`tests: ${pass} passed, ${fail} failed`);
process.exit(failedTiers.length ? 1 : 0);
