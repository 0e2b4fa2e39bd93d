/**
 * The dashboard end to end in a real browser (Debian's Chromium via playwright-core) against a real server:
 * upload a clip through the page and watch it reach `done` live; open a segment's details; a second job
 * where one segment fails (the test's own wrapMedia hook makes ffmpeg fail for it), "Retry failed segments"
 * once the fault is gone, see it finish; play the output. Screenshots go to test-results/ (the pictures of docs/
 * are made by scripts/screenshots.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { makeClip, tempDir } from '../support/media.js';
import { ensureDashboardBuilt, launchChromium } from './support/browser.js';
import { bytes } from '../../web/src/format.js';
import { REPO_ROOT, startTestServer, type TestServer } from './support/server-harness.js';

const RESULTS = join(REPO_ROOT, 'test-results');

async function uploadThroughPage(page: Page, base: string, clip: string, opts: Record<string, string>): Promise<string> {
  await page.goto(`${base}/`);
  await page.locator('input[type=file][name=file]').setInputFiles(clip);
  for (const [name, value] of Object.entries(opts)) {
    const el = page.locator(`[name=${name}]`);
    if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
    else await el.fill(value);
  }
  await page.getByRole('button', { name: 'Upload and transcode' }).click();
  await page.waitForURL(/\/jobs\/[a-z0-9]{6,32}$/, { timeout: 30_000 });
  return /\/jobs\/([a-z0-9]+)$/.exec(page.url())![1]!;
}

async function headStatus(page: Page): Promise<string | null> {
  return page
    .locator('.job-head .badge')
    .getAttribute('data-status', { timeout: 1000 })
    .catch(() => null);
}

/** Waits for the header badge to show `status`, recording every status it showed on the way. */
async function watchStatus(page: Page, status: string, timeoutMs = 60_000): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await headStatus(page);
    if (s && seen[seen.length - 1] !== s) seen.push(s);
    if (s === status) return seen;
    if (Date.now() > end) throw new Error(`the page never showed ${status}; it showed ${seen.join(' -> ')}`);
    await page.waitForTimeout(50);
  }
}

/** Bytes of every file under a folder. */
function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, e) => sum + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
}

async function checkPlays(page: Page): Promise<void> {
  const video = page.locator('.player video');
  await video.waitFor({ timeout: 15_000 });
  await video.evaluate(async (v: HTMLVideoElement) => {
    v.muted = true;
    await v.play();
  });
  await page.waitForFunction(
    () => {
      const v = document.querySelector<HTMLVideoElement>('.player video');
      return !!v && v.readyState >= 2 && v.currentTime > 0.2;
    },
    undefined,
    { timeout: 20_000 },
  );
}

