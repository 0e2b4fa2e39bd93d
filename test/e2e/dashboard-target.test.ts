/**
 * A targeted job (`--target-quality`, issue 28) on the job page in Chromium: the target and how many segments
 * reached it under the header, each cell's score coloured by where it lands (with a legend), a segment's search
 * in its details (its trials as a table), and a running segment's trials so far. The job is written into the
 * server's ledger as the encode side writes it (support/targeted-job.ts): the page is what is under test.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from './support/browser.js';
import { api, REPO_ROOT, startTestServer, type TestServer } from './support/server-harness.js';
import { writeTargetedJob } from './support/targeted-job.js';

const RESULTS = join(REPO_ROOT, 'test-results');

describe('a targeted job on the job page', () => {
  let srv: TestServer;
  let browser: Browser;

  before(async () => {
    ensureDashboardBuilt();
    srv = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
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
      const positions = await page
        .locator('.cell[data-kind=video] .cell-score')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-position')));
      assert.deepEqual(positions, ['in', 'above', 'in', 'below', 'in', 'in']);
      assert.equal((await page.locator('.cell[data-index="3"] .cell-score').innerText()).trim(), '▼ 88.2');
      assert.match((await page.locator('.cell[data-index="3"]').getAttribute('title')) ?? '', /vmaf 88\.20 at crf 18, below the band/);
      // The score's colour is the band's, not the state's.
      const colour = (sel: string) => page.locator(sel).evaluate((e) => getComputedStyle(e).color);
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
});
