/**
 * `shardcast serve` as a user runs it (the built CLI in its own process): it prints its URL, shows a job
 * that a separate `shardcast transcode` process runs (both read the same SQLite ledger), and on Ctrl-C
 * (SIGINT) stops, leaving its running job cancelled and resumable by the CLI.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, cli, cliDetached } from '../support/cli.js';
import { makeClip, REPO, tempDir } from '../support/media.js';
import { api, waitFor } from '../e2e/support/server-harness.js';
import { spawnGroup } from '../support/processes.js';

function startServe(stateDir: string, extra: string[] = []): Promise<{ proc: ChildProcess; url: string; output: () => string }> {
  const proc = spawnGroup(process.execPath, [BIN, '--state-dir', stateDir, 'serve', '--port', '0', ...extra], {
    cwd: REPO,
    env: { ...process.env, SHARDCAST_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 20_000);
    const check = () => {
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, output: () => out });
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

function exitOf(proc: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    const timer = setTimeout(() => reject(new Error('the process did not exit')), timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('shardcast serve (CLI)', () => {
  let tmp: { dir: string; cleanup: () => void };
  let stateDir: string;
  let longClip: string;
  const procs: ChildProcess[] = [];

  before(() => {
    tmp = tempDir('shardcast-serve-cli-');
    stateDir = join(tmp.dir, 'state');
    longClip = makeClip(join(tmp.dir, 'long.mp4'), { seconds: 6, size: '320x240', rate: 25, gop: 25, noise: 4 });
  });
  after(() => {
    for (const p of procs) if (p.exitCode === null && p.pid) process.kill(p.pid, 'SIGKILL');
    tmp?.cleanup();
  });

  it('prints its URL, serves the API and shows a job run by the CLI in another process, live', async () => {
    const serve = await startServe(stateDir, ['--root', tmp.dir]);
    procs.push(serve.proc);
    assert.match(serve.output(), /Ctrl-C/);
    assert.equal((await api(serve.url, 'GET', '/api/jobs')).status, 200);
    const run = cliDetached(
      [
        'transcode',
        longClip,
        join(tmp.dir, 'from-cli.mp4'),
        '--segment-seconds',
        '1',
        '--workers',
        '1',
        '--preset',
        'medium',
        '--no-progress',
      ],
      { stateDir },
    );
    procs.push(run);
    const seen = new Set<string>();
    const job = await waitFor(
      'the CLI job to be done in the server',
      async () => {
        const list = (await api(serve.url, 'GET', '/api/jobs')).body.jobs;
        const j = list.find((x: any) => x.source === longClip);
        if (!j) return undefined;
        const detail = (await api(serve.url, 'GET', `/api/jobs/${j.id}`)).body;
        seen.add(`${detail.status}${detail.runningElsewhere ? '+elsewhere' : ''}`);
        return detail.status === 'done' ? detail : undefined;
      },
      120_000,
      100,
    );
    assert.equal(await exitOf(run, 30_000), 0);
    assert.ok(seen.has('encoding+elsewhere'), `states seen: ${[...seen].join(', ')}`);
    assert.equal(job.segmentsDone, 6);
    assert.equal(job.running, false);
    serve.proc.kill('SIGINT');
    assert.equal(await exitOf(serve.proc, 30_000), 0);
  });

  it('stops on Ctrl-C and leaves its running job cancelled, then resumable', async () => {
    const serve = await startServe(stateDir, ['--root', tmp.dir]);
    procs.push(serve.proc);
    const r = await api(serve.url, 'POST', '/api/jobs', { json: { source: longClip, segmentSeconds: 1, workers: 1, preset: 'medium' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.id as string;
    await waitFor(
      'a segment to be done',
      async () => (await api(serve.url, 'GET', `/api/jobs/${id}`)).body.segmentsDone >= 1,
      120_000,
      100,
    );
    serve.proc.kill('SIGINT');
    assert.equal(await exitOf(serve.proc, 30_000), 0);
    assert.match(serve.output(), /running jobs are cancelled and can be resumed/);
    const status = cli(['--json', 'status', id], { stateDir });
    const view = JSON.parse(status.stdout);
    assert.equal(view.status, 'cancelled', status.stdout);
    assert.ok(view.segments.every((s: any) => s.status !== 'running' && s.status !== 'failed'));
    assert.ok(view.segmentsDone < view.segmentsTotal, 'the job was stopped before it finished');
    const resumed = cli(['resume', id, '--no-progress'], { stateDir });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(JSON.parse(cli(['--json', 'status', id], { stateDir }).stdout).status, 'done');
  });
});
