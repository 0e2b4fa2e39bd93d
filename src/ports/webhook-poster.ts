/**
 * Sends one webhook: POSTs a body with headers and resolves with the receiver's HTTP status, or rejects when
 * there was no answer (refused, unreachable, past `timeoutMs`). Implementation: adapters/http (Node's fetch).
 */
export interface WebhookPoster {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number }>;
}
