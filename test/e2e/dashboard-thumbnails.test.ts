/**
 * The job page's thumbnails in Chromium (issue 29 item 5): a done job made with thumbnails shows its poster and
 * a strip of every thumbnail cut from the sprite sheet by the WebVTT map, each titled with its time; a click
 * seeks the player there. A job without thumbnails has no such section.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { makeClip, tempDir } from '../support/media.js';
import { ensureDashboardBuilt, launchChromium } from './support/browser.js';
import { REPO_ROOT, api, startTestServer, waitForStatus, type TestServer } from './support/server-harness.js';

describe('job page thumbnails in Chromium', () => {
  let srv: TestServer;
  let browser: Browser;
  let media: { dir: string; cleanup: () => void };
  let clip: string;

  before(async () => {
    ensureDashboardBuilt();
    media = tempDir('shardcast-e2e-thumbs-');
    clip = makeClip(join(media.dir, 'clip.mp4'), { seconds: 3, size: '320x180', rate: 25, gop: 25, noise: 0 });
    srv = await startTestServer({ roots: [media.dir] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    media?.cleanup();
  });

  const run = async (extra: Record<string, unknown>): Promise<string> => {
    const r = await api(srv.url, 'POST', '/api/jobs', {
      json: { source: clip, segmentSeconds: 1, preset: 'ultrafast', workers: 2, ...extra },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const job = await waitForStatus(srv.url, r.body.id, ['done', 'failed']);
    assert.equal(job.status, 'done', job.error);
    return job.id as string;
  };

  it('the poster and a strip of the thumbnails, titled with their times; a click seeks the player', { timeout: 180_000 }, async () => {
    const id = await run({ thumbnails: 1, thumbnailWidth: 64 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${srv.url}/jobs/${id}`);
      const thumbs = page.locator('[data-role=thumb-strip] .thumb');
      await thumbs.nth(2).waitFor({ timeout: 30_000 });
      assert.equal(await thumbs.count(), 3);
      assert.deepEqual(await thumbs.evaluateAll((els) => els.map((e) => e.getAttribute('title'))), ['0:00', '0:01', '0:02']);
      const boxes = await thumbs.evaluateAll((els) =>
        els.map((e) => {
          const s = getComputedStyle(e);
          return [s.backgroundPositionX, s.backgroundPositionY, (e as HTMLElement).offsetWidth];
        }),
      );
      assert.deepEqual(
        boxes.map((b) => b.slice(0, 2)),
        [
          ['0px', '0px'],
          ['-64px', '0px'],
          ['-128px', '0px'],
        ],
      );
      const poster = page.locator('[data-role=poster]');
      await page.waitForFunction(() => document.querySelector<HTMLImageElement>('[data-role=poster]')?.complete === true);
      assert.equal(await poster.evaluate((img) => (img as HTMLImageElement).naturalWidth), 320);
      // The sprite sheet loads (the tiles' background).
      const sheetOk = await page.evaluate(
        async (url) => (await fetch(url)).headers.get('content-type'),
        `/api/jobs/${id}/thumbnails/sprite-0.jpg`,
      );
      assert.equal(sheetOk, 'image/jpeg');
      await page.locator('.player video').waitFor({ timeout: 30_000 });
      await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('.player video')?.readyState ?? 0) >= 1);
      await thumbs.nth(2).click();
      await page.waitForFunction(
        () => Math.abs(((document.querySelector('.player video') as HTMLVideoElement).currentTime ?? 0) - 2) < 0.05,
      );
      await page.locator('.thumbs').screenshot({ path: join(REPO_ROOT, 'test-results', 'job-page-thumbnails.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('a job without thumbnails: no thumbnails section', { timeout: 180_000 }, async () => {
    const id = await run({});
    const page = await browser.newPage();
    try {
      await page.goto(`${srv.url}/jobs/${id}`);
      await page.locator('.player video').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('.thumbs').count(), 0);
    } finally {
      await page.close();
    }
  });
});
