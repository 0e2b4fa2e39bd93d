/**
 * The AWS homes as a Backend (`aws-emulated`: the state machine and handlers on emulators in this process;
 * `aws`: the deployed stack). A job runs as one execution; a local input is uploaded to the stack's bucket
 * first and a local output downloaded after; the ledger is the stack's table.
 */
import { basename, dirname } from 'node:path';
import type { WorkflowOutcome } from '../../adapters/aws/local-workflow.js';
import { downloadFile, downloadFolder, uploadFile } from '../../adapters/aws/s3-transfer.js';
import { isLadderOutput } from '../../core/ladder.js';
import { isS3Uri, parseS3Uri } from '../../adapters/aws/s3-uri.js';
import { emit } from '../../app/deps.js';
import { claimRetry } from '../../app/run-steps.js';
import { checkEncoders } from '../../app/encoder-check.js';
import { commandFor, failRun } from '../../app/run-failure.js';
import { CancelledError, InputError, JobFailedError, NotFoundError, oneLine, UsageError } from '../../core/errors.js';
import { ACTIVE_STATUSES, type EncodeProfile, type JobRecord } from '../../core/types.js';
import type { Backend, BackendConfig, RunHooks, RunResult } from '../backend.js';
import { checkLocations } from '../job-paths.js';
import { makeBackend } from '../home-backend.js';
import { openWorkflowExecutions, type WorkflowExecutions, type WorkflowKind } from './workflow-execution.js';

/** The event that remembers where a job's output is downloaded to (for `retry`). */
const DOWNLOAD_EVENT = 'job.download-to';

function failureError(job: JobRecord | undefined, outcome: WorkflowOutcome): Error {
  const message = job?.error ?? `the execution failed: ${outcome.error ?? 'unknown error'}${outcome.cause ? `: ${outcome.cause}` : ''}`;
  if (outcome.error === 'InputError' || outcome.error === 'UsageError') return new InputError(message);
  return new JobFailedError(message, job?.id ?? '');
}

/**
 * The stack's functions may read and write its own bucket only (their role's policy), so an s3:// source or
 * output elsewhere would fail in Analyze, or in Merge after every segment was paid for. Refused before any work.
 */
function refuseOtherBuckets(bucket: string, source: string, output: string): void {
  for (const [uri, what] of [
    [source, 'source'],
    [output, 'output'],
  ] as const) {
    if (!isS3Uri(uri) || parseS3Uri(uri).bucket === bucket) continue;
    const fix =
      what === 'source'
        ? `copy it there first (aws s3 cp ${uri} s3://${bucket}/inputs/) or give a local path (uploaded for you)`
        : `write it under s3://${bucket}/ or to a local path (downloaded for you)`;
    throw new UsageError(`the ${what} ${uri} is outside the stack's bucket: its functions can read and write only s3://${bucket}/; ${fix}`);
  }
}

/** Runs one execution of the job to its end, then downloads a local output. */
async function runExecution(
  x: WorkflowExecutions,
  jobId: string,
  hooks: RunHooks,
  localOutput: string | undefined,
  inFlight: Set<string>,
): Promise<RunResult> {
  const { deps } = x.runtime;
  hooks.onJob?.(jobId);
  let outcome: WorkflowOutcome;
  inFlight.add(jobId);
  try {
    outcome = await x.run(jobId, hooks.signal);
  } catch (err) {
    // No execution runs: the job must not stay claimed by none. An AWS execution that only could not be
    // watched goes on: the job is left as it is.
    if ((err as { executionNotStarted?: boolean }).executionNotStarted) {
      await failRun(deps, jobId, { kind: 'workflow', message: `the execution could not be run: ${oneLine(err)}` }).catch(() => undefined);
    }
    throw err;
  } finally {
    inFlight.delete(jobId);
  }
  let job = await deps.ledger.getJob(jobId);
  if (outcome.status === 'aborted') {
    if (x.kind === 'aws')
      throw new CancelledError(`stopped watching; the execution goes on in AWS: \`shardcast status ${jobId} --backend aws\``);
    if (job && job.status !== 'failed') await failRun(deps, jobId, { kind: 'stopped' }).catch(() => undefined);
    throw new CancelledError(`stopped; run \`${commandFor('retry', { id: jobId, backend: x.kind })}\` to continue`);
  }
  if (outcome.status === 'failed' && job && job.status !== 'failed' && job.status !== 'done') {
    // The execution failed where the workflow's Catch could not record it (its history overflowed, it was
    // stopped, it failed outside any state): the ledger would show the job running for ever.
    ({ job } = await failRun(deps, jobId, {
      kind: 'workflow',
      message: `the execution failed: ${outcome.error ?? 'unknown error'}${outcome.cause ? `: ${outcome.cause}` : ''}`,
    }));
  }
  if (outcome.status === 'failed' || job?.status !== 'done') throw failureError(job, outcome);
  if (localOutput && isLadderOutput(job.output)) await downloadFolder(x.runtime.s3, job.output, dirname(localOutput));
  else if (localOutput) await downloadFile(x.runtime.s3, job.output, localOutput);
  return { job: (await deps.ledger.getJob(jobId))!, ...(localOutput ? { localOutput } : {}) };
}

