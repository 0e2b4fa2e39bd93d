/**
 * The EventBus on AWS: PutEvents on the account's default bus, source `shardcast`, the webhook's payload as
 * the detail ($1.00 per million events). A rejected entry (FailedEntryCount) throws, so the step is retried.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { BUS_SOURCE } from '../../core/webhook.js';
import type { EventBus } from '../../ports/event-bus.js';

export function eventBridgeBus(client: EventBridgeClient = new EventBridgeClient({})): EventBus {
  return {
    name: 'eventbridge:default',
    async publish(detailType, detail) {
      const r = await client.send(
        new PutEventsCommand({ Entries: [{ Source: BUS_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }] }),
      );
      if (r.FailedEntryCount)
        throw new Error(`EventBridge refused the event: ${r.Entries?.[0]?.ErrorCode ?? ''} ${r.Entries?.[0]?.ErrorMessage ?? ''}`);
    },
  };
}

/** The webhook secret of a deployed Notify function: a SecureString parameter, read (decrypted) per invocation. */
export async function secretFromParameter(name: string, client: SSMClient = new SSMClient({})): Promise<string | undefined> {
  const r = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return r.Parameter?.Value || undefined;
}

/** The emulated home's bus: there is no EventBridge emulator, so the events are kept here (and the ledger says each was put). */
export function recordingBus(): EventBus & { events: { detailType: string; detail: object }[] } {
  const events: { detailType: string; detail: object }[] = [];
  return {
    name: 'eventbridge:emulated',
    events,
    async publish(detailType, detail) {
      events.push({ detailType, detail });
    },
  };
}
