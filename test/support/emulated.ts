/**
 * The aws-emulated runtime with a source already in its bucket, and a job made on it: what the emulated
 * integration tests set up before they run the workflow.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createJob } from '../../src/app/run-job.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { EMULATED_BUCKET, startEmulatedAws, type EmulatedAws } from '../../src/runtime/aws/aws-emulated-runtime.js';
import { newJobId } from '../../src/runtime/process-identity.js';

/** Starts the emulators and puts `clip` at s3://<bucket>/inputs/<its name>; returns that location too. */
export async function emulatedWithSource(
  cfg: Parameters<typeof startEmulatedAws>[0],
  clip: string,
): Promise<{ aws: EmulatedAws; source: string }> {
  const aws = await startEmulatedAws(cfg);
  const key = `inputs/${basename(clip)}`;
  await aws.runtime.s3.send(new PutObjectCommand({ Bucket: EMULATED_BUCKET, Key: key, Body: readFileSync(clip) }));
  return { aws, source: `s3://${EMULATED_BUCKET}/${key}` };
}

/** A new aws-emulated job from `source` to s3://<bucket>/outputs/<name>, with the CLI's option flags. */
export async function createEmulatedJob(aws: EmulatedAws, source: string, name: string, flags: Record<string, unknown>): Promise<string> {
  const output = `s3://${EMULATED_BUCKET}/outputs/${name}`;
  const id = newJobId();
  await createJob(aws.runtime.deps, { id, backend: 'aws-emulated', source, output, options: parseTranscodeOptions(flags, output) });
  return id;
}
