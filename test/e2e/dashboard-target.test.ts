/**
 * A targeted job (`--target-quality`, issue 28) on the job page in Chromium: the target and how many segments
 * reached it under the header, each cell's score coloured by where it lands (with a legend), a segment's search
 * in its details (its trials as a table), and a running segment's trials so far. Those jobs are written into the
 * server's ledger as the encode side writes it (support/targeted-job.ts): the page is what is under test. Then
 * the new-job form's quality target: a real job made through it (a 4 s clip of scenes of different difficulty)
 * runs to done with every segment scored and its target in the jobs list; a ladder cannot have one; the API's
 * refusal shows in the form.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { makeMixedClip, tempDir } from '../support/media.js';
import { ensureDashboardBuilt, launchChromium } from './support/browser.js';
import { api, REPO_ROOT, startTestServer, waitFor, type TestServer } from './support/server-harness.js';
import { writeTargetedJob } from './support/targeted-job.js';

const RESULTS = join(REPO_ROOT, 'test-results');

describe('a targeted job on the job page', () => {
  let srv: TestServer;
  let browser: Browser;
  let media: { dir: string; cleanup: () => void };

  before(async () => {
    ensureDashboardBuilt();
    mkdirSync(RESULTS, { recursive: true });
    media = tempDir('shardcast-e2e-target-');
    srv = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    media?.cleanup();
  });

  async function open(id: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/jobs/${id}`);
    await page.locator('.cell[data-kind=video]').first().waitFor();
    return { page, errors };
  }

  it('names the target, colours each segment by its score and shows a segment’s trials', { timeout: 60_000 }, async () => {
    const id = 'target0done1';
    await writeTargetedJob(srv.server.ctx.backend.ledger, { id, source: '/media/city.mp4', output: '/out/city.mp4', now: Date.now() });
    const view = (await api(srv.url, 'GET', `/api/jobs/${id}`)).body;
    assert.equal(view.target.summary, '4 of 6 segments in band (vmaf 93 ±1)', 'the API keeps the target');
    assert.equal(view.segments[3].quality.position, 'below');
    const { page, errors } = await open(id);
    try {
      assert.equal(
        await page.locator('[data-role=target]').innerText(),
        'Target vmaf 93 ±1, crf 18–40: 4 of 6 segments in band · segment 1 above the band: 95.84 at crf 40 (the CRF range ran out at --max-crf 40) · segment 3 below the band: 88.20 at crf 18 (the CRF range ran out at --min-crf 18)',
      );
      assert.match(await page.locator('.job-title + p').innerText(), /· h264 a CRF per segment medium ·/, 'no single CRF in the header');
      const positions = await page
        .locator('.cell[data-kind=video] .cell-score')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-position')));
      assert.deepEqual(positions, ['in', 'above', 'in', 'below', 'in', 'in']);
      assert.equal((await page.locator('.cell[data-index="3"] .cell-score').innerText()).trim(), '▼ 88.2');
      assert.match((await page.locator('.cell[data-index="3"]').getAttribute('title')) ?? '', /vmaf 88\.20 at crf 18, below the band/);
      // The score's colour is the band's, not the state's.
      // Found and read in one tick: the page re-renders on every snapshot, and a replaced element has no style.
      const colour = (sel: string) => page.evaluate((s) => getComputedStyle(document.querySelector(s)!).color, sel);
      assert.notEqual(await colour('.cell[data-index="3"] .cell-score'), await colour('.cell[data-index="0"] .cell-score'));
      assert.equal(await colour('.cell[data-index="3"] .cell-score'), await colour('[data-role=score-legend] [data-position=below]'));
      assert.deepEqual(
        (await page.locator('[data-role=score-legend] .legend-item').allInnerTexts()).map((t) => t.trim()),
        ['✓ in band 4', '▲ above the band 1', '▼ below the band 1'],
      );

      // The cost says what the searches took of it.
      assert.match(await page.locator('[data-total="Cost estimate"]').innerText(), /; the CRF searches \$[\d.]+ of it$/);

      await page.locator('.cell[data-kind=video][data-index="3"]').click();
      const details = page.locator('aside.details [data-role=segment-quality]');
      await details.waitFor();
      assert.match(
        await details.locator('[data-role=segment-score]').innerText(),
        /^▼ vmaf 88\.20 at crf 18, below the band \(the CRF range ran out at --min-crf 18\), 2\.95 MB$/,
      );
      assert.match(
        await details.locator('[data-role=segment-report]').innerText(),
        /^PSNR 39\.28 dB, SSIM 0\.9674 over its frames$/,
        'the quality report’s means over the segment’s own frames',
      );
      const rows = await details
        .locator('[data-role=trials] tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      assert.deepEqual(
        rows.map((r) => r.slice(0, 5)),
        [
          ['probe', '23', '86.90', '420.0 KB', '25'],
          ['probe', '18', '88.90', '780.0 KB', '25'],
          ['encode', '18', '88.20', '2.95 MB', '100'],
        ],
      );
      assert.equal(await details.locator('tr.kept').getAttribute('data-crf'), '18', 'the kept encode stands out');
      await page.screenshot({ path: join(RESULTS, 'job-page-target.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('a segment still searching shows its trials so far', { timeout: 60_000 }, async () => {
    const id = 'target0run01';
    await writeTargetedJob(srv.server.ctx.backend.ledger, {
      id,
      source: '/media/city.mp4',
      output: '/out/city.mp4',
      now: Date.now(),
      running: true,
    });
    const { page, errors } = await open(id);
    try {
      assert.match(await page.locator('[data-role=target]').innerText(), /: 3 of 6 segments in band, 1 not scored yet · segment 1 above/);
      assert.equal(await page.locator('.cell[data-index="5"] .cell-score').getAttribute('data-position'), 'searching');
      assert.match(await page.locator('[data-role=score-legend]').innerText(), /not scored yet 1/);
      await page.locator('.cell[data-kind=video][data-index="5"]').click();
      const details = page.locator('aside.details [data-role=segment-quality]');
      await details.locator('[data-role=trials]').waitFor();
      assert.equal(await details.locator('[data-role=segment-score]').innerText(), 'searching: 2 trials so far');
      assert.equal(await details.locator('[data-role=trials] tbody tr').count(), 2);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('the form sends a target: its job runs to done, every segment scored, the target in the list', { timeout: 300_000 }, async () => {
    const clip = makeMixedClip(join(media.dir, 'mixed.mp4'));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${srv.url}/`);
      const metric = page.locator('[data-role=target-metric]');
      const value = page.locator('[data-role=target-value]');
      assert.equal(await metric.inputValue(), '', 'no target unless asked');
      assert.equal(await value.isDisabled(), true);
      for (const [m, v] of [
        ['ssim', '0.985'],
        ['vmaf', '93'],
        ['psnr', '40'],
      ]) {
        await metric.selectOption(m!);
        assert.equal(await value.inputValue(), v, `${m}'s default`);
      }
      await value.fill('38');
      await page.locator('input[type=file][name=file]').setInputFiles(clip);
      await page.locator('[name=segmentSeconds]').fill('1');
      await page.locator('[name=preset]').selectOption('veryfast');
      await page.locator('[name=workers]').fill('2');
      await page.getByRole('button', { name: 'Upload and transcode' }).click();
      await page.waitForURL(/\/jobs\/[a-z0-9]{6,32}$/, { timeout: 60_000 });
      const id = /\/jobs\/([a-z0-9]+)$/.exec(page.url())![1]!;

      await page.locator('.job-head .badge[data-status=done]').waitFor({ timeout: 240_000 });
      // The API has the target the form sent (its one field for it: targetQuality).
      const view = (await api(srv.url, 'GET', `/api/jobs/${id}`)).body;
      assert.equal(view.status, 'done', view.error);
      assert.equal(view.target.metric, 'psnr');
      assert.equal(view.target.value, 38);
      const videos = view.segments.filter((x: { kind: string }) => x.kind === 'video');
      assert.equal(videos.length, 4, 'four 1 s segments');
      assert.equal(view.target.scored, 4);
      // Every segment shows its kept encode's score on its cell, as the API has it.
      await page.locator('[data-role=target]').waitFor();
      const cells = await page
        .locator('.cell[data-kind=video]')
        .evaluateAll((els) => els.map((e) => e.querySelector('.cell-score')?.getAttribute('data-score') ?? null));
      assert.deepEqual(
        cells.map((c) => (c === null ? null : Number(c))),
        videos.map((x: { quality: { score: number } }) => x.quality.score),
      );
      assert.match(
        await page.locator('[data-role=target]').innerText(),
        new RegExp(`^Target psnr 38 ±0\\.5 dB.*: ${view.target.inBand} of 4 segments in band`),
      );

      // The jobs list names the target and how many segments landed in its band.
      await page.goto(`${srv.url}/`);
      const listed = page.locator(`tr[data-job="${id}"] [data-role=list-target]`);
      await listed.waitFor({ timeout: 15_000 });
      assert.equal(await listed.innerText(), `psnr 38 · ${view.target.inBand}/4 in band`);
      assert.equal(await listed.getAttribute('title'), 'target psnr 38 ±0.5 dB');
      const handMade = await waitFor('the hand-made job in the list', async () =>
        (await api(srv.url, 'GET', '/api/jobs')).body.jobs.find((j: { id: string }) => j.id === 'target0done1'),
      );
      assert.deepEqual(handMade.target, { metric: 'vmaf', value: 93, label: 'vmaf 93 ±1', segments: 6, scored: 6, inBand: 4 });
      assert.equal(await page.locator('tr[data-job="target0done1"] [data-role=list-target]').innerText(), 'vmaf 93 · 4/6 in band');
      assert.equal(
        await page.locator(`tr[data-job="target0run01"] [data-role=list-target]`).innerText(),
        'vmaf 93 · 3/6 in band · 1 not scored yet',
      );
      await page.screenshot({ path: join(RESULTS, 'jobs-list-target.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('a ladder cannot have a target; the API’s refusal shows in the form', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${srv.url}/`);
      const metric = page.locator('[data-role=target-metric]');
      const value = page.locator('[data-role=target-value]');
      await metric.selectOption('psnr');
      await page.locator('[name=container]').selectOption('hls');
      assert.equal(await metric.isDisabled(), true, 'no target on an HLS ladder');
      assert.equal(await value.isDisabled(), true);
      await page.locator('[name=container]').selectOption('mp4');
      assert.equal(await metric.isDisabled(), false);
      await metric.selectOption('ssim');
      await value.fill('1.5');
      await page
        .locator('input[type=file][name=file]')
        .setInputFiles({ name: 'x.mp4', mimeType: 'video/mp4', buffer: Buffer.from('not a video') });
      await page.getByRole('button', { name: 'Upload and transcode' }).click();
      const status = page.locator('.form-status.error');
      await status.waitFor({ timeout: 30_000 });
      assert.equal(await status.innerText(), 'Upload refused: --target-quality ssim must be from 0.5 to 0.99999 (e.g. ssim:0.985)');
      assert.equal(new URL(page.url()).pathname, '/', 'no job page: no job');
    } finally {
      await page.close();
    }
  });
});
