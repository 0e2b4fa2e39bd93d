/**
 * The dashboard's jobs page in Chromium: the templates the server offers (with what each makes), the folders
 * `shardcast watch` watches on its state dir, and the new-job form's template (choosing one sets the container
 * to what it makes; a job made through it carries the template).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { readTemplateCatalog } from '../../src/runtime/template-files.js';
import { writeWatchState } from '../../src/runtime/watch-registry.js';
import { makeClip, tempDir } from '../support/media.js';
import { ensureDashboardBuilt, launchChromium } from './support/browser.js';
import { api, REPO_ROOT, startTestServer, waitForStatus, type TestServer } from './support/server-harness.js';

const RESULTS = join(REPO_ROOT, 'test-results');

describe('templates and watched folders on the dashboard', () => {
  let srv: TestServer;
  let browser: Browser;
  let media: { dir: string; cleanup: () => void };

  before(async () => {
    ensureDashboardBuilt();
    mkdirSync(RESULTS, { recursive: true });
    media = tempDir('shardcast-e2e-pipelines-');
    const config = join(media.dir, 'shardcast.config.yaml');
    writeFileSync(
      config,
      'version: 1\ntemplates:\n  tiny:\n    output: mkv\n    description: a small MKV\n    preset: ultrafast\n    maxHeight: 90\n    segmentSeconds: 1\n',
    );
    srv = await startTestServer({ templates: await readTemplateCatalog(config) });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    media?.cleanup();
  });

  it('lists templates and watched folders; a job made with a template through the form', { timeout: 90_000 }, async () => {
    await writeWatchState(srv.stateDir, {
      dir: '/srv/incoming',
      outDir: '/srv/out',
      template: 'tiny',
      startedAt: Date.now() - 60_000,
      heartbeatAt: Date.now(),
      done: 3,
      failed: 1,
      skipped: 2,
      running: { jobId: 'abcdef123456', file: 'holiday.mov' },
      lastError: 'broken.mp4: not a readable media file',
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${srv.url}/`);
      const tiny = page.locator('.templates-table tr[data-template=tiny]');
      await tiny.waitFor({ state: 'attached' });
      assert.deepEqual(
        (await tiny.locator('td').allTextContents()).map((t) => t.trim()),
        ['tiny', 'mkv: h264 crf 23 ultrafast, at most 90 lines, aac 128ka small MKV', 'shardcast.config.yaml'],
      );
      assert.equal(await page.locator('.templates-table tbody tr').count(), 5, 'the four built-ins and the file’s');
      const watch = page.locator('.watches-table tr[data-watch="/srv/incoming"]');
      await watch.waitFor();
      const cells = (await watch.locator('td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      assert.equal(cells[0], '/srv/incoming → /srv/out');
      assert.equal(cells[1], 'tiny');
      assert.equal(cells[2], 'running holiday.mov abcdef123456');
      assert.equal(cells[3], '3 done · 1 failed · 2 already run');
      assert.match(cells[4]!, /broken\.mp4: not a readable media file/);
      assert.equal(await watch.locator('a').getAttribute('href'), '/jobs/abcdef123456');
      await page.locator('.pipelines details summary').click();
      await page.screenshot({ path: join(RESULTS, 'jobs-page-pipelines.png'), fullPage: true });

      // The form: a template sets the container to what it makes.
      const clip = makeClip(join(media.dir, 'clip.mp4'), { seconds: 2, size: '320x180', rate: 25, gop: 25, noise: 0 });
      await page.locator('[name=template] option[value=tiny]').waitFor({ state: 'attached' });
      await page.locator('[name=template]').selectOption('tiny');
      assert.equal(await page.locator('[name=container]').inputValue(), 'mkv');
      await page.locator('input[type=file][name=file]').setInputFiles(clip);
      await page.locator('[name=workers]').fill('2');
      await page.getByRole('button', { name: 'Upload and transcode' }).click();
      await page.waitForURL(/\/jobs\/[a-z0-9]{6,32}$/, { timeout: 30_000 });
      const id = /\/jobs\/([a-z0-9]+)$/.exec(page.url())![1]!;
      const job = await waitForStatus(srv.url, id, ['done', 'failed']);
      assert.equal(job.status, 'done', job.error);
      assert.equal(job.template, 'tiny');
      assert.match(job.output, /output\.mkv$/);
      assert.equal(job.profile.maxHeight, 90);
      assert.equal((await api(srv.url, 'GET', '/api/watches')).body.watches.length, 1);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