describe('dashboard in Chromium', () => {
  let srv: TestServer;
  let browser: Browser;
  let media: { dir: string; cleanup: () => void };
  let clip: string;

  before(async () => {
    ensureDashboardBuilt();
    mkdirSync(RESULTS, { recursive: true });
    media = tempDir('shardcast-e2e-');
    clip = makeClip(join(media.dir, 'testsrc.mp4'), { seconds: 4, size: '320x240', rate: 25, gop: 25, noise: 0 });
    srv = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    media?.cleanup();
  });

  it('uploads a clip, follows it live to done, shows a segment, plays the output', { timeout: 90_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const id = await uploadThroughPage(page, srv.url, clip, { segmentSeconds: '1', preset: 'ultrafast', workers: '2' });
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const seen = await watchStatus(page, 'done');
    assert.equal(
      await page.evaluate(() => (window as unknown as { marker?: number }).marker),
      1,
      'the page updated live, without a reload',
    );
    assert.ok(seen.length >= 1);
    await page.getByText('4/4 segments done').waitFor();
    const cells = page.locator('.segment-map .cell[data-kind=video]');
    assert.equal(await cells.count(), 4);
    for (let i = 0; i < 4; i++) assert.match((await cells.nth(i).innerText()).replace(/\s+/g, ' '), new RegExp(`${i} ✓ done`));
    await page.locator('.events li[data-type="job.done"]').waitFor();
    // The newest event is at the top of the history, in view without scrolling.
    const seqs = await page.locator('.events li').evaluateAll((li) => li.map((x) => Number(x.getAttribute('data-seq'))));
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
      'newest first',
    );
    assert.equal(
      await page
        .locator('.events li')
        .first()
        .evaluate((li) => {
          const wrap = li.closest('.events-wrap')!;
          return li.getBoundingClientRect().top - wrap.getBoundingClientRect().top < wrap.clientHeight;
        }),
      true,
    );
    // Workers in plain words: lanes "worker N (pid P)", events "on this machine (pid P)", no host:pid/start ids.
    for (const label of await page.locator('.tl-label').allInnerTexts()) assert.match(label, /^worker [12] \(pid \d+\)$/);
    assert.match(await page.locator('.events li[data-type="task.started"] .ev-msg').first().innerText(), / on this machine \(pid \d+\)$/);
    assert.doesNotMatch(await page.locator('body').innerText(), /\b[\w.-]+:\d+\/\d+\b|pid \d+ #\d/);
    assert.match(await page.locator('[data-total="Speed-up vs real time"]').innerText(), /^\d+(\.\d+)?×$/);

    await page.locator('.cell[data-kind=video][data-index="1"]').click();
    const details = page.locator('aside.details');
    await details.getByRole('heading', { name: /Segment 1/ }).waitFor();
    const detailText = await details.innerText();
    assert.match(detailText, /frames 25–49 \(25\), 1\.000–2\.000 s/);
    assert.match(await details.locator('pre.cmd').innerText(), /^ffmpeg .*libx264/s);
    assert.match(detailText, /sha256 [0-9a-f]{64}/);

    await checkPlays(page);

    // The quality report, on request: the worst seam is named under the map and marked on its cell.
    await page.locator('button[data-action=quality]').click();
    const line = page.locator('[data-role=quality]');
    await line.waitFor({ timeout: 30_000 });
    assert.match(
      await line.innerText(),
      /PSNR \d+\.\d\d dB, SSIM 0\.\d{4} against the source · worst seam before segment [123]: cut at \d\.000 s/,
    );
    assert.equal(await page.locator('.segment-map .cell .seam').count(), 3);
    assert.equal(await page.locator('.segment-map .cell .seam.worst').count(), 1);
    assert.match(await page.locator('[data-total=Quality]').innerText(), /^PSNR \d+\.\d\d dB/);
    await page.screenshot({ path: join(RESULTS, 'job-page-done.png'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the job page is ${overflow}px wider than a phone screen`);
    await page.screenshot({ path: join(RESULTS, 'job-page-phone.png'), fullPage: false });
    await page.goto(`${srv.url}/`);
    await page.locator(`tr[data-job="${id}"] .badge[data-status=done]`).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('makes an HLS ladder from the form, lists its renditions and plays it with hls.js', { timeout: 90_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const id = await uploadThroughPage(page, srv.url, clip, {
      container: 'hls',
      ladder: '240,120:200k',
      segmentDuration: '1',
      dash: 'true',
      preset: 'ultrafast',
      workers: '2',
    });
    await watchStatus(page, 'done');
    const rows = page.locator('.player table.renditions tbody tr');
    await rows.first().waitFor({ timeout: 15_000 });
    assert.deepEqual(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-rendition'))), ['v240', 'v120', 'a0']);
    assert.match((await rows.nth(0).innerText()).replace(/\s+/g, ' '), /v240 320×240 avc1\.\w+ 4 \d[\d.]* [kKM]?B \d+ kb\/s \d+ kb\/s/);
    await page.locator('.player a', { hasText: 'manifest.mpd' }).waitFor();
    // A ladder says so, and its size is the whole ladder on disk, not its master playlist.
    assert.match(await page.locator('.job-head .mono').innerText(), / · HLS \+ DASH ladder · /);
    assert.doesNotMatch(await page.locator('.job-head .mono').innerText(), / · mp4 · /);
    const onDisk = folderBytes(join(srv.stateDir, 'outputs', id));
    assert.ok(onDisk > 20 * statSync(join(srv.stateDir, 'outputs', id, 'master.m3u8')).size);
    assert.equal(await page.locator('[data-total="Output size (whole ladder)"]').innerText(), bytes(onDisk));
    await page.screenshot({ path: join(RESULTS, 'job-page-ladder.png'), fullPage: true });
    await checkPlays(page);
    assert.match((await page.locator('.player video').getAttribute('data-level')) ?? '', /^(320x240|160x120)$/);
    assert.equal(await page.locator('.player video').getAttribute('data-error'), null);
    await page.goto(`${srv.url}/`);
    assert.match(await page.locator(`tr[data-job="${id}"]`).innerText(), /HLS \+ DASH ladder/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows a failed segment, retries only it after the fault is removed, and plays the result', { timeout: 90_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    srv.faults.failSegment = 2;
    await uploadThroughPage(page, srv.url, clip, { segmentSeconds: '1', preset: 'ultrafast', workers: '2', maxAttempts: '2' });
    await watchStatus(page, 'failed');
    const bad = page.locator('.cell[data-kind=video][data-index="2"]');
    await page.waitForFunction(
      () => document.querySelector('.cell[data-kind=video][data-index="2"]')?.getAttribute('data-status') === 'failed',
    );
    assert.match(await bad.innerText(), /failed/);
    assert.match((await bad.getAttribute('aria-label')) ?? '', /segment 2: failed, 2 attempts/);
    assert.match(await page.locator('[data-role=job-error]').innerText(), /segment 2 failed after 2 attempts/);
    assert.equal(await page.locator('[data-total="Speed-up vs real time"]').innerText(), '–', 'no speed-up for a failed job');
    await bad.click();
    await page.locator('aside.details pre.log').filter({ hasText: 'injected-fault-for-test' }).waitFor();
    assert.equal(await page.locator('.tl-bar.out-failed').count(), 2);

    srv.faults.failSegment = undefined;
    const retry = page.getByRole('button', { name: /Retry failed segments/ });
    assert.ok(await retry.isEnabled());
    await retry.click();
    await watchStatus(page, 'done', 60_000);
    await page.waitForFunction(
      () => document.querySelector('.cell[data-kind=video][data-index="2"]')?.getAttribute('data-status') === 'done',
    );
    assert.match(await page.locator('.cell[data-kind=video][data-index="2"]').innerText(), /↻3/);
    await page.locator('aside.details .badge.st-done').waitFor();
    await page.locator('.events li[data-type="job.retry"]').waitFor();
    assert.ok((await page.locator('.tl-bar.retry').count()) >= 1);
    await checkPlays(page);
    await page.locator('.player video').evaluate((v: HTMLVideoElement) => v.pause());
    await page.screenshot({ path: join(RESULTS, 'job-page.png'), fullPage: true });
    await page.close();
  });
});

describe('dashboard token prompt', () => {
  it('asks for the token once and keeps it for the session', { timeout: 60_000 }, async () => {
    ensureDashboardBuilt();
    const srv = await startTestServer({ requireToken: true, token: 'browser-token-123456' });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${srv.url}/`);
      const dialog = page.locator('dialog.token-dialog');
      await dialog.waitFor();
      await dialog.locator('input[name=token]').fill('wrong');
      await dialog.getByRole('button', { name: 'Continue' }).click();
      await dialog.getByText('That token was not accepted.').waitFor();
      await dialog.locator('input[name=token]').fill('browser-token-123456');
      await dialog.getByRole('button', { name: 'Continue' }).click();
      await page.getByText(/No jobs yet/).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('shardcast-token')), 'browser-token-123456');
      await page.reload();
      await page.getByText(/No jobs yet/).waitFor();
      assert.equal(await page.locator('dialog.token-dialog').count(), 0);
    } finally {
      await browser.close();
      await srv.close();
    }
  });
});
