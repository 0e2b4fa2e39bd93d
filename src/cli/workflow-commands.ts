/**
 * `transcode`, `status`, `jobs` and `retry` with `--backend aws-emulated` or `--backend aws`: the job runs as
 * an execution of the state machine; progress and `--json` are the local mode's, read from the ledger.
 * A local input is uploaded to the backend's bucket first and a local output downloaded after.
 */
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { isS3Uri, parseS3Uri } from '../adapters/aws/s3-uri.js';
import { downloadFile, uploadFile } from '../adapters/aws/s3-transfer.js';
import type { WorkflowOutcome } from '../adapters/aws/local-workflow.js';
import { emit, type TaskProgress } from '../app/deps.js';
import { loadJobView } from '../app/job-view.js';
import { createJob } from '../app/run-job.js';
import { claimRetry, failRun } from '../app/workflow-steps.js';
import { CancelledError, InputError, JobFailedError, NotFoundError, oneLine, UsageError } from '../core/errors.js';
import type { JobRecord } from '../core/types.js';
import { openWorkflowBackend, type WorkflowBackend, type WorkflowBackendKind } from '../runtime/workflow-backend.js';
import { newJobId } from '../runtime/local-runtime.js';
import { checkPaths, jobsText, print, stateDirOf, statusText, summary } from './commands.js';
import { withSignals } from './signals.js';
import { parseTranscodeOptions } from './options.js';
import { ProgressReporter } from './progress.js';
import type { BackendFlags, WorkflowFlags } from './backend-flags.js';

function kindOf(flags: BackendFlags): WorkflowBackendKind {
  if (flags.backend !== 'aws' && flags.backend !== 'aws-emulated') throw new Error(`not a workflow backend: ${flags.backend}`);
  return flags.backend;
}

/** The event that remembers where a job's output is downloaded to (for `retry`). */
const DOWNLOAD_EVENT = 'job.download-to';

