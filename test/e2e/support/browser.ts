/**
 * Debian's Chromium driven by playwright-core (no browser download): the flags keep it off the network.
 * Also builds the dashboard when web/dist is missing (npm test builds it first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from './server-harness.js';

export const CHROMIUM = process.env.SHARDCAST_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

export function ensureDashboardBuilt(): string {
  const dist = join(REPO_ROOT, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) {
    const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    const r = spawnSync(process.execPath, [vite, 'build', 'web', '--logLevel', 'warn'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`vite build failed: ${r.stderr}`);
  }
  return dist;
}
