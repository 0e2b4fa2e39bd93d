/**
 * SDK clients with shardcast's settings. Endpoints, regions and credentials come from the SDK's standard
 * configuration (profiles, AWS_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB ...) unless given here,
 * as the emulators on 127.0.0.1 are.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

export interface AwsClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The S3 checksum settings: the SDK's own (a checksum on every upload, checked on every download) against AWS,
 * checksums only where the API requires them against another endpoint (given here, or by AWS_ENDPOINT_URL_S3 /
 * AWS_ENDPOINT_URL): S3-compatible stores without the newer checksum trailers (s3rver) store streamed uploads
 * with the checksum trailer in them, corrupted. Before, they were off against AWS too.
 */
export function s3ChecksumSettings(
  endpoint: string | undefined,
  env: Record<string, string | undefined>,
): { requestChecksumCalculation?: 'WHEN_REQUIRED'; responseChecksumValidation?: 'WHEN_REQUIRED' } {
  const override = endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  return override ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {};
}

export function makeS3Client(opts: AwsClientOptions & { forcePathStyle?: boolean } = {}): S3Client {
  return new S3Client({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    forcePathStyle: opts.forcePathStyle ?? Boolean(opts.endpoint),
    ...s3ChecksumSettings(opts.endpoint, process.env),
  });
}

/** A document client that drops undefined attributes (optional record fields) on write. */
export function makeDynamoDbDocumentClient(opts: AwsClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
