/**
 * `shardcast serve --backend cluster` in Chromium: the jobs page lists each worker (host, pid, its task, last
 * heartbeat) from GET /api/workers; a clip uploaded through the page runs on the cluster's workers, and its
 * segments name the worker that encoded each.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startRedis, startWorker, type RedisProcess, type WorkerProcess } from '../support/cluster.js';
import { makeClip, tempDir } from '../support/media.js';
import { ensureDashboardBuilt, launchChromium } from './support/browser.js';
import { api, startTestServer, waitFor, type TestServer } from './support/server-harness.js';

describe('dashboard on a cluster server', () => {
  const t = tempDir('shardcast-dash-cluster-');
  let redis: RedisProcess;
  let workers: WorkerProcess[] = [];
  let srv: TestServer;
  let browser: Browser;
  let clip: string;

  before(async () => {
    ensureDashboardBuilt();
    redis = await startRedis();
    const store = join(t.dir, 'store');
    mkdirSync(store);
    workers = await Promise.all([0, 1].map(() => startWorker({ redis: redis.url, store })));
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 4, size: '320x240', rate: 25, gop: 25, noise: 0 });
    srv = await startTestServer({ backend: 'cluster', cluster: { redis: redis.url, store } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
    t.cleanup();
  });

  it('GET /api/workers lists both workers; the page shows them; an uploaded job runs on them', { timeout: 90_000 }, async () => {
    const r = await api(srv.url, 'GET', '/api/workers');
    assert.equal(r.status, 200);
    assert.equal(r.body.backend, 'cluster');
    assert.deepEqual(r.body.workers.map((w: any) => w.pid).sort(), workers.map((w) => w.pid).sort());
    for (const w of r.body.workers) {
      assert.equal(w.host, hostname());
      assert.ok(Date.now() - w.heartbeatAt < 15_000, 'a fresh heartbeat');
    }
    const page = await browser.newPage();
    await page.goto(`${srv.url}/`);
    for (const w of workers) {
      const row = page.locator(`tr[data-worker*=":${w.pid}/"]`);
      await row.waitFor({ timeout: 10_000 });
      assert.match(await row.innerText(), new RegExp(`${hostname()}[\\s\\S]*${w.pid}[\\s\\S]*(idle|v\\d{5}|a00000)[\\s\\S]*s ago`));
    }
    await page.locator('input[type=file][name=file]').setInputFiles(clip);
    await page.locator('[name=preset]').selectOption('ultrafast');
    await page.getByRole('button', { name: 'Upload and transcode' }).click();
    await page.waitForURL(/\/jobs\/[a-z0-9]{6,32}$/, { timeout: 30_000 });
    const id = /\/jobs\/([a-z0-9]+)$/.exec(page.url())![1]!;
    const job = await waitFor(
      'the job to finish',
      async () => {
        const j = await api(srv.url, 'GET', `/api/jobs/${id}`);
        return j.body.status === 'done' || j.body.status === 'failed' ? j.body : undefined;
      },
      60_000,
      250,
    );
    assert.equal(job.status, 'done', job.error);
    const pids = new Set((job.segments as any[]).map((s) => Number(/:(\d+)\//.exec(s.worker)?.[1])));
    for (const p of pids)
      assert.ok(
        workers.some((w) => w.pid === p),
        `segment encoded by worker ${p}, one of the cluster's`,
      );
    await page.close();
  });
});
