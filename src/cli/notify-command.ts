/**
 * `shardcast notify [JOB] [--retry]`: a job's webhook deliveries (its delivery log, from its events), and with
 * `--retry` sends what is owed now, whatever the backoff says: after the sender died, or a receiver came
 * back. Without JOB, the deliveries of the newest jobs that notify (with --retry: everything they owe).
 */
import type { Command } from 'commander';
import type { AttemptResult } from '../app/notifier.js';
import { NotFoundError } from '../core/errors.js';
import { deliveriesOf, deliveryText, type Delivery } from '../core/webhook.js';
import { makeNotifier } from '../runtime/start-notifier.js';
import { print, withBackend, type GlobalFlags } from './commands.js';

const iso = (ms: number) => new Date(ms).toISOString();

function attemptLine(r: AttemptResult): string {
  const word = { sent: 'delivered', refused: 'refused by the receiver', retry: 'failed, owed still', 'gave-up': 'failed, given up' }[
    r.outcome
  ];
  return `${r.delivery.type} -> ${r.delivery.url}: ${word}  [${r.delivery.id}]`;
}

export async function notifyCommand(jobId: string | undefined, flags: GlobalFlags & { retry?: boolean }): Promise<void> {
  await withBackend(flags, { readOnly: true }, async (backend) => {
    const ids = jobId ? [jobId] : (await backend.jobs(50)).map((j) => j.id);
    let attempts: AttemptResult[] = [];
    if (flags.retry) {
      const notifier = makeNotifier(backend.ledger, process.env);
      attempts = jobId ? await notifier.sendOwed(jobId, { force: true }) : await notifier.sweep({ force: true });
    }
    const deliveries: Delivery[] = [];
    for (const id of ids) {
      const job = await backend.ledger.getJob(id);
      if (!job) {
        if (jobId) throw new NotFoundError(`no job ${id} in ${backend.where}`);
        continue;
      }
      deliveries.push(...deliveriesOf(job, await backend.ledger.listEvents(id)));
    }
    const lines = [
      ...attempts.map(attemptLine),
      ...(deliveries.length ? deliveries.map((d) => deliveryText(d, iso)) : [`no webhook deliveries${jobId ? ` for job ${jobId}` : ''}`]),
    ];
    print(flags, { attempts, deliveries }, lines.join('\n'));
    if (attempts.some((a) => a.outcome !== 'sent')) process.exitCode = 1;
  });
}

export function registerNotifyCommand(program: Command, backendOption: () => import('commander').Option): void {
  program
    .command('notify')
    .description("list a job's webhook deliveries (--notify); --retry sends what is owed now")
    .argument('[jobId]')
    .option('--retry', 'send every delivery still owed now (after the sender stopped, or the receiver came back)')
    .addOption(backendOption())
    .action(async (id: string | undefined, _o, cmd: Command) => notifyCommand(id, cmd.optsWithGlobals()));
}
