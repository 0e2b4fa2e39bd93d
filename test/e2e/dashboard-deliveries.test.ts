/**
 * The job page shows a job's webhook deliveries (issue 29): each event to each URL with its attempts, status
 * and next try, for a receiver that answers and one that is down, as the API reports them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { makeClip, tempDir } from '../support/media.js';
import { freePort, startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { ensureDashboardBuilt, launchChromium } from './support/browser.js';
import { api, startTestServer, waitFor, waitForStatus, type TestServer } from './support/server-harness.js';

const SECRET = 'dashboard-hook-secret';

describe('job page: webhook deliveries in Chromium', () => {
  let srv: TestServer;
  let browser: Browser;
  let rx: Receiver;
  let media: { dir: string; cleanup: () => void };
  let clip: string;

  before(async () => {
    ensureDashboardBuilt();
    media = tempDir('shardcast-e2e-hooks-');
    clip = makeClip(join(media.dir, 'clip.mp4'), { seconds: 2, size: '160x90', gop: 15 });
    rx = await startReceiver(SECRET);
    srv = await startTestServer({ roots: [media.dir], env: { ...process.env, SHARDCAST_WEBHOOK_SECRET: SECRET } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    await rx?.close();
    media?.cleanup();
  });

  it(
    'lists each event to each URL: delivered to the receiver that is up, to retry for the one that is down',
    { timeout: 180_000 },
    async () => {
      const down = `http://127.0.0.1:${await freePort()}/down`;
      const r = await api(srv.url, 'POST', '/api/jobs', { json: { source: clip, preset: 'ultrafast', notify: [rx.url, down] } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const id = r.body.id as string;
      await waitForStatus(srv.url, id, ['done']);
      await rx.waitFor(2);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(`${srv.url}/jobs/${id}`);
        const rows = page.locator('section.deliveries tbody tr');
        const texts = await waitFor(
          'four delivery rows, the down one failed',
          async () => {
            const all = await rows.allInnerTexts();
            return all.length === 4 && all.filter((t) => t.includes('failed, will retry')).length === 2 ? all : undefined;
          },
          60_000,
          200,
        );
        const cells = texts.map((t) => t.split('\t').map((c) => c.trim()));
        assert.deepEqual(
          cells.map(([event, url, , status]) => [event, url, status!.replace(/ \(.*\)$/, '')]),
          [
            ['job.started', rx.url, 'delivered'],
            ['job.started', down, 'failed, will retry'],
            ['job.done', rx.url, 'delivered'],
            ['job.done', down, 'failed, will retry'],
          ],
        );
        assert.match(cells[1]![3]!, /ECONNREFUSED/);
        assert.match(cells[1]![4]!, /^in \d+ s$/, 'the next try');
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    },
  );
});
