/**
 * Webhooks as data (core/webhook*.ts): which deliveries a job owes from its events, the backoff, what an
 * answer means, the payload, and the signature a receiver checks with node:crypto alone.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { JobEvent, JobRecord } from '../../src/core/types.js';
import {
  attemptOutcome,
  deliveriesOf,
  missingSecretEnvs,
  nextAttemptAt,
  owedDeliveries,
  RETRY_DELAYS_MS,
  type AttemptRecord,
} from '../../src/core/webhook.js';
import { buildWebhookPayload } from '../../src/core/webhook-payload.js';
import { checkWebhookSignature, signatureHeader } from '../../src/core/webhook-signature.js';
import { verifyWithNodeCrypto } from '../support/webhook-receiver.js';

const T0 = Date.UTC(2026, 0, 1);
const A = 'http://a.test/hook';
const B = 'http://b.test/hook';

function job(over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'j1',
    status: 'done',
    backend: 'local',
    source: '/in.mp4',
    output: '/out.mp4',
    options: {
      profile: { videoCodec: 'h264', crf: 23, preset: 'veryfast', audioCodec: 'aac', audioBitrateKbps: 128, container: 'mp4' },
      workers: 2,
      threadsPerWorker: 1,
      maxAttempts: 3,
      verify: true,
      notify: [{ url: A }, { url: B, secretEnv: 'OTHER' }],
    },
    createdAt: T0,
    updatedAt: T0,
    timings: { totalMs: 1000 },
    ...over,
  };
}

let seq = 0;
const ev = (type: string, at: number, data?: Record<string, unknown>, message = type): JobEvent => ({
  jobId: 'j1',
  seq: ++seq,
  at,
  type,
  message,
  ...(data ? { data } : {}),
});
const attempt = (type: 'notify.sent' | 'notify.failed', at: number, d: AttemptRecord) => ev(type, at, { ...d });

describe('deliveriesOf / owedDeliveries', () => {
  it("a run's first job.analyzing is job.started; each job.done and job.failed a delivery per target", () => {
    seq = 0;
    const events = [
      ev('job.created', T0),
      ev('job.analyzing', T0 + 1), // seq 2: started
      ev('job.created', T0 + 2), // an interrupted analysis reopened: the same run
      ev('job.analyzing', T0 + 3),
      ev('job.failed', T0 + 4), // seq 5
      ev('job.retry', T0 + 5),
      ev('job.analyzing', T0 + 6), // seq 7: a new run, started again
      ev('job.done', T0 + 7), // seq 8
    ];
    const ds = deliveriesOf(job(), events);
    assert.deepEqual(
      ds.map((d) => [d.id, d.type, d.url, d.status]),
      [
        ['j1.2.0', 'job.started', A, 'pending'],
        ['j1.2.1', 'job.started', B, 'pending'],
        ['j1.5.0', 'job.failed', A, 'pending'],
        ['j1.5.1', 'job.failed', B, 'pending'],
        ['j1.7.0', 'job.started', A, 'pending'],
        ['j1.7.1', 'job.started', B, 'pending'],
        ['j1.8.0', 'job.done', A, 'pending'],
        ['j1.8.1', 'job.done', B, 'pending'],
      ],
    );
    assert.equal(deliveriesOf(job({ options: { ...job().options, notify: undefined } }), events).length, 0, 'no targets, nothing owed');
  });

  it('attempts decide what is owed: sent, retrying (due or not), refused and given up', () => {
    seq = 0;
    const done = ev('job.done', T0); // seq 1
    const base = { event: 'job.done' as const, url: A };
    const cases: { name: string; attempts: JobEvent[]; status: string; owedAt: number | undefined }[] = [
      { name: 'never tried', attempts: [], status: 'pending', owedAt: T0 },
      {
        name: 'failed, due at 5 s',
        attempts: [attempt('notify.failed', T0, { ...base, delivery: 'j1.1.0', attempt: 1, error: 'ECONNREFUSED', nextAt: T0 + 5000 })],
        status: 'retrying',
        owedAt: T0 + 5000,
      },
      {
        name: 'failed then sent',
        attempts: [
          attempt('notify.failed', T0, { ...base, delivery: 'j1.1.0', attempt: 1, httpStatus: 503, nextAt: T0 + 5000 }),
          attempt('notify.sent', T0 + 5000, { ...base, delivery: 'j1.1.0', attempt: 2, httpStatus: 200 }),
        ],
        status: 'sent',
        owedAt: undefined,
      },
      {
        name: 'refused (404)',
        attempts: [attempt('notify.failed', T0, { ...base, delivery: 'j1.1.0', attempt: 1, httpStatus: 404, refused: true })],
        status: 'refused',
        owedAt: undefined,
      },
      {
        name: 'gave up',
        attempts: [attempt('notify.failed', T0, { ...base, delivery: 'j1.1.0', attempt: 9, error: 'ETIMEDOUT', gaveUp: true })],
        status: 'gave-up',
        owedAt: undefined,
      },
      {
        name: "another delivery's attempt does not count",
        attempts: [attempt('notify.sent', T0, { ...base, delivery: 'j1.1.1', attempt: 1, httpStatus: 200 })],
        status: 'pending',
        owedAt: T0,
      },
    ];
    for (const c of cases) {
      const [d] = deliveriesOf(job({ options: { ...job().options, notify: [{ url: A }] } }), [done, ...c.attempts]);
      assert.equal(d!.status, c.status, c.name);
      const owedNow = owedDeliveries([d!], T0).length;
      const owedLater = owedDeliveries([d!], T0 + 10_000).length;
      const owedForced = owedDeliveries([d!], T0, true).length;
      if (c.owedAt === undefined) assert.deepEqual([owedNow, owedLater, owedForced], [0, 0, 0], c.name);
      else {
        assert.equal(owedNow, c.owedAt <= T0 ? 1 : 0, `${c.name}: owed now`);
        assert.equal(owedLater, 1, `${c.name}: owed once due`);
        assert.equal(owedForced, 1, `${c.name}: --retry sends it whatever its backoff`);
      }
    }
  });
});

describe('backoff and answers', () => {
  it('waits 5 s, 30 s, 2 min, 10 min, 1 h, ... and gives up past 24 h after the event', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => nextAttemptAt(n, T0, T0)! - T0),
      [5_000, 30_000, 120_000, 600_000, 3600_000],
    );
    assert.equal(
      nextAttemptAt(20, T0 + 3600_000, T0)! - (T0 + 3600_000),
      RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1],
      'the last wait repeats',
    );
    assert.equal(nextAttemptAt(8, T0 + 20 * 3600_000, T0), undefined, 'a try past 24 h is not made');
    // The whole schedule from the event: how many attempts fit in the window.
    const attempts = [T0];
    for (let next = nextAttemptAt(1, T0, T0); next !== undefined; next = nextAttemptAt(attempts.length, attempts[attempts.length - 1]!, T0))
      attempts.push(next);
    const n = attempts.length;
    assert.equal(n, 10, 'ten attempts in 24 h: at 0, 5 s, 35 s, 2.6 min, 12.6 min, 1.2 h, 3.2 h, 7.2 h, 15.2 h, 23.2 h');
  });

  it('2xx delivered; 4xx refused but 408 and 429; 3xx, 5xx and no answer retried', () => {
    const table: [number | undefined, string][] = [
      [200, 'sent'],
      [204, 'sent'],
      [301, 'retry'],
      [400, 'refused'],
      [401, 'refused'],
      [404, 'refused'],
      [408, 'retry'],
      [410, 'refused'],
      [429, 'retry'],
      [500, 'retry'],
      [503, 'retry'],
      [undefined, 'retry'],
    ];
    for (const [status, want] of table) assert.equal(attemptOutcome(status), want, String(status));
  });

  it('names the secret variables a job needs and the environment lacks', () => {
    assert.deepEqual(missingSecretEnvs(job().options.notify, {}), ['SHARDCAST_WEBHOOK_SECRET', 'OTHER']);
    assert.deepEqual(missingSecretEnvs(job().options.notify, { SHARDCAST_WEBHOOK_SECRET: 'x' }), ['OTHER']);
    assert.deepEqual(missingSecretEnvs(job().options.notify, { SHARDCAST_WEBHOOK_SECRET: 'x', OTHER: 'y' }), []);
    assert.deepEqual(missingSecretEnvs(undefined, {}), []);
  });
});

describe('payload', () => {
  it('job.done carries the output, its figures, cost and quality; job.failed the error and next command', () => {
    const done = job({
      result: {
        frames: 50,
        videoDuration: 2,
        sizeBytes: 61_000,
        quality: { frames: 50, psnrMean: 41, psnrMin: 38, psnrMinFrame: 3, ssimMean: 0.98, ssimMin: 0.95, seams: [] },
      },
      options: { ...job().options, template: 'web-720p' },
    });
    const p = buildWebhookPayload({
      job: done,
      delivery: { id: 'j1.8.0', type: 'job.done' },
      trigger: { at: T0, message: 'done' },
      costUsd: 0.01,
    });
    assert.deepEqual(p, {
      type: 'job.done',
      id: 'j1.8.0',
      jobId: 'j1',
      createdAt: new Date(T0).toISOString(),
      data: {
        source: '/in.mp4',
        output: '/out.mp4',
        status: 'done',
        backend: 'local',
        template: 'web-720p',
        durationSeconds: 2,
        bytes: 61_000,
        frames: 50,
        costUsd: 0.01,
        quality: { psnrMean: 41, psnrMin: 38, ssimMean: 0.98, ssimMin: 0.95 },
        timings: { totalMs: 1000 },
      },
    });
    const failed = buildWebhookPayload({
      job: job({ status: 'failed', error: 'a later error' }),
      delivery: { id: 'j1.5.0', type: 'job.failed' },
      trigger: { at: T0, message: 'segment 2 failed after 3 attempts: ffmpeg exited with 1' },
      next: 'shardcast retry j1',
      costUsd: 0.01,
    });
    assert.equal(failed.data.status, 'failed');
    assert.equal(failed.data.error, 'segment 2 failed after 3 attempts: ffmpeg exited with 1', "the event's own words");
    assert.equal(failed.data.next, 'shardcast retry j1');
    assert.equal(failed.data.costUsd, undefined, 'a cost only with job.done');
    const started = buildWebhookPayload({ job: job(), delivery: { id: 'j1.2.0', type: 'job.started' }, trigger: { at: T0, message: '' } });
    assert.equal(started.data.status, 'analyzing', "the status the event stands for, not the job's now");
    assert.equal(started.data.bytes, undefined);
  });
});

describe('signature', () => {
  const body = JSON.stringify({ type: 'job.done', id: 'j1.8.0' });
  const t = 1_800_000_000;

  it('is HMAC-SHA256 of "<t>.<body>" as Stripe signs, verifiable with node:crypto alone', () => {
    const header = signatureHeader('s3cret', body, t);
    assert.equal(header, `t=${t},v1=${createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex')}`);
    assert.equal(verifyWithNodeCrypto('s3cret', body, header, t + 10), true);
    assert.equal(verifyWithNodeCrypto('other', body, header, t + 10), false);
  });

  it('checkWebhookSignature refuses a changed body, another secret, an old timestamp, a bad header', () => {
    const header = signatureHeader('s3cret', body, t);
    const cases: [string, string, string | undefined, number, boolean][] = [
      ['as sent', body, header, t + 1, true],
      ['a second v1 (a rotated secret) may match', body, `t=${t},v1=${'0'.repeat(64)},${header.split(',')[1]}`, t, true],
      ['body changed', body.replace('done', 'fail'), header, t, false],
      ['replayed after the tolerance', body, header, t + 301, false],
      ['timestamp changed', body, header.replace(`t=${t}`, `t=${t + 1}`), t, false],
      ['no header', body, undefined, t, false],
      ['garbage', body, 'v1=zz', t, false],
    ];
    for (const [name, b, h, now, want] of cases) assert.equal(checkWebhookSignature('s3cret', b, h, 300, now), want, name);
    assert.equal(checkWebhookSignature('other', body, header, 300, t), false, 'another secret');
  });
});

describe('library: verifyWebhookSignature', () => {
  it('checks a header made now against the clock, and refuses one from 10 minutes ago', async () => {
    const { verifyWebhookSignature } = await import('../../src/index.js');
    const body = '{"type":"job.done"}';
    const now = Math.floor(Date.now() / 1000);
    assert.equal(verifyWebhookSignature('k', body, signatureHeader('k', body, now)), true);
    assert.equal(verifyWebhookSignature('k', Buffer.from(body), signatureHeader('k', body, now)), true);
    assert.equal(verifyWebhookSignature('k', body, signatureHeader('k', body, now - 600)), false);
    assert.equal(verifyWebhookSignature('k', body, signatureHeader('k', body, now - 600), 900), true);
  });
});
