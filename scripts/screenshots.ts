/**
 * Makes the job page pictures of docs/ from a real server and a real browser, never by hand:
 * docs/job-page-running.png (a job while it encodes: frames, fps, time left, a running segment's details),
 * docs/job-page-done.png (a done job with its quality report, a segment's details and the player),
 * docs/job-page-failed-analysis.png (a job whose source is not a video), docs/job-page-ladder.png (an HLS +
 * DASH ladder) and docs/job-page-target.png (a real `--target-quality psnr:38` job over a 4 s clip of scenes of
 * different difficulty: each segment's score, one segment's trials). Tiny lavfi clips made with ffmpeg,
 * `shardcast serve` on 127.0.0.1 over a temp state dir, Debian's Chromium (or SHARDCAST_CHROMIUM) through
 * playwright-core. Names on the command line make only those pictures (`target`, `running`, `done`, ...).
 *
 *   npm run build && npx tsx scripts/screenshots.ts [target running done ladder failed]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/e2e/support/browser.js';
import { makeMixedClip } from '../test/support/media.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = join(ROOT, 'docs');

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

/** testsrc2 with noise (so the encode takes a while) and a tone, keyframes every second. */
function makeClip(path: string, seconds: number, size: string, noise: number): string {
  ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25,noise=alls=${noise}:allf=t`],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-shortest', path],
  ]);
  return path;
}

/** `shardcast serve` on a free port of 127.0.0.1; resolves with its URL once it listens. */
function serve(stateDir: string, root: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'shardcast.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--state-dir', stateDir, '--root', root],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = async () => {
    child.kill('SIGINT');
    await exited;
  };
  return new Promise((res, rej) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) res({ url: m[1]!, stop });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`shardcast serve exited (${code}): ${out}`)));
  });
}

async function submit(url: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id?: string; message?: string };
  if (res.status !== 201 || !json.id) throw new Error(`POST /api/jobs: ${res.status} ${json.message}`);
  return json.id;
}

async function badge(page: Page, status: string, timeoutMs = 180_000): Promise<void> {
  await page.locator(`.job-head .badge[data-status=${status}]`).waitFor({ timeout: timeoutMs });
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(DOCS, name), fullPage: true });
  console.log(`docs/${name}`);
}

/** Waits (at most 20 s) until the player shows a frame, then stops it at its start. */
async function stillPlayer(page: Page): Promise<void> {
  const ready = () => {
    const v = document.querySelector<HTMLVideoElement>('.player video');
    return !!v && v.readyState >= 2;
  };
  await page.waitForFunction(ready, undefined, { timeout: 20_000 }).catch(() => undefined);
  await page.locator('.player video').evaluate((v: HTMLVideoElement) => {
    v.pause();
    v.currentTime = 1;
  });
}

const asked = process.argv.slice(2);
const wanted = (name: string) => asked.length === 0 || asked.includes(name);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'shardcast-shots-'));
  const media = join(work, 'media');
  spawnSync('mkdir', ['-p', media]);
  const slow = makeClip(join(media, 'city-walk.mp4'), 12, '640x360', 20);
  const small = makeClip(join(media, 'interview.mp4'), 4, '320x240', 10);
  const notVideo = join(media, 'notes.mp4');
  writeFileSync(notVideo, 'these are meeting notes, not a video\n'.repeat(50));
  const state = join(work, 'state');
  spawnSync('mkdir', ['-p', state]);
  const server = await serve(state, media);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

    if (wanted('target')) await shootTarget(page, server.url, makeMixedClip(join(media, 'mixed-scenes.mp4')));
    if (wanted('running')) await shootRunning(page, server.url, slow);
    if (wanted('done')) await shootDone(page, server.url, small);
    if (wanted('ladder')) await shootLadder(page, server.url, small);
    if (wanted('failed')) await shootFailed(page, server.url, notVideo);
  } finally {
    await browser.close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Running: four segments, two workers, preset slower: caught with a segment done and two encoding, the one shown
 * part-way through its frames (the page re-renders: checked again after the click).
 */
async function shootRunning(page: Page, url: string, slow: string): Promise<void> {
  const running = await submit(url, { source: slow, preset: 'slower', workers: 2, segmentSeconds: 3 });
  await page.goto(`${url}/jobs/${running}`);
  const midway = () => {
    const cells = [...document.querySelectorAll('.cell[data-kind=video][data-status=running]')];
    const done = document.querySelectorAll('.cell[data-kind=video][data-status=done]').length;
    // Running cells with some of their frames encoded, not all, the selected one first.
    const mids = cells
      .filter((c) => {
        const m = / (\d+)\/(\d+) frames/.exec(c.getAttribute('title') ?? '');
        return !!m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]);
      })
      .sort((a, b) => Number(b.getAttribute('aria-pressed') === 'true') - Number(a.getAttribute('aria-pressed') === 'true'));
    if (!mids[0] || cells.length < 2 || done < 1 || !document.querySelector('.job-head [data-role=eta]')) return undefined;
    return mids[0].getAttribute('data-index');
  };
  for (let tries = 0; ; tries++) {
    const index = await (await page.waitForFunction(midway, undefined, { timeout: 240_000, polling: 100 })).jsonValue();
    await page.locator(`.cell[data-kind=video][data-index="${index}"]`).click();
    await page.locator('aside.details pre.cmd').waitFor({ timeout: 10_000 });
    if ((await page.evaluate(midway)) === index || tries >= 5) break;
  }
  await shoot(page, 'job-page-running.png');
  await badge(page, 'done');
}

/**
 * A real --target-quality job: four 1 s scenes (plain, noisy, two busy patterns), so the segments need different
 * CRFs; each segment's score against the band on the map, the noisy segment's search in its details.
 */
async function shootTarget(page: Page, url: string, mixed: string): Promise<void> {
  const id = await submit(url, { source: mixed, targetQuality: 'psnr:38', segmentSeconds: 1, preset: 'veryfast', workers: 2 });
  await page.goto(`${url}/jobs/${id}`);
  await badge(page, 'done');
  await page.locator('[data-role=score-legend]').waitFor();
  await page.locator('.cell[data-kind=video][data-index="1"]').click();
  await page.locator('aside.details [data-role=trials]').waitFor();
  await shoot(page, 'job-page-target.png');
}

async function shootDone(page: Page, url: string, small: string): Promise<void> {
  // Done: four segments, a quality report, a segment's details, the player.
  const done = await submit(url, { source: small, preset: 'veryfast', workers: 2, segmentSeconds: 1, qualityReport: true });
  await page.goto(`${url}/jobs/${done}`);
  await badge(page, 'done');
  await page.locator('[data-role=quality]').waitFor();
  await page.locator('.cell[data-kind=video][data-index="2"]').click();
  await page.locator('aside.details pre.cmd').waitFor();
  await stillPlayer(page);
  await shoot(page, 'job-page-done.png');
}

async function shootLadder(page: Page, url: string, small: string): Promise<void> {
  // A ladder: two rungs and audio, HLS and DASH.
  const ladder = await submit(url, {
    source: small,
    container: 'hls',
    ladder: '240,120:200k',
    segmentDuration: 1,
    dash: true,
    preset: 'veryfast',
    workers: 2,
  });
  await page.goto(`${url}/jobs/${ladder}`);
  await badge(page, 'done');
  await page.locator('.player table.renditions tbody tr').first().waitFor();
  await stillPlayer(page);
  await shoot(page, 'job-page-ladder.png');
}

async function shootFailed(page: Page, url: string, notVideo: string): Promise<void> {
  // Failed in analysis: the source is not a video.
  const failed = await submit(url, { source: notVideo });
  await page.goto(`${url}/jobs/${failed}`);
  await badge(page, 'failed');
  await page.locator('.events li[data-type="job.failed"]').waitFor();
  await shoot(page, 'job-page-failed-analysis.png');
}

await main();
