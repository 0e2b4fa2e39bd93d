/**
 * Composition root for the AWS backend (in a Lambda function, in the aws-emulated mode, and in the CLI of
 * `--backend aws`): DynamoDbLedger, S3BlobStore or (storage=efs) the local-disk store on the EFS mount,
 * ffmpeg processes. Its settings are read from the environment once, here, and validated.
 */
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { makeDynamoDbDocumentClient, makeS3Client, type AwsClientOptions } from '../../adapters/aws/aws-clients.js';
import { DynamoDbLedger } from '../../adapters/aws/dynamodb-ledger.js';
import { redactingLedger } from '../../app/redacting-ledger.js';
import { EfsBlobStore } from '../../adapters/aws/efs-blob-store.js';
import { S3BlobStore } from '../../adapters/aws/s3-blob-store.js';
import { isS3Uri, parseS3Uri } from '../../adapters/aws/s3-uri.js';
import type { AppDeps, TaskProgress } from '../../app/deps.js';
import { STALE_TASK_MS } from '../../app/job-lease.js';
import { UsageError } from '../../core/errors.js';
import type { LambdaCapacity } from '../../core/concurrency.js';
import { readLambdaCapacity } from '../../adapters/aws/lambda-capacity.js';
import { PARALLEL_SCAN } from '../../core/packet-scan.js';
import type { MediaTool } from '../../ports/media-tool.js';
import { makeAppDeps, openMediaTool } from '../app-deps.js';

/** Settings of a deployed (or emulated) stack, as the functions' environment carries them. */
export const awsSettingsSchema = z.object({
  SHARDCAST_TABLE: z.string({ message: 'SHARDCAST_TABLE (the ledger table) is not set' }).min(3),
  SHARDCAST_BUCKET: z.string({ message: 'SHARDCAST_BUCKET (the media bucket) is not set' }).min(3),
  SHARDCAST_STORAGE: z.enum(['s3', 'efs']).default('s3'),
  SHARDCAST_EFS_ROOT: z.string().startsWith('/').default('/mnt/data'),
  SHARDCAST_TEMP_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)+$/, 'SHARDCAST_TEMP_PREFIX must end with "/"')
    .default('tmp/'),
  SHARDCAST_LEDGER_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(48),
  /** The functions' timeout (the stack sets it): segments are planned to encode well inside it. */
  SHARDCAST_FUNCTION_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(900).default(900),
  /** The deployment's most segments at once (the stack sets it): a job asking more gets this. */
  SHARDCAST_MAP_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).optional(),
  /** The encode function's name (the stack sets it), whose reserved concurrency is read when a job starts. */
  SHARDCAST_ENCODE_FUNCTION: z.string().min(1).optional(),
  /** `deploy --watch-prefix`: uploads under it start jobs (the Admit step). */
  SHARDCAST_WATCH_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)+$/, 'SHARDCAST_WATCH_PREFIX must be a key prefix ending with "/"')
    .optional(),
  /** The project's templates (`deploy --config`), as a config file's JSON; the built-ins without it. */
  SHARDCAST_TEMPLATES: z.string().min(2).optional(),
});

export interface AwsSettings {
  tableName: string;
  bucket: string;
  storage: 's3' | 'efs';
  efsRoot: string;
  tempPrefix: string;
  ledgerTtlHours: number;
  /** The encode functions' timeout, seconds. */
  functionTimeoutSeconds?: number;
  /** The deployment's most segments at once. */
  mapMaxConcurrency?: number;
  /** The encode function's name. */
  encodeFunction?: string;
  /** Uploads under this prefix start jobs (`deploy --watch-prefix`). */
  watchPrefix?: string;
  /** The project's templates as a config file's JSON (`deploy --config`). */
  templatesJson?: string;
}

export function parseAwsSettings(env: Record<string, string | undefined>): AwsSettings {
  const r = awsSettingsSchema.safeParse(env);
  if (!r.success) throw new UsageError(`AWS settings: ${r.error.issues.map((i) => i.message).join('; ')}`);
  const e = r.data;
  return {
    tableName: e.SHARDCAST_TABLE,
    bucket: e.SHARDCAST_BUCKET,
    storage: e.SHARDCAST_STORAGE,
    efsRoot: e.SHARDCAST_EFS_ROOT,
    tempPrefix: e.SHARDCAST_TEMP_PREFIX,
    ledgerTtlHours: e.SHARDCAST_LEDGER_TTL_HOURS,
    functionTimeoutSeconds: e.SHARDCAST_FUNCTION_TIMEOUT_SECONDS,
    ...(e.SHARDCAST_MAP_MAX_CONCURRENCY !== undefined ? { mapMaxConcurrency: e.SHARDCAST_MAP_MAX_CONCURRENCY } : {}),
    ...(e.SHARDCAST_ENCODE_FUNCTION ? { encodeFunction: e.SHARDCAST_ENCODE_FUNCTION } : {}),
    ...(e.SHARDCAST_WATCH_PREFIX ? { watchPrefix: e.SHARDCAST_WATCH_PREFIX } : {}),
    ...(e.SHARDCAST_TEMPLATES ? { templatesJson: e.SHARDCAST_TEMPLATES } : {}),
  };
}

