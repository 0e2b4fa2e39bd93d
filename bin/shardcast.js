#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare script).
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`shardcast: cannot start (${err && err.message ? err.message : err}). Run \`npm ci\` to build it.\n`);
  process.exit(2);
});
