/** Words for counts in messages. Pure. */

/**
 * A count with its noun: `plural(1, 'segment')` is "1 segment", `plural(6, 'request')` "6 requests". The plural
 * adds "s" to the first word of a phrase's head (`'write request unit'` → "write request units", `'GB-second of
 * /tmp'` → "GB-seconds of /tmp"), or is `many` where given. Only exactly 1 is singular (0.5 GB-seconds).
 */
export function plural(n: number, word: string, many?: string): string {
  return `${n} ${pluralWord(n, word, many)}`;
}

/** The noun alone, for a count written elsewhere (a formatted number): "segment" or "segments". */
export function pluralWord(n: number, word: string, many?: string): string {
  if (n === 1) return word;
  if (many !== undefined) return many;
  // The head of the phrase is what comes before " of " ("GB-second of /tmp above 512 MB").
  const of = word.indexOf(' of ');
  const head = of < 0 ? word : word.slice(0, of);
  const rest = of < 0 ? '' : word.slice(of);
  return `${pluralHead(head)}${rest}`;
}

function pluralHead(head: string): string {
  if (/(s|x|ch|sh)$/.test(head)) return `${head}es`;
  if (/[^aeiou]y$/.test(head)) return `${head.slice(0, -1)}ies`;
  return `${head}s`;
}
