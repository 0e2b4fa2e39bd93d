/** Step Functions' limit on a state's input or output, which the local interpreter does not enforce. */
export const STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** A payload over the limit, as Step Functions fails it (States.DataLimitExceeded); undefined when it fits. */
export function payloadOverLimit(state: string, which: 'input' | 'output', payload: unknown): Error | undefined {
  const bytes = new TextEncoder().encode(JSON.stringify(payload ?? null) ?? 'null').length;
  if (bytes <= STATE_PAYLOAD_LIMIT_BYTES) return undefined;
  return Object.assign(new Error(`${state}: the state ${which} is ${bytes} bytes, over Step Functions' ${STATE_PAYLOAD_LIMIT_BYTES}`), { name: 'States.DataLimitExceeded' });
}
