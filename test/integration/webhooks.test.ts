/**
 * Webhooks from the local home, as a user runs them: `transcode --notify` delivers job.started and job.done
 * signed (checked by a receiver with node:crypto alone); a failed job sends job.failed; a job whose secret is
 * not set is refused before it exists; a receiver that was down gets the delivery once it is up (serve's
 * timer); a sender killed (SIGKILL) while deliveries are owed loses none: `shardcast notify --retry` sends
 * each once, with the id the ledger gave it. Receivers are node:http on 127.0.0.1 in this process, so a CLI
 * that delivers to one runs with cliAsync (a blocking spawn would keep it from answering).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, cli, cliAsync, sleep } from '../support/cli.js';
import { makeClip, REPO, tempDir } from '../support/media.js';
import { exited, killGroup, spawnGroup } from '../support/processes.js';
import { freePort, startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { api, waitFor } from '../e2e/support/server-harness.js';

const SECRET = 'whsec-test-0123456789';
const ENV = { SHARDCAST_WEBHOOK_SECRET: SECRET };
const OPTS = ['--preset', 'ultrafast', '--segment-seconds', '1', '--workers', '2', '--no-progress'];

function startServe(stateDir: string, env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawnGroup(process.execPath, [BIN, '--state-dir', stateDir, 'serve', '--port', '0'], {
    cwd: REPO,
    env: { ...process.env, SHARDCAST_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 30_000);
    const check = (c: Buffer) => {
      out += c.toString();
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]! });
      }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

const deliveries = (stateDir: string, jobId: string) => {
  const r = cli(['notify', jobId, '--json'], { stateDir });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).deliveries as { id: string; type: string; status: string; attempts: number; error?: string }[];
};

describe('webhooks: local home (CLI and serve)', () => {
  const t = tempDir('shardcast-hooks-');
  let clip: string;
  const receivers: Receiver[] = [];
  const procs: ChildProcess[] = [];
  const receiver = async (opts: Parameters<typeof startReceiver>[1] = {}) => {
    const r = await startReceiver(SECRET, opts);
    receivers.push(r);
    return r;
  };

  before(() => {
    clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 2, size: '160x90', gop: 15 });
  });
  after(async () => {
    for (const p of procs) killGroup(p.pid);
    await Promise.all(receivers.map((r) => r.close()));
    t.cleanup();
  });

  it('transcode --notify: job.started and job.done, signed, with stable ids and the output figures', async () => {
    const rx = await receiver();
    const state = join(t.dir, 'st1');
    const out = join(t.dir, 'out1.mp4');
    const r = await cliAsync(['transcode', clip, out, ...OPTS, '--notify', rx.url, '--json'], { stateDir: state, env: ENV });
    assert.equal(r.status, 0, r.stderr);
    const jobId = JSON.parse(r.stdout).id as string;
    // The run waits for deliveries under way before it exits: both are in by now.
    assert.deepEqual(
      rx.received.map((d) => d.body.type),
      ['job.started', 'job.done'],
    );
    for (const d of rx.received) {
      assert.equal(d.signed, true, 'the signature verifies with node:crypto and the shared secret');
      assert.equal(d.headers['shardcast-event'], d.body.type);
      assert.equal(d.headers['shardcast-delivery'], d.body.id);
      assert.match(d.body.id, new RegExp(`^${jobId}\\.\\d+\\.0$`));
      assert.equal(d.body.jobId, jobId);
    }
    const done = rx.received[1]!.body.data;
    assert.equal(done.status, 'done');
    assert.equal(done.output, out);
    assert.equal(done.frames, 60);
    assert.ok((done.bytes as number) > 0 && Math.abs((done.durationSeconds as number) - 2) < 0.1, JSON.stringify(done));
    assert.deepEqual(
      deliveries(state, jobId).map((d) => [d.id, d.type, d.status, d.attempts]),
      rx.received.map((d) => [d.body.id, d.body.type, 'sent', 1]),
      'the delivery log (the job events) says both were sent once',
    );
  });

  it('the library sends them too: transcode({ notify }) delivers job.started and job.done', async () => {
    const rx = await receiver();
    const { transcode } = await import('../../src/index.js');
    const view = await transcode(clip, join(t.dir, 'lib-out.mp4'), {
      stateDir: join(t.dir, 'st-lib'),
      env: { ...process.env, ...ENV },
      preset: 'ultrafast',
      notify: [rx.url],
    });
    assert.deepEqual(
      rx.received.map((d) => [d.body.type, d.body.jobId, d.signed]),
      [
        ['job.started', view.id, true],
        ['job.done', view.id, true],
      ],
    );
  });

  it('a failed job sends job.failed with its error; a job without its secret is refused before it exists', async () => {
    const rx = await receiver();
    const state = join(t.dir, 'st2');
    const bad = join(t.dir, 'not-video.mp4');
    writeFileSync(bad, 'this is not a video\n'.repeat(100));
    const r = await cliAsync(['transcode', bad, join(t.dir, 'bad-out.mp4'), ...OPTS, '--notify', rx.url], { stateDir: state, env: ENV });
    assert.notEqual(r.status, 0);
    assert.deepEqual(
      rx.received.map((d) => d.body.type),
      ['job.started', 'job.failed'],
    );
    const failed = rx.received[1]!.body.data;
    assert.equal(failed.status, 'failed');
    assert.ok(typeof failed.error === 'string' && failed.error.length > 0, JSON.stringify(failed));

    const refused = cli(
      ['transcode', clip, join(t.dir, 'x.mp4'), ...OPTS, '--notify', rx.url, '--notify-secret-env', 'NO_SUCH_SECRET_VAR'],
      {
        stateDir: state,
        env: ENV,
      },
    );
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /NO_SUCH_SECRET_VAR/);
    assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
    const jobs = cli(['jobs', '--json'], { stateDir: state });
    assert.equal(JSON.parse(jobs.stdout).length, 1, 'no job was made for the refused run');
  });

  it('a receiver that is down gets the delivery once it comes up (serve retries on its timer)', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    const state = join(t.dir, 'st3');
    const r = cli(['transcode', clip, join(t.dir, 'out3.mp4'), ...OPTS, '--notify', url, '--json'], { stateDir: state, env: ENV });
    assert.equal(r.status, 0, r.stderr);
    const jobId = JSON.parse(r.stdout).id as string;
    const owed = deliveries(state, jobId);
    assert.deepEqual(
      owed.map((d) => [d.type, d.status]),
      [
        ['job.started', 'retrying'],
        ['job.done', 'retrying'],
      ],
      'the job is done and did not wait on the receiver',
    );
    assert.match(owed[0]!.error ?? '', /ECONNREFUSED/);
    const serve = await startServe(state, { ...ENV, SHARDCAST_NOTIFY_SWEEP_SECONDS: '1' });
    procs.push(serve.proc);
    const rx = await receiver({ port });
    // Sent once the backoff is over: 5 s after the first failure (30 s more where serve's first sweep came
    // before the receiver was up, on a slow machine).
    await rx.waitFor(2, 90_000);
    assert.deepEqual(rx.received.map((d) => d.body.id).sort(), owed.map((d) => d.id).sort());
    assert.ok(rx.received.every((d) => d.signed));
    const { body } = await api(serve.url, 'GET', `/api/jobs/${jobId}/deliveries`);
    assert.deepEqual(
      body.deliveries.map((d: { status: string; attempts: number }) => [d.status, d.attempts >= 2]),
      [
        ['sent', true],
        ['sent', true],
      ],
    );
    killGroup(serve.proc.pid, 'SIGTERM');
    await exited(serve.proc);
  });

  it('no loss across a sender killed with SIGKILL: notify --retry sends each owed delivery once, same id', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    const state = join(t.dir, 'st4');
    const serve = await startServe(state, ENV);
    procs.push(serve.proc);
    // Through the API, with notify as one string.
    const created = await api(serve.url, 'POST', '/api/jobs', {
      body: (() => {
        const f = new FormData();
        f.set('file', new Blob([readFileSync(clip)]), 'clip.mp4');
        f.set('preset', 'ultrafast');
        f.set('notify', url);
        return f;
      })(),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const jobId = created.body.id as string;
    const failedDone = await waitFor(
      'job.done owed after a failed attempt',
      async () => {
        const { body } = await api(serve.url, 'GET', `/api/jobs/${jobId}/deliveries`);
        const ds = body.deliveries as { id: string; type: string; status: string }[];
        return ds.some((d) => d.type === 'job.done' && d.status === 'retrying') ? ds : undefined;
      },
      120_000,
      200,
    );
    killGroup(serve.proc.pid, 'SIGKILL');
    await exited(serve.proc);
    const rx = await receiver({ port });
    const r = await cliAsync(['notify', '--retry'], { stateDir: state, env: ENV });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(rx.received.map((d) => d.body.type).sort(), ['job.done', 'job.started']);
    assert.deepEqual(rx.received.map((d) => d.body.id).sort(), failedDone.map((d) => d.id).sort(), 'the ids the ledger gave them');
    // Sent once: another retry finds nothing owed.
    const again = await cliAsync(['notify', jobId, '--retry'], { stateDir: state, env: ENV });
    assert.equal(again.status, 0, again.stderr);
    await sleep(300);
    assert.equal(rx.received.length, 2);
    assert.match(again.stdout, /job\.done -> .*: sent/);
  });
});
