/**
 * The Notifier over a SQLite ledger and a recording poster: what it sends and what it writes for each answer
 * (delivered, refused, retried after its backoff by `follow`, no secret), and that one job's sends never
 * overlap, so a delivery is not sent twice from one process.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeSqliteLedger } from '../../src/adapters/sqlite/sqlite-ledger.js';
import { Notifier } from '../../src/app/notifier.js';
import { checkWebhookSignature } from '../../src/core/webhook-signature.js';
import { deliveriesOf } from '../../src/core/webhook.js';
import type { WebhookPoster } from '../../src/ports/webhook-poster.js';
import { minimalJob } from '../contract/ledger-fixtures.js';
import { tempDir } from '../support/media.js';

const t = tempDir('shardcast-notifier-');
const ledger = makeSqliteLedger(join(t.dir, 'ledger.db'));
after(async () => {
  await ledger.close();
  t.cleanup();
});

interface Sent {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** Answers each POST with the next of `answers` (a status, or an error thrown); records what was sent. */
function poster(answers: (number | Error)[]): WebhookPoster & { sent: Sent[]; inFlight: number; most: number } {
  const p = {
    sent: [] as Sent[],
    inFlight: 0,
    most: 0,
    async post(url: string, body: string, headers: Record<string, string>) {
      p.inFlight++;
      p.most = Math.max(p.most, p.inFlight);
      await new Promise((r) => setTimeout(r, 20));
      p.inFlight--;
      p.sent.push({ url, body, headers });
      const a = answers.shift() ?? 200;
      if (a instanceof Error) throw a;
      return { status: a };
    },
  };
  return p;
}

let n = 0;
async function jobWith(notify: { url: string; secretEnv?: string }[]): Promise<string> {
  const id = `notifier${++n}`;
  const job = minimalJob(id, { status: 'done' });
  await ledger.createJob({ ...job, options: { ...job.options, notify } });
  return id;
}

const statuses = async (id: string) =>
  deliveriesOf((await ledger.getJob(id))!, await ledger.listEvents(id)).map((d) => [d.type, d.status, d.attempts]);

describe('Notifier', () => {
  it('sends a signed delivery per trigger and target; records delivered and refused; retries the rest when due', async () => {
    const id = await jobWith([{ url: 'http://a.test/' }, { url: 'http://b.test/' }]);
    const p = poster([200, 404, new Error('ECONNREFUSED'), 503]);
    let now = Date.now();
    const notifier = new Notifier({ ledger, poster: p, clock: () => now, secretOf: () => 'k', retryDelaysMs: [50] });
    await ledger.appendEvent({ jobId: id, at: now, type: 'job.analyzing', message: 'analyzing' });
    await ledger.appendEvent({ jobId: id, at: now, type: 'job.done', message: 'done' });
    notifier.onEvent({ jobId: id, type: 'job.done' });
    assert.equal(await notifier.drain(5000), true);
    assert.deepEqual(await statuses(id), [
      ['job.started', 'sent', 1],
      ['job.started', 'refused', 1],
      ['job.done', 'retrying', 1],
      ['job.done', 'retrying', 1],
    ]);
    assert.equal(p.most, 1, "one job's deliveries go one at a time");
    for (const s of p.sent) {
      assert.equal(checkWebhookSignature('k', s.body, s.headers['Shardcast-Signature'], 60, Math.floor(now / 1000)), true);
      assert.equal(JSON.parse(s.body).id, s.headers['Shardcast-Delivery']);
    }
    // Not due yet: a sweep sends nothing; once due, `follow` sends both again.
    await notifier.sweep();
    assert.equal(p.sent.length, 4);
    now += 100;
    const following = notifier.follow(20);
    try {
      for (let i = 0; i < 100 && p.sent.length < 6; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      following.stop();
    }
    await notifier.drain(5000);
    assert.deepEqual(await statuses(id), [
      ['job.started', 'sent', 1],
      ['job.started', 'refused', 1],
      ['job.done', 'sent', 2],
      ['job.done', 'sent', 2],
    ]);
    assert.deepEqual(
      p.sent.slice(4).map((s) => s.headers['Shardcast-Delivery']),
      p.sent.slice(2, 4).map((s) => s.headers['Shardcast-Delivery']),
      'the same ids again',
    );
  });

  it('a missing secret sends nothing and says which variable; past the give-up window it stops', async () => {
    const id = await jobWith([{ url: 'http://c.test/', secretEnv: 'MY_SECRET' }]);
    const p = poster([]);
    const at = Date.now();
    const notifier = new Notifier({ ledger, poster: p, clock: () => at + 25 * 3600_000, secretOf: () => undefined });
    await ledger.appendEvent({ jobId: id, at, type: 'job.failed', message: 'segment 1 failed' });
    const [r] = await notifier.sendOwed(id);
    assert.equal(p.sent.length, 0);
    assert.equal(r!.outcome, 'gave-up', 'tried once more than 24 h after the event: given up');
    const events = await ledger.listEvents(id);
    assert.match(events[events.length - 1]!.message, /MY_SECRET is not set/);
    assert.deepEqual(await notifier.sendOwed(id, { force: true }), [], 'a delivery given up on is not owed');
  });
});
