/**
 * Presigned URLs carry credentials in their query (the signature, and with a role's credentials its session
 * token): a record that keeps one keeps a working credential for as long as the record lives. What is written
 * down keeps the URL up to its path, the query replaced by a marker. Pure.
 */

/** An http(s) URL whose query holds an AWS signature or credential (SigV4 query parameters, URI-encoded: no colon). */
const PRESIGNED = /(https?:\/\/[^\s'"?]+)\?[^\s'":]*X-Amz-(?:Signature|Credential|Security-Token)[^\s'":]*/gi;

/** A SigV4 credential parameter on its own (a stderr tail cut mid-URL keeps the query without its URL). */
const CREDENTIAL_PARAM = /(X-Amz-(?:Signature|Credential|Security-Token))=[^&\s'":]*/gi;

/** `s` with every presigned URL's query replaced by `?(presigned)`, and any credential parameter left emptied. */
export function withoutSignatures(s: string): string {
  return s.replace(PRESIGNED, '$1?(presigned)').replace(CREDENTIAL_PARAM, '$1=(presigned)');
}

/** A JSON-like value with `withoutSignatures` applied to every string in it (plain objects and arrays). */
export function redactDeep<T>(v: T): T {
  if (typeof v === 'string') return withoutSignatures(v) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => redactDeep(x)) as T;
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactDeep(x)])) as T;
  }
  return v;
}