export interface AwsRuntimeConfig {
  settings: AwsSettings;
  /** For ffmpeg paths (FFMPEG_PATH, PATH). */
  env: Record<string, string | undefined>;
  workerId: string;
  /** Endpoints and credentials (the emulators); default: the SDK's standard configuration. */
  s3?: AwsClientOptions;
  dynamoDb?: AwsClientOptions;
  /** Scratch folder for storage=s3 (default os.tmpdir()/shardcast: a function's /tmp). */
  scratchRoot?: string;
  /** ffmpeg threads per encode; default: this machine's cores (a function's vCPUs); 'job': the job's threadsPerWorker. */
  encodeThreads?: number | 'job';
  isWorkerAlive?: (workerId: string) => boolean | undefined;
  onProgress?: (p: TaskProgress) => void;
  /** Test hook: wraps the ffmpeg runner (to inject faults). Only tests set it. */
  wrapMedia?: (media: MediaTool) => MediaTool;
  /** Whose jobs an upload starts: the deployed stack's (default) or the emulation's. */
  home?: 'aws' | 'aws-emulated';
}

/** What a workflow step needs: the use-cases' dependencies and how to run an encode. */
export interface StepRuntime {
  deps: AppDeps;
  /** undefined: the job's threadsPerWorker (the emulated mode shares one machine between encodes). */
  encodeThreads: number | undefined;
  staleTaskMs: number;
  /** Aborts running encodes (the emulated mode, on Ctrl-C). */
  signal?: AbortSignal;
  /** The deployment's most segments at once, where it sets one. */
  mapMaxConcurrency?: number;
  /** What the account gives the encode function now (read when a job's analysis starts); undefined: unknown. */
  lambdaCapacity?: () => Promise<LambdaCapacity | undefined>;
  /** Jobs started by uploads (the Admit step): where they are watched for, the templates, the home they are of. */
  trigger?: { watchPrefix: string; home: 'aws' | 'aws-emulated'; templatesJson?: string };
}

export interface AwsRuntime extends StepRuntime {
  s3: S3Client;
  settings: AwsSettings;
  close(): Promise<void>;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

export function makeAwsRuntime(cfg: AwsRuntimeConfig): AwsRuntime {
  const { settings } = cfg;
  const s3 = makeS3Client(cfg.s3 ?? {});
  // Reads are presigned here: what the ledger records (commands, stderr, errors) keeps no credentials.
  const ledger = redactingLedger(
    new DynamoDbLedger({
      client: makeDynamoDbDocumentClient(cfg.dynamoDb ?? {}),
      tableName: settings.tableName,
      ttlHours: settings.ledgerTtlHours,
      destroyClientOnClose: true,
    }),
  );
  const s3Blobs = new S3BlobStore({
    client: s3,
    bucket: settings.bucket,
    prefix: settings.tempPrefix,
    ...(cfg.scratchRoot ? { scratchRoot: cfg.scratchRoot } : {}),
  });
  const blobs = settings.storage === 'efs' ? new EfsBlobStore(settings.efsRoot, s3Blobs) : s3Blobs;
  const deps: AppDeps = makeAppDeps({
    ledger,
    blobs,
    media: openMediaTool(cfg.env, cfg.wrapMedia),
    workerId: cfg.workerId,
    readableSource: async (source) => {
      if (!isS3Uri(source)) return source;
      const { bucket, key } = parseS3Uri(source);
      return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 6 * 3600 });
    },
    sourceSize: async (source) => {
      try {
        if (!isS3Uri(source)) return statSync(source).size;
        const { bucket, key } = parseS3Uri(source);
        return (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
      } catch (err) {
        if (isS3Uri(source) && !isNotFound(err)) throw err;
        return undefined;
      }
    },
    // A Lambda function cannot check other invocations: only their heartbeats tell.
    ...(cfg.isWorkerAlive ? { isWorkerAlive: cfg.isWorkerAlive } : {}),
    ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
    // Over S3 one read of the source is bound by one connection's rate: a large one is scanned in 4 at once.
    parallelScan: PARALLEL_SCAN,
    ...(settings.functionTimeoutSeconds !== undefined
      ? {
          segmentTimeLimit: {
            seconds: settings.functionTimeoutSeconds,
            ...(cfg.encodeThreads === 'job' ? {} : { threads: cfg.encodeThreads ?? availableParallelism() }),
          },
        }
      : {}),
  });
  return {
    deps,
    s3,
    settings,
    encodeThreads: cfg.encodeThreads === 'job' ? undefined : (cfg.encodeThreads ?? availableParallelism()),
    staleTaskMs: STALE_TASK_MS,
    ...(settings.mapMaxConcurrency !== undefined ? { mapMaxConcurrency: settings.mapMaxConcurrency } : {}),
    lambdaCapacity: () => readLambdaCapacity(settings.encodeFunction),
    ...(settings.watchPrefix
      ? {
          trigger: {
            watchPrefix: settings.watchPrefix,
            home: cfg.home ?? 'aws',
            ...(settings.templatesJson ? { templatesJson: settings.templatesJson } : {}),
          },
        }
      : {}),
    async close() {
      await ledger.close();
      s3.destroy();
    },
  };
}
