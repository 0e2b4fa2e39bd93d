/**
 * Admit step: the first state of an execution started by an upload (S3 -> EventBridge -> the state machine,
 * with no client running). It makes the job the object asks for, in the workflow itself: the template from the
 * key (`in/<template>/<path>`), the output under `out/<template>/`, and an id made from the bucket, the key and
 * the object's version (else its ETag), so a second event for the same upload finds the job and starts nothing.
 * A key outside the scheme is skipped; a template the stack does not have makes a job that fails on it, so the
 * uploader is told (MarkFailed, NotifyFailed) rather than nothing happening.
 */
import { createJob } from '../app/run-job.js';
import { ConditionFailedError, UsageError } from '../core/errors.js';
import { createdObjectOf, decodedS3Uri, triggeredJobOf } from '../core/s3-trigger.js';
import { emit } from '../app/deps.js';
import { MAX_DEFAULT_WORKERS } from '../core/concurrency.js';
import { jobIdFor } from '../runtime/process-identity.js';
import { applyTemplate, catalogOf, findTemplate } from '../runtime/templates.js';
import { BUILTIN_TEMPLATES } from '../core/templates.js';
import { parseTranscodeOptions } from '../runtime/transcode-options.js';
import { asWorkflowError, lambdaHandler, type Step } from './lambda-entry.js';

export interface AdmitOutput {
  jobId?: string;
  /** A job was made and is to run. */
  admitted: boolean;
  /** The job existed already: this event is a second one for the same upload. */
  duplicate?: boolean;
  /** Why the object starts no job (not under the prefix, a folder, a hidden file). */
  skipped?: string;
  /** The job was made but cannot run (no such template): the shape MarkFailed reads, as a Catch gives it. */
  failure?: { Error: string; Cause: string };
}

export const admitStep: Step<AdmitOutput> = async (rt, event) => {
  const object = createdObjectOf(event);
  if (!object) throw asWorkflowError(new UsageError(`admit: not an S3 "Object Created" event: ${JSON.stringify(event)?.slice(0, 200)}`));
  if (!rt.trigger) throw asWorkflowError(new UsageError('admit: this deployment watches no prefix (deploy --watch-prefix)'));
  const { watchPrefix, home, templatesJson } = rt.trigger;
  const t = triggeredJobOf(object, watchPrefix);
  if ('skip' in t) return { admitted: false, skipped: t.skip };
  const id = jobIdFor(...t.idParts);
  const existing = await rt.deps.ledger.getJobHead(id);
  if (existing) {
    // Made, but its first event never written (this step failed between the two writes and is retried): the
    // job is this upload's, not yet started by anyone, so it goes on. A job with its history is a duplicate.
    const started = existing.status !== 'created' || (await rt.deps.ledger.listEvents(id)).some((e) => e.type === 'job.created');
    if (started) return { jobId: id, admitted: false, duplicate: true };
    await emit(rt.deps, id, 'job.created', `job created: ${existing.source} -> ${existing.output}`);
    return { jobId: id, admitted: true };
  }
  // S3's notifications give keys URL-encoded (a space as +); where the key as given is not there, its decoded
  // form is the object (the job's id stays that of the key as delivered).
  const source = await objectLocation(rt, t.source);
  // The deployment's templates: a wrong SHARDCAST_TEMPLATES fails the execution, naming the field.
  const templates = templatesJson
    ? catalogOf("the stack's templates (deploy --config)", JSON.parse(templatesJson))
    : { templates: [...BUILTIN_TEMPLATES] };
  let refusal: string | undefined;
  let output: string;
  let flags: Record<string, unknown>;
  try {
    const template = findTemplate(templates, t.template);
    output = t.outputFor(template.output);
    flags = applyTemplate({ output, options: { template: template.name } }, templates).options;
  } catch (err) {
    if (!(err instanceof UsageError)) throw asWorkflowError(err);
    // The job is made with the defaults, to hold the refusal where the uploader looks (status, webhooks).
    refusal = err.message;
    output = t.outputFor('mp4');
    flags = {};
  }
  const workers = String(Math.min(MAX_DEFAULT_WORKERS, rt.mapMaxConcurrency ?? MAX_DEFAULT_WORKERS));
  try {
    const options = parseTranscodeOptions({ workers, ...flags }, output);
    await createJob(rt.deps, { id, backend: home, source, output, options });
  } catch (err) {
    // Two deliveries of one event at once: the other made it.
    if (err instanceof ConditionFailedError) return { jobId: id, admitted: false, duplicate: true };
    throw asWorkflowError(err);
  }
  if (refusal) {
    return {
      jobId: id,
      admitted: false,
      failure: { Error: 'InputError', Cause: JSON.stringify({ errorType: 'InputError', errorMessage: refusal }) },
    };
  }
  return { jobId: id, admitted: true };
};

/** `s3://bucket/key` as delivered, or with its key URL-decoded where only that object exists. */
async function objectLocation(rt: Parameters<Step<unknown>>[0], uri: string): Promise<string> {
  const decoded = decodedS3Uri(uri);
  if (decoded === uri || (await rt.deps.sourceSize(uri)) !== undefined) return uri;
  return (await rt.deps.sourceSize(decoded)) !== undefined ? decoded : uri;
}

export const handler = lambdaHandler(admitStep);
