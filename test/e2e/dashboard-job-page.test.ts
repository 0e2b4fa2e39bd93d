/**
 * The job page's figures and words in Chromium (issue 27): live frames, fps and time left for the job and for
 * its running segment while a one-segment job encodes (and the segment's command); no speed-up before a job
 * is done; a job that failed in analysis says so, with Resume and Retry off and the server refusing both with
 * the reason; worker ids in plain words.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { makeClip, tempDir } from '../support/media.js';
import { ensureDashboardBuilt, launchChromium } from './support/browser.js';
import { REPO_ROOT, api, startTestServer, waitFor, waitForStatus, type TestServer } from './support/server-harness.js';

const RESULTS = join(REPO_ROOT, 'test-results');

describe('job page figures in Chromium', () => {
  let srv: TestServer;
  let browser: Browser;
  let media: { dir: string; cleanup: () => void };
  let slowClip: string;

  before(async () => {
    ensureDashboardBuilt();
    media = tempDir('shardcast-e2e-page-');
    // 400 noisy frames at 640x360, encoded with preset slower by one worker: several seconds of encoding to watch
    // (the job is cancelled once seen).
    slowClip = makeClip(join(media.dir, 'slow.mp4'), { seconds: 16, size: '640x360', rate: 25, gop: 250, noise: 20 });
    srv = await startTestServer({ roots: [media.dir] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    media?.cleanup();
  });

  it('shows live frames, fps and time left for a one-segment job and its running segment', { timeout: 300_000 }, async () => {
    const r = await api(srv.url, 'POST', '/api/jobs', {
      json: { source: slowClip, preset: 'slower', workers: 1, segmentSeconds: 60, audioCodec: 'none', verify: false },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.id as string;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${srv.url}/jobs/${id}`);
      // The header's frames move before the only segment is done.
      const frames = page.locator('.job-head [data-role=frames]');
      const moving = await waitFor(
        'frames between 0 and 400 in the header',
        async () => {
          const text = (await frames.innerText({ timeout: 500 }).catch(() => '')) ?? '';
          const m = /^(\d+)\/400 frames$/.exec(text.trim());
          return m && Number(m[1]) > 0 && Number(m[1]) < 400 ? Number(m[1]) : undefined;
        },
        240_000,
        100,
      );
      assert.ok(moving > 0);
      assert.match(await page.locator('.job-head [data-role=segments]').innerText(), /^0\/1 segments done$/);
      await page.locator('.job-head [data-role=fps]').waitFor({ timeout: 10_000 });
      assert.match(await page.locator('.job-head [data-role=fps]').innerText(), /^\d+(\.\d)? fps$/);
      assert.match(await page.locator('.job-head [data-role=eta]').innerText(), /^(\d+ s|\d+:\d\d) left$/);
      assert.match(
        await page.locator('[data-role=running-segments] li').first().innerText(),
        /^segment 0: frames \d+ of 400 \(\d+%\) · \d+(\.\d)? fps · (\d+ s|\d+:\d\d) left$/,
      );
      assert.match((await page.locator('.cell[data-kind=video][data-index="0"]').getAttribute('title')) ?? '', /\d+\/400 frames/);
      assert.equal(await page.locator('[data-total="Speed-up vs real time"]').innerText(), 'when done');
      // The jobs list follows the frames too.
      const list = await browser.newPage();
      await list.goto(`${srv.url}/`);
      assert.match(await list.locator(`tr[data-job="${id}"] [data-role=list-progress]`).innerText(), /^0\/1 · \d+%/);
      await list.close();

      // The running segment's details: live figures, its command, its worker in plain words.
      await page.locator('.cell[data-kind=video][data-index="0"]').click();
      const details = page.locator('aside.details');
      await details.locator('[data-role=segment-live]').waitFor();
      assert.match(await details.locator('[data-role=segment-live]').innerText(), /^frames \d+ of 400 \(\d+%\)/);
      await details.locator('pre.cmd').waitFor({ timeout: 10_000 });
      assert.match(await details.locator('pre.cmd').innerText(), /^ffmpeg .*libx264.*-preset slower/s);
      assert.match(await details.innerText(), /Running: ffmpeg's log is kept when the attempt ends/);
      assert.match(await details.innerText(), /Worker\s+this machine \(pid \d+\)/);
      const before = await details.locator('[data-role=segment-live]').innerText();
      await page.waitForFunction((b) => document.querySelector('[data-role=segment-live]')?.textContent !== b, before, { timeout: 10_000 });
      await page.screenshot({ path: join(RESULTS, 'job-page-running.png'), fullPage: true });

      // Internal ids stay out of the page's words (they remain in tooltips).
      const text = await page.locator('main, body').first().innerText();
      assert.doesNotMatch(text, /\b[\w.-]+:\d+\/\d+\b/, 'no host:pid/start worker id in the text');
      assert.doesNotMatch(text, /pid \d+ #\d/);
      assert.match(await page.locator('.tl-label').first().innerText(), /^worker 1 \(pid \d+\)$/);

      assert.equal((await api(srv.url, 'POST', `/api/jobs/${id}/cancel`)).status, 200);
      await page.locator('.job-head .badge[data-status=cancelled]').waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('[data-total="Speed-up vs real time"]').innerText(), '–');
      assert.equal(await page.locator('.job-head [data-role=fps]').count(), 0, 'no rate once it stopped');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('a job that failed in analysis says so, and Resume and Retry are off with the reason', { timeout: 60_000 }, async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('this is not a video\n'.repeat(100))]), 'notes.mp4');
    const res = await fetch(`${srv.url}/api/jobs`, { method: 'POST', body: form });
    assert.equal(res.status, 201, await res.clone().text());
    const id = ((await res.json()) as { id: string }).id;
    const job = await waitForStatus(srv.url, id, ['failed', 'done']);
    assert.equal(job.status, 'failed');
    assert.equal(job.planned, false);
    assert.equal(job.sourceRefused, true, 'its source was refused: no run would get further');
    assert.equal(job.speed, undefined);

    // The server refuses both, saying why and what to do.
    for (const action of ['resume', 'retry']) {
      const r = await api(srv.url, 'POST', `/api/jobs/${id}/${action}`);
      assert.equal(r.status, 409, `${action}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.message, new RegExp(`^job ${id} failed before it was planned: .+; fix the input and start a new job$`));
      assert.doesNotMatch(r.body.message, /\n/);
    }

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${srv.url}/jobs/${id}`);
      await page.locator('.job-head .badge[data-status=failed]').waitFor();
      assert.match(
        await page.locator('[data-role=job-error]').innerText(),
        /^Failed in analysis, before the source was cut into segments: /,
      );
      assert.match(await page.locator('[data-role=no-segments]').innerText(), /failed in analysis/);
      assert.doesNotMatch(await page.locator('.segment-map-wrap').innerText(), /being analyzed/);
      for (const name of [/Resume/, /Retry failed segments/]) {
        const b = page.getByRole('button', { name });
        assert.equal(await b.isDisabled(), true, `${String(name)} is off`);
        assert.match((await b.getAttribute('title')) ?? '', /is off: the job failed on its source/);
      }
      assert.match(await page.locator('[data-role=action-note]').innerText(), /fails the same way.*start a new job/);
      assert.equal(await page.locator('[data-total="Speed-up vs real time"]').innerText(), '–');
      assert.equal(await page.locator('[data-total="Cost estimate"]').innerText(), '–');
      await page.locator('.events li[data-type="job.failed"]').waitFor();
      assert.equal(await page.locator('.events li').first().getAttribute('data-type'), 'job.failed', 'newest event first');
      await page.screenshot({ path: join(RESULTS, 'job-page-failed-analysis.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
