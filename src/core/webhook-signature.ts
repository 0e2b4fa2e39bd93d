/**
 * Webhook signatures, Stripe's scheme: `Shardcast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">`. The timestamp is signed with the body, so a captured delivery replayed later fails the
 * receiver's tolerance check. Pure: the time comes in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Shardcast-Signature';
export const EVENT_HEADER = 'Shardcast-Event';
export const DELIVERY_HEADER = 'Shardcast-Delivery';

export function signatureOf(secret: string, rawBody: string, tSeconds: number): string {
  return createHmac('sha256', secret).update(`${tSeconds}.${rawBody}`).digest('hex');
}

/** The header value for a body sent at `tSeconds`. */
export function signatureHeader(secret: string, rawBody: string, tSeconds: number): string {
  return `t=${tSeconds},v1=${signatureOf(secret, rawBody, tSeconds)}`;
}

/**
 * Whether `header` signs `rawBody` under `secret`, made within `toleranceSeconds` of `nowSeconds`. Any `v1=`
 * in the header may match (a sender rotating secrets may send two).
 */
export function checkWebhookSignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
  toleranceSeconds: number,
  nowSeconds: number,
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, rawBody.toString(), t), 'hex');
  return parts
    .filter(([k, v]) => k === 'v1' && v && /^[0-9a-f]+$/i.test(v))
    .some(([, v]) => {
      const got = Buffer.from(v!, 'hex');
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
}