export async function openWorkflowBackend(cfg: BackendConfig): Promise<Backend> {
  if (cfg.kind === 'local' || cfg.kind === 'cluster') throw new Error(`not a workflow home: ${cfg.kind}`);
  const kind: WorkflowKind = cfg.kind;
  // The SDK warns on every Node 20 start that its 2027 releases will need Node 22; shardcast pins its SDK.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const x = await openWorkflowExecutions({
    kind,
    stateDir: cfg.stateDir,
    env: cfg.env,
    ...(cfg.readOnly ? { ledgerOnly: true } : {}),
    ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
  });
  const { deps } = x.runtime;
  /** Jobs whose execution this Backend runs or watches now. */
  const inFlight = new Set<string>();
  return makeBackend({
    kind,
    ledger: deps.ledger,
    where: `the ${kind} ledger`,
    depsFor: async () => deps,
    // The emulated Notify function runs in this process; the deployed one reads its secret from SSM.
    ...(kind === 'aws-emulated' ? { senderEnv: cfg.env } : {}),
    async checkRequest(req) {
      // The report decodes source and output in full inside the Merge function (1.7 vCPU): past its 900 s limit
      // on a long source, where the timeout ends the function, not the report, and fails a finished job.
      if (req.options.qualityReport === true)
        throw new UsageError(
          `--quality-report is not run on ${kind}: it would decode the source and the output inside the Merge function, past its time limit on long sources; run the job without it and measure the output where it lands (../shared/tools/verify_output.py, or a local job)`,
        );
      const paths = checkLocations(req.input, req.output, req.overwrite);
      refuseOtherBuckets(x.bucket, paths.source, paths.output);
      return paths;
    },
    // The emulated functions run this machine's ffmpeg; the deployed ones the image's, which has every encoder.
    ...(kind === 'aws-emulated' ? { checkEncoders: (profile: EncodeProfile) => checkEncoders(deps.media, profile) } : {}),
    defaultWorkers: async () => x.defaultConcurrency,
    async placeInput(jobId, source, hooks) {
      if (isS3Uri(source)) {
        if ((await deps.sourceSize(source)) === undefined) throw new InputError(`input not found: ${source}`);
        return source;
      }
      const placed = `s3://${x.bucket}/inputs/${jobId}/${basename(source)}`;
      hooks.note?.(`uploading ${source} to ${placed}`);
      await uploadFile(x.runtime.s3, source, placed);
      if (hooks.signal?.aborted) throw new CancelledError('stopped before the job was created');
      return placed;
    },
    placeOutput(jobId, output) {
      if (isS3Uri(output)) return { output };
      return { output: `s3://${x.bucket}/outputs/${jobId}/${basename(output)}`, localOutput: output };
    },
    async remember(d, jobId, request) {
      if (request.localOutput)
        await emit(d, jobId, DOWNLOAD_EVENT, `the output is downloaded to ${request.localOutput}`, { path: request.localOutput });
    },
    noteOf: (jobId, job) => `job ${jobId}: ${job.source} -> ${job.output} (${kind})`,
    async drive({ id: jobId }, verb, hooks) {
      if (verb === 'resume') {
        // An execution is not resumed: it goes on in AWS by itself, or it ended, and then `retry` starts another.
        throw new UsageError(
          `resume continues a job run on this machine; a ${kind} job runs as an execution: \`shardcast status ${jobId} --backend ${kind}\`, and \`shardcast retry ${jobId} --backend ${kind}\` once it failed`,
        );
      }
      // One conditional write: of two retries at once, one starts an execution, the other is refused.
      if (verb === 'retry') await claimRetry(deps, jobId, ' in a new execution');
      // A local output is downloaded where the job remembered it (`remember`, at submit).
      const download = (await deps.ledger.listEvents(jobId)).filter((e) => e.type === DOWNLOAD_EVENT).pop();
      const localOutput = typeof download?.data?.path === 'string' ? download.data.path : undefined;
      return runExecution(x, jobId, hooks, localOutput, inFlight);
    },
    async quality(jobId) {
      if (!(await deps.ledger.getJob(jobId))) throw new NotFoundError(`no job ${jobId} in the ${kind} ledger`);
      // Measuring reads the output and the source whole: on AWS that would be a Lambda of its own.
      throw new UsageError(`quality measures jobs run on this machine (the local backend), not on ${kind}`);
    },
    // An active job not run from here is an execution's elsewhere (an execution holds no lease to check).
    runsElsewhere: (job) => ACTIVE_STATUSES.includes(job.status) && !inFlight.has(job.id),
    close: () => x.close(),
  });
}
