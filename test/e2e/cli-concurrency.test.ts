/**
 * Concurrency: several `transcode` runs and `shardcast serve` on one state dir. Their ledger writes never turn
 * into failures (SQLite WAL, a busy timeout, short IMMEDIATE transactions), the server answers throughout, and
 * every job keeps its own files and output.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliDetached } from '../support/cli.js';
import { frameHashes, makeClip, tempDir } from '../support/media.js';
import { api, startTestServer, waitForStatus, type TestServer } from './support/server-harness.js';
import { exitOf } from '../support/processes.js';

function run(args: string[], stateDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = cliDetached(args, { stateDir });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => (stdout += b));
  child.stderr!.on('data', (b) => (stderr += b));
  return exitOf(child, `shardcast ${args[0]}`, 240_000, () => stderr).then(({ code }) => ({ code, stdout, stderr }));
}

describe('concurrency on one state dir', () => {
  let srv: TestServer;
  const media = tempDir('shardcast-concurrency-');
  before(async () => {
    srv = await startTestServer({ roots: [media.dir] });
  });
  after(async () => {
    await srv?.close();
    media.cleanup();
  });

  it(
    'four transcodes at once beside serve, and a job through its API: all done, each with its own output',
    { timeout: 180_000 },
    async () => {
      const clips = [0, 1, 2, 3, 4].map((i) =>
        makeClip(join(media.dir, `c${i}.mp4`), { seconds: 2 + i * 0.4, size: '160x120', rate: 25, gop: 10 }),
      );
      const outs = clips.map((_, i) => join(media.dir, `c${i}.out.mp4`));
      const opts = ['--preset', 'ultrafast', '--segment-seconds', '0.5', '--workers', '2', '--json', '--no-progress'];
      const runs = clips.slice(0, 4).map((c, i) => run(['transcode', c, outs[i]!, ...opts], srv.stateDir));
      const created = await api(srv.url, 'POST', '/api/jobs', {
        json: { source: clips[4], preset: 'ultrafast', segmentSeconds: 0.5, workers: 2 },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      let settled = false;
      const all = Promise.all(runs).finally(() => (settled = true));
      // The server reads the same ledger throughout.
      const answers: number[] = [];
      while (!settled) {
        answers.push((await api(srv.url, 'GET', '/api/jobs')).status);
        await new Promise((r) => setTimeout(r, 50));
      }
      const results = await all;
      results.forEach((r, i) => assert.equal(r.code, 0, `run ${i}: ${r.stderr}`));
      assert.ok(
        answers.length > 5 && answers.every((s) => s === 200),
        `server answers: ${answers.filter((s) => s !== 200).join(', ') || 'none'} of ${answers.length} failed`,
      );
      const apiJob = await waitForStatus(srv.url, created.body.id, ['done', 'failed']);
      assert.equal(apiJob.status, 'done', apiJob.error);
      const views = results.map((r) => JSON.parse(r.stdout));
      assert.equal(new Set([...views.map((v) => v.id), apiJob.id]).size, 5, 'five distinct jobs');
      views.forEach((v, i) => {
        assert.equal(v.status, 'done');
        assert.equal(v.output, outs[i]);
        assert.equal(frameHashes(outs[i]!).length, frameHashes(clips[i]!).length, `output ${i} has its own source's frames`);
      });
      const list = (await api(srv.url, 'GET', '/api/jobs')).body.jobs as Array<{ id: string; status: string }>;
      for (const id of [...views.map((v) => v.id), apiJob.id]) assert.equal(list.find((j) => j.id === id)?.status, 'done', id);
    },
  );
});