function quietAwsSdk(): void {
  // The SDK warns on every Node 20 start that its 2027 releases will need Node 22; shardcast pins its SDK.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

interface BackendOpenOptions {
  ledgerOnly?: boolean;
  onProgress?: (p: TaskProgress) => void;
}

async function withBackend<T>(flags: WorkflowFlags, opts: BackendOpenOptions, fn: (b: WorkflowBackend) => Promise<T>): Promise<T> {
  quietAwsSdk();
  const backend = await openWorkflowBackend({
    kind: kindOf(flags), stateDir: stateDirOf(flags, process.env), env: process.env,
    ...(opts.ledgerOnly ? { ledgerOnly: true } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** Checks a local input and/or output; s3:// arguments are checked by the backend. */
function checkArguments(input: string, output: string, overwrite: boolean): { source: string; output: string } {
  const localIn = !isS3Uri(input);
  const localOut = !isS3Uri(output);
  if (isS3Uri(input)) parseS3Uri(input);
  if (isS3Uri(output)) parseS3Uri(output);
  if (localIn && localOut) return checkPaths(input, output, overwrite);
  if (localIn) {
    const st = statSync(resolve(input), { throwIfNoEntry: false });
    if (!st?.isFile() || st.size === 0) throw new InputError(`input not found or not a non-empty file: ${input}`);
  }
  if (localOut) {
    const out = resolve(output);
    if (!statSync(dirname(out), { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`output folder does not exist: ${dirname(out)}`);
    if (statSync(out, { throwIfNoEntry: false }) && !overwrite) throw new InputError(`output exists: ${output} (pass --overwrite to replace it)`);
  }
  return { source: localIn ? resolve(input) : input, output: localOut ? resolve(output) : output };
}

function failureError(job: JobRecord | undefined, outcome: WorkflowOutcome): Error {
  const message = job?.error ?? `the execution failed: ${outcome.error ?? 'unknown error'}${outcome.cause ? `: ${outcome.cause}` : ''}`;
  if (outcome.error === 'InputError' || outcome.error === 'UsageError') return new InputError(message);
  return new JobFailedError(message, job?.id ?? '');
}

/** Runs one execution with the progress display, then downloads the output; prints like the local mode. */
async function runAndReport(backend: WorkflowBackend, flags: BackendFlags, jobId: string, progress: ProgressReporter, localOutput: string | undefined): Promise<void> {
  const { deps } = backend.runtime;
  progress.start(jobId);
  let outcome: WorkflowOutcome;
  try {
    outcome = await withSignals((signal) => backend.run(jobId, signal));
  } catch (err) {
    // No execution runs: the job must not stay claimed by none. An AWS execution that only could not be
    // watched goes on: the job is left as it is.
    if ((err as { executionNotStarted?: boolean }).executionNotStarted) {
      await failRun(deps, jobId, { message: `the execution could not be run: ${oneLine(err)}` }).catch(() => undefined);
    }
    throw err;
  } finally {
    await progress.stop();
  }
  let job = await deps.ledger.getJob(jobId);
  if (outcome.status === 'aborted') {
    if (backend.kind === 'aws') throw new CancelledError(`stopped watching; the execution goes on in AWS: \`shardcast status ${jobId} --backend aws\``);
    if (job && job.status !== 'done' && job.status !== 'failed') {
      await deps.ledger.updateJob(jobId, [job.status], 'cancelled', { error: 'stopped by the user' }).catch(() => undefined);
    }
    throw new CancelledError(`stopped; run \`shardcast retry ${jobId} --backend aws-emulated\` to continue`);
  }
  if (outcome.status === 'failed' && job && job.status !== 'failed' && job.status !== 'done') {
    // The execution failed where the workflow's Catch could not record it (its history overflowed, it was
    // stopped, it failed outside any state): the ledger would show the job running for ever.
    job = await failRun(deps, jobId, { message: `the execution failed: ${outcome.error ?? 'unknown error'}${outcome.cause ? `: ${outcome.cause}` : ''}` });
  }
  if (outcome.status === 'failed' || job?.status !== 'done') {
    const view = await loadJobView(deps.ledger, jobId);
    if (flags.json && view) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    throw failureError(job, outcome);
  }
  if (localOutput) await downloadFile(backend.runtime.s3, job.output, localOutput);
  job = (await deps.ledger.getJob(jobId))!;
  const view = await loadJobView(deps.ledger, jobId);
  print(flags, { ...view, ...(localOutput ? { localOutput } : {}) }, summary({ ...job, output: localOutput ?? job.output }));
}

/**
 * The stack's functions may read and write its own bucket only (their role's policy), so an s3:// source or
 * output elsewhere would fail in Analyze, or in Merge after every segment was paid for. Refused before any work.
 */
function refuseOtherBuckets(bucket: string, source: string, output: string): void {
  for (const [uri, what] of [[source, 'source'], [output, 'output']] as const) {
    if (!isS3Uri(uri) || parseS3Uri(uri).bucket === bucket) continue;
    const fix = what === 'source'
      ? `copy it there first (aws s3 cp ${uri} s3://${bucket}/inputs/) or give a local path (uploaded for you)`
      : `write it under s3://${bucket}/ or to a local path (downloaded for you)`;
    throw new UsageError(`the ${what} ${uri} is outside the stack's bucket: its functions can read and write only s3://${bucket}/; ${fix}`);
  }
}

export async function workflowTranscodeCommand(input: string, output: string, flags: WorkflowFlags): Promise<void> {
  const paths = checkArguments(input, output, flags.overwrite === true);
  let progress: ProgressReporter | undefined;
  await withBackend(flags, { onProgress: (p) => progress?.onProgress(p) }, async (backend) => {
    const { deps } = backend.runtime;
    refuseOtherBuckets(backend.bucket, paths.source, paths.output);
    progress = new ProgressReporter(deps.ledger, process.stderr, flags.progress !== false && !flags.json);
    const workers = flags.workers === undefined && backend.defaultConcurrency ? String(Math.min(256, backend.defaultConcurrency)) : flags.workers;
    const options = parseTranscodeOptions({ ...flags, ...(workers !== undefined ? { workers } : {}) }, output);
    const id = newJobId();
    let source = paths.source;
    if (!isS3Uri(source)) {
      source = `s3://${backend.bucket}/inputs/${id}/${basename(source)}`;
      if (!flags.json) process.stderr.write(`uploading ${paths.source} to ${source}\n`);
      await uploadFile(backend.runtime.s3, paths.source, source);
    } else if ((await deps.sourceSize(source)) === undefined) {
      throw new InputError(`input not found: ${source}`);
    }
    const localOutput = isS3Uri(paths.output) ? undefined : paths.output;
    const jobOutput = localOutput ? `s3://${backend.bucket}/outputs/${id}/${basename(localOutput)}` : paths.output;
    await createJob(deps, { id, backend: kindOf(flags), source, output: jobOutput, options });
    if (localOutput) await emit(deps, id, DOWNLOAD_EVENT, `the output is downloaded to ${localOutput}`, { path: localOutput });
    if (!flags.json) process.stderr.write(`job ${id}: ${source} -> ${jobOutput} (${kindOf(flags)})\n`);
    await runAndReport(backend, flags, id, progress, localOutput);
  });
}

export async function workflowRetryCommand(jobId: string, flags: WorkflowFlags): Promise<void> {
  let progress: ProgressReporter | undefined;
  await withBackend(flags, { onProgress: (p) => progress?.onProgress(p) }, async (backend) => {
    const { deps } = backend.runtime;
    const job = await deps.ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`no job ${jobId} in the ${flags.backend} ledger`);
    const failed = (await deps.ledger.listTasks(jobId)).filter((t) => t.status === 'failed');
    // One conditional write: of two retries at once, one starts an execution, the other is refused.
    await claimRetry(deps, jobId);
    await emit(deps, jobId, 'job.retry', `retrying ${failed.length} failed task(s) in a new execution`, { tasks: failed.map((t) => t.key) });
    const download = (await deps.ledger.listEvents(jobId)).filter((e) => e.type === DOWNLOAD_EVENT).pop();
    const localOutput = typeof download?.data?.path === 'string' ? download.data.path : undefined;
    progress = new ProgressReporter(deps.ledger, process.stderr, flags.progress !== false && !flags.json);
    await runAndReport(backend, flags, jobId, progress, localOutput);
  });
}

export async function workflowStatusCommand(jobId: string, flags: WorkflowFlags): Promise<void> {
  await withBackend(flags, { ledgerOnly: true }, async (backend) => {
    const view = await loadJobView(backend.runtime.deps.ledger, jobId);
    if (!view) throw new NotFoundError(`no job ${jobId} in the ${flags.backend} ledger`);
    print(flags, { ...view, events: await backend.runtime.deps.ledger.listEvents(jobId) }, statusText(view));
  });
}

export async function workflowJobsCommand(flags: WorkflowFlags): Promise<void> {
  await withBackend(flags, { ledgerOnly: true }, async (backend) => {
    const jobs = await backend.runtime.deps.ledger.listJobs({ limit: 200 });
    print(flags, jobs, jobsText(jobs));
  });
}

/** Runs `fn` over the ledger of a workflow backend (for `cost`). */
export async function withWorkflowLedger<T>(flags: WorkflowFlags, fn: (ledger: WorkflowBackend['runtime']['deps']['ledger']) => Promise<T>): Promise<T> {
  return withBackend(flags, { ledgerOnly: true }, (backend) => fn(backend.runtime.deps.ledger));
}
