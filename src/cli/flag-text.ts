/** A flag's value as text: commander gives strings; a number or boolean set by code is written as such. */
export function flagText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}
