/** `s3://bucket/key` URIs: parsing and formatting. */
import { UsageError } from '../../core/errors.js';

export interface S3Location {
  bucket: string;
  key: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Uri(value: string): boolean {
  return value.startsWith('s3://');
}

/** Parses `s3://bucket/key`; the key must be non-empty (an object, not a bucket or a folder). */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new UsageError(`not an S3 object URI: ${JSON.stringify(uri)} (expected s3://bucket/key)`);
  const [, bucket, key] = m as unknown as [string, string, string];
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new UsageError(`invalid S3 bucket name ${JSON.stringify(bucket)} in ${uri}`);
  }
  if (key.endsWith('/')) throw new UsageError(`S3 URI names a folder, not an object: ${uri}`);
  return { bucket, key };
}

export function formatS3Uri(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`;
}
