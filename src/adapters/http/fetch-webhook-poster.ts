/**
 * The WebhookPoster over Node's global fetch: one POST, no redirects followed (a receiver that moved answers
 * 3xx, which is retried and shows in the log), the body drained so the connection is freed. A POST that got
 * no answer rejects with one line (`ECONNREFUSED`, `no answer within 10 s`).
 */
import type { WebhookPoster } from '../../ports/webhook-poster.js';

export const fetchWebhookPoster: WebhookPoster = {
  async post(url, body, headers, timeoutMs) {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new Error(postErrorText(err, timeoutMs), { cause: err });
    }
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  },
};

/** An error from fetch in words: its cause's code where it has one (`ECONNREFUSED`), a timeout as such. */
function postErrorText(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return cause.code;
  return err instanceof Error ? (cause?.message ?? err.message) : String(err);
}
