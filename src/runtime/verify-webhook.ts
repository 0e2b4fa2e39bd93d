/**
 * For a receiver of shardcast's webhooks (exported from the library): checks a delivery's
 * `Shardcast-Signature` header against its raw body, within `toleranceSeconds` of this machine's clock.
 */
import { checkWebhookSignature } from '../core/webhook-signature.js';

export function verifyWebhookSignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
  toleranceSeconds = 300,
): boolean {
  return checkWebhookSignature(secret, rawBody, header, toleranceSeconds, Math.floor(Date.now() / 1000));
}
