#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare script).
import('../dist/cli/main.js')
  .then(async (m) => {
    await m.main(process.argv);
    // The command is over (its output written, its exit code set). A connection that failed to close (a Redis
    // that went away, a socket stuck half-open) must not keep the process alive: it ends within 2 s regardless.
    setTimeout(() => process.exit(), 2000).unref();
  })
  .catch((err) => {
    process.stderr.write(`shardcast: cannot start (${err && err.message ? err.message : err}). Run \`npm ci\` to build it.\n`);
    process.exit(2);
  });
