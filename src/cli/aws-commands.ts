/**
 * `shardcast deploy` (synthesizes the stack here, checks the CDK bootstrap, runs the CDK CLI's deploy on the
 * assembly and saves the stack outputs; `--dry-run --out DIR` synthesizes only), `shardcast destroy`, `shardcast cost <jobId>` (what a
 * finished job did or would cost on AWS) and `shardcast estimate <input> --backend aws` (wall time and cost
 * before a run, from the probe and an encode-speed calibration on this machine).
 *
 * Over 300 lines: the AWS home's commands (deploy, destroy, cost, estimate) with their option declarations,
 * which are most of its length.
 */
import { catalogJson } from '../runtime/templates.js';
import { loadTemplateCatalog } from '../runtime/template-files.js';
import { executionConcurrency } from '../core/concurrency.js';
import { encodeRetryBudget } from '../adapters/aws/workflow-definition.js';
import { readLambdaCapacity } from '../adapters/aws/lambda-capacity.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { analyzeSource } from '../app/analyze-job.js';
import { calibrateEncode } from '../app/calibrate-encode.js';
import { calibrationOf, lambdaTaskScale, lambdaTaskScaleOf, measuredJobOf } from '../app/job-cost.js';
import { estimateJobCost, type AwsDeployment, type AwsPrices } from '../core/cost-model.js';
import { longestSegmentSeconds, projectJob } from '../core/job-projection.js';
import { NotFoundError, UsageError } from '../core/errors.js';
import { defaultSegmentSeconds, minExactCutSeconds, planSegments } from '../core/plan-segments.js';
import { deploymentMapMode, maxInlineSegments } from '../core/state-limits.js';
import { isMp4Family } from '../core/profile.js';
import type { JobRecord, MediaAnalysis, TaskRecord } from '../core/types.js';
import { DEFAULT_DEPLOYMENT, loadAwsStack, removeAwsStack, saveAwsStack, type AwsStack } from '../runtime/aws/aws-stack-config.js';
import { requireCdkBootstrap } from '../adapters/aws/cdk-bootstrap.js';
import { framesForDuration, planLimits, type PlanLimits } from '../adapters/aws/plan-limits.js';
import type { SynthResult } from '../infra/synth.js';
import { makeLocalRuntime } from '../runtime/local/local-runtime.js';
import { newJobId } from '../runtime/process-identity.js';
import { checkPaths, stateDirOf } from '../runtime/job-paths.js';
import { print, withBackend, type GlobalFlags } from './commands.js';
import {
  costEstimateText,
  cpuShareOf,
  deploymentText,
  estimateText,
  measuredOnText,
  segmentWarning,
  targetExtra,
  transferEstimate,
  usd,
  type TargetEstimate,
} from './cost-text.js';
import { targetCpuFactor } from '../core/crf-search.js';
import { targetLabel } from '../core/target-text.js';
import {
  buildCdkDeployArgs,
  buildCdkDestroyArgs,
  deployContext,
  parseDeployFlags,
  stackFromCdkOutputs,
  type DeployOptions,
} from './deploy-args.js';
import { parseTranscodeOptions } from '../runtime/transcode-options.js';
import { flagText } from './flag-text.js';
import { plural } from '../core/words.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function loadPrices(): AwsPrices {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'prices', 'aws-prices.json'), 'utf8')) as AwsPrices;
}

type Flags = GlobalFlags & Record<string, unknown>;

const num = (flag: string, v: unknown, min: number, max: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} must be a number from ${min} to ${max}`);
  return n;
};

/** The deployment to price: flags, else the deployed stack's settings, else the CDK app's defaults. */
export function deploymentOf(
  flags: Record<string, unknown>,
  stack: AwsStack | undefined,
): AwsDeployment & { timeoutSeconds: number; mapMaxConcurrency: number } {
  const base = stack ?? DEFAULT_DEPLOYMENT;
  const storage = flags.storage ?? base.storage;
  const architecture = flags.architecture ?? base.architecture;
  if (storage !== 's3' && storage !== 'efs') throw new UsageError('--storage must be s3 or efs');
  if (architecture !== 'x86_64' && architecture !== 'arm64') throw new UsageError('--architecture must be x86_64 or arm64');
  return {
    storage,
    architecture,
    memoryMb: num('--memory', flags.memory, 128, 10_240) ?? base.memoryMb,
    ephemeralMb: num('--ephemeral', flags.ephemeral, 512, 10_240) ?? base.ephemeralMb,
    timeoutSeconds: base.timeoutSeconds,
    mapMaxConcurrency: num('--concurrency', flags.concurrency, 1, 10_000) ?? (base.mapMaxConcurrency || 40),
  };
}

/** The CDK CLI this package depends on (aws-cdk), run with this Node. */
function cdkCli(): { bin: string; version: string } {
  const req = createRequire(import.meta.url);
  let pkgFile: string;
  try {
    pkgFile = req.resolve('aws-cdk/package.json');
  } catch {
    throw new UsageError('the CDK CLI (npm package aws-cdk) is not installed beside shardcast: reinstall shardcast');
  }
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string; bin: { cdk: string } };
  return { bin: join(dirname(pkgFile), pkg.bin.cdk), version: pkg.version };
}

const bootstrapCommand = (): string => `npx aws-cdk@${cdkCli().version} bootstrap`;

/**
 * The CDK CLI's environment: BuildKit's default attestations off. With them on (the containerd image store,
 * Docker Desktop) the image asset is pushed as an OCI index, which Lambda refuses to create a function from.
 */
export function cdkEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, BUILDX_NO_DEFAULT_ATTESTATIONS: '1' };
}

async function runCdk(args: string[], flags: Flags): Promise<void> {
  const { bin } = cdkCli();
  const code = await new Promise<number | null>((res, rej) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: PACKAGE_ROOT,
      env: cdkEnv(process.env),
      stdio: ['inherit', flags.json ? 'pipe' : 'inherit', 'inherit'],
    });
    child.stdout?.pipe(process.stderr);
    child.once('error', rej);
    child.once('exit', res);
  });
  if (code !== 0) throw new UsageError(`cdk ${args[0]} failed (exit ${code}); see its output above`);
}

/** Synthesizes the stack here (no credentials, no Docker): into `out`, else a temp folder that `use` may read. */
async function withAssembly<T>(opts: DeployOptions, out: string | undefined, use: (synth: SynthResult) => Promise<T>): Promise<T> {
  const { synthesizeStack } = await import('../infra/synth.js');
  const dir = out ?? mkdtempSync(join(tmpdir(), 'shardcast-cdk-'));
  try {
    if (out) {
      // An empty folder or an earlier assembly (the CDK rewrites it), never a folder of other files.
      const existing = existsSync(out) ? readdirSync(out) : [];
      if (existing.length > 0 && !existing.includes('manifest.json'))
        throw new UsageError(`--out ${out} is not empty and holds no earlier assembly; give an empty or new folder`);
      mkdirSync(out, { recursive: true });
    }
    let synth: SynthResult;
    try {
      synth = synthesizeStack(deployContext(opts), dir);
    } catch (err) {
      throw new UsageError(`cannot synthesize the stack: ${(err as Error).message.split('\n')[0]}`);
    }
    return await use(synth);
  } finally {
    if (!out) rmSync(dir, { recursive: true, force: true });
  }
}

function templateSummary(templateFile: string): { resources: number; byType: Record<string, number> } {
  const t = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources?: Record<string, { Type: string }> };
  const byType: Record<string, number> = {};
  for (const r of Object.values(t.Resources ?? {})) byType[r.Type] = (byType[r.Type] ?? 0) + 1;
  return { resources: Object.keys(t.Resources ?? {}).length, byType };
}

/** The most memory a new account's functions may have until AWS raises it (the quota has no read API). */
const NEW_ACCOUNT_MEMORY_MB = 3008;

/** A line before a deploy that asks for more memory than a new account may give; undefined otherwise. */
export function memoryNote(memoryMb: number | undefined): string | undefined {
  if (memoryMb === undefined || memoryMb <= NEW_ACCOUNT_MEMORY_MB) return undefined;
  return `note: --memory ${memoryMb}: new accounts may have functions of at most ${NEW_ACCOUNT_MEMORY_MB} MB until AWS raises it (Service Quotas); if CloudFormation refuses the MemorySize, deploy with --memory ${NEW_ACCOUNT_MEMORY_MB}`;
}

/** AWS keeps at least this many of an account's concurrent executions unreserved. */
const MIN_UNRESERVED = 100;

/** The reservation `deploy --reserved-concurrency` asks for, refused in one line where the account cannot give it. */
export function reservationRefusal(asked: number, unreserved: number | undefined, current = 0): string | undefined {
  if (unreserved === undefined) return undefined;
  // The account's unreserved figure already leaves out the stack's own reservation (a redeploy keeps or moves it).
  const free = unreserved + current;
  if (free - asked >= MIN_UNRESERVED) return undefined;
  return `--reserved-concurrency ${asked}: the account has ${free} unreserved concurrent executions${current ? ` (with the ${current} this stack reserves now)` : ''} and AWS keeps ${MIN_UNRESERVED} of them unreserved, so at most ${Math.max(0, free - MIN_UNRESERVED)} can be reserved (ask AWS for a higher quota)`;
}

async function requireReservable(asked: number, current: number | undefined): Promise<void> {
  const why = reservationRefusal(asked, (await readLambdaCapacity(undefined))?.unreserved, current);
  if (why) throw new UsageError(why);
}

async function deployCommand(flags: Flags): Promise<void> {
  const opts = parseDeployFlags(flags);
  if (opts.watchPrefix) {
    // The project's templates go with the stack (the Admit function's environment); the built-ins are in its code.
    const catalog = await loadTemplateCatalog({
      ...(typeof flags.config === 'string' ? { explicit: flags.config } : {}),
      env: process.env,
      cwd: process.cwd(),
    });
    if (catalog.source) opts.templates = catalogJson(catalog);
  }
  const out = flags.out === undefined ? undefined : resolve(flagText(flags.out));
  if (out && !flags.dryRun) throw new UsageError('--out is for --dry-run (deploy synthesizes into a temp folder)');
  if (flags.dryRun) {
    await withAssembly(opts, out, async (synth) => {
      const summary = templateSummary(synth.templateFile);
      const cli = cdkCli();
      const args = buildCdkDeployArgs(opts, synth.outdir, join(synth.outdir, 'outputs.json'));
      const kept = out !== undefined;
      print(
        flags,
        {
          stackName: synth.stackName,
          config: synth.config,
          ...(kept ? { assembly: synth.outdir, template: synth.templateFile } : {}),
          ...summary,
          cdk: { version: cli.version, args },
        },
        [
          `synthesized stack ${synth.stackName} (storage ${synth.config.storage}, ${synth.config.memoryMb} MB, ${{ inline: 'inline', distributed: 'Distributed', auto: `inline up to ${maxInlineSegments()} segments, else Distributed` }[synth.config.mapMode]} Map, concurrency ${synth.config.mapMaxConcurrency}): ${summary.resources} resources`,
          kept ? `  template ${synth.templateFile}` : '  (not kept: add --out DIR to keep the assembly)',
          kept ? `deploy this assembly: npx aws-cdk@${cli.version} ${args.join(' ')}` : 'deploy: the same command without --dry-run',
        ].join('\n'),
      );
    });
    return;
  }
  await requireCdkBootstrap(bootstrapCommand());
  if (opts.reservedConcurrency !== undefined) {
    const saved = loadAwsStack(stateDirOf(flags, process.env), process.env);
    await requireReservable(opts.reservedConcurrency, saved?.stackName === opts.stackName ? saved.reservedConcurrency : undefined);
  }
  const memory = memoryNote(opts.memory);
  if (memory) process.stderr.write(`${memory}\n`);
  await withAssembly(opts, undefined, async (synth) => {
    const outputsFile = join(synth.outdir, 'outputs.json');
    await runCdk(buildCdkDeployArgs(opts, synth.outdir, outputsFile), flags);
    const stack = stackFromCdkOutputs(JSON.parse(readFileSync(outputsFile, 'utf8')), opts);
    const stateDir = stateDirOf(flags, process.env);
    saveAwsStack(stateDir, stack);
    print(
      flags,
      stack,
      [
        `deployed ${stack.stackName} (saved to ${join(stateDir, 'aws-stack.json')}):`,
        `  bucket ${stack.bucket}`,
        `  table ${stack.table}`,
        `  state machine ${stack.stateMachineArn}`,
        `  storage ${stack.storage}`,
        `run: shardcast transcode <in> <out> --backend aws`,
      ].join('\n'),
    );
  });
}

async function destroyCommand(flags: Flags): Promise<void> {
  const stateDir = stateDirOf(flags, process.env);
  const saved = loadAwsStack(stateDir, {});
  const stackName = flagText(flags.stackName ?? saved?.stackName ?? 'Shardcast');
  const opts = parseDeployFlags({ stackName, storage: saved?.storage });
  const keptBucket = saved && saved.stackName === stackName ? saved.bucket : undefined;
  const bucketNote = `the bucket${keptBucket ? ` ${keptBucket}` : ''} is kept (it holds your sources and outputs): empty and remove it with \`aws s3 rb s3://${keptBucket ?? '<bucket>'} --force\``;
  await withAssembly(opts, undefined, async (synth) => {
    const args = buildCdkDestroyArgs(stackName, synth.outdir);
    if (flags.dryRun) {
      print(
        flags,
        { stackName, cdk: { version: cdkCli().version, args }, keptBucket: keptBucket ?? null },
        [`would run: cdk ${args.join(' ')}`, bucketNote].join('\n'),
      );
      return;
    }
    await runCdk(args, flags);
    if (keptBucket) removeAwsStack(stateDir);
    print(flags, { destroyed: stackName, keptBucket: keptBucket ?? null }, [`destroyed ${stackName}`, bucketNote].join('\n'));
  });
}

async function loadJob(flags: Flags, jobId: string): Promise<{ job: JobRecord; tasks: TaskRecord[] }> {
  return withBackend(flags, { readOnly: true }, async ({ ledger }) => {
    const job = await ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`no job ${jobId} in the ${flags.backend ?? 'local'} ledger`);
    return { job, tasks: await ledger.listTasks(jobId) };
  });
}

async function costCommand(jobId: string, flags: Flags): Promise<void> {
  const deployment = deploymentOf(flags, loadAwsStack(stateDirOf(flags, process.env), process.env));
  const { job, tasks } = await loadJob(flags, jobId);
  if (job.status !== 'done') throw new UsageError(`job ${jobId} is ${job.status}; cost is for finished jobs (try \`shardcast estimate\`)`);
  const scale = lambdaTaskScale(job, deployment.memoryMb);
  const estimate = estimateJobCost(measuredJobOf(job, tasks, lambdaTaskScaleOf(job, deployment.memoryMb)), deployment, loadPrices());
  const verb = job.backend === 'aws' ? 'cost' : 'would cost';
  const head = `job ${job.id} (${job.backend}) ${verb} ${usd(estimate.totalUsd)} on AWS: ${deploymentText(deployment)}`;
  // Always what the times are scaled from (the host, its workers and threads), and whether it was loaded.
  const note = measuredOnText(job, tasks, scale);
  const cpuShare = cpuShareOf(job, tasks);
  print(
    flags,
    {
      jobId: job.id,
      backend: job.backend,
      measured: job.backend === 'aws',
      deployment,
      segmentTimeScale: scale,
      ...(cpuShare !== undefined ? { cpuShare } : {}),
      estimate,
    },
    [head, ...note, ...costEstimateText(estimate)].join('\n'),
  );
}

/**
 * The target whose plan fills its rounds of `concurrency` (plan-segments.ts `waveWidth`), over the probed frames
 * repeated to `durationSeconds`, as planLimits plans them: planLimits at this target gets the same count.
 */
export function waveFilledTarget(input: {
  analysis: MediaAnalysis;
  durationSeconds: number;
  targetSeconds: number;
  concurrency: number;
  maxTargetSeconds: number;
}): number {
  const v = framesForDuration(input.analysis, input.durationSeconds).video;
  return planSegments({
    frameTimes: v.frameTimes,
    keyframeIndices: v.keyframeIndices,
    lastFrameDuration: v.lastFrameDuration,
    targetSeconds: input.targetSeconds,
    workers: input.concurrency,
    minExactSeconds: minExactCutSeconds(v.keyframeCostSeconds),
    waveWidth: input.concurrency,
    maxTargetSeconds: input.maxTargetSeconds,
  }).targetSeconds;
}

async function estimateCommand(input: string, flags: Flags): Promise<void> {
  if (flags.backend !== undefined && flags.backend !== 'aws') throw new UsageError('estimate projects a run on AWS: use --backend aws');
  const stateDir = stateDirOf(flags, process.env);
  const deployment = deploymentOf(flags, loadAwsStack(stateDir, process.env));
  const { source } = checkPaths(input, join(tmpdir(), `shardcast-estimate.${flagText(flags.format ?? 'mp4')}`), true);
  const options = parseTranscodeOptions({ ...flags, workers: undefined }, `estimate.${flagText(flags.format ?? 'mp4')}`);
  const rt = makeLocalRuntime({ stateDir, env: process.env });
  try {
    const analysis = await analyzeSource(rt.deps, source);
    const seconds = num('--calibrate-seconds', flags.calibrateSeconds, 1, 120) ?? 4;
    // How busy this host was before the calibration (the 1-minute load average, over its cores): a busy host
    // encodes slower, and every time projected from the calibration with it.
    const host = { cores: availableParallelism(), loadAverage: loadavg()[0] ?? 0 };
    const sample = await calibrateEncode(rt.deps, source, analysis, options.profile, {
      seconds,
      threads: availableParallelism(),
      scratchId: `estimate${newJobId()}`,
    });
    const durationSeconds = num('--duration', flags.duration, 1, 7 * 86_400) ?? analysis.duration;
    const sourceBytes = num('--source-bytes', flags.sourceBytes, 1, 1e15) ?? analysis.sizeBytes;
    // What an execution will get: the deployment's concurrency, capped by the account's as Analyze caps it.
    const asked = deployment.mapMaxConcurrency;
    const unreserved = num('--unreserved', flags.unreserved, 1, 1_000_000) ?? (await readLambdaCapacity(undefined))?.unreserved;
    const planned = executionConcurrency(asked, unreserved !== undefined ? { unreserved } : undefined);
    const concurrency = planned.concurrency;
    const retryBudget = encodeRetryBudget({ taskTimeoutSeconds: deployment.timeoutSeconds + 60, taskRetryAttempts: 2 });
    const requestedSeconds = options.segmentSeconds ?? defaultSegmentSeconds(durationSeconds, concurrency);
    // A targeted job (--target-quality) encodes each segment with its probes and scoring: its segments take
    // targetCpuFactor times a plain encode's time, and everything projected from the calibration with them.
    const target = options.profile.target;
    const cpuFactor = target ? targetCpuFactor(target, options.profile) : 1;
    const plainCalibration = calibrationOf(sample);
    const calibration = { ...plainCalibration, encodeSecondsPerSourceSecond: plainCalibration.encodeSecondsPerSourceSecond * cpuFactor };
    // The plan fills its rounds of `concurrency` (no last round of a few segments), lengthening segments only as
    // far as a function encodes one in half its timeout; its target is the one the limits are worked out with.
    const segmentSeconds = waveFilledTarget({
      analysis,
      durationSeconds,
      targetSeconds: requestedSeconds,
      concurrency,
      maxTargetSeconds: longestSegmentSeconds(calibration, deployment, deployment.timeoutSeconds),
    });
    // The Map mode is the deployment's (fixed at deploy from its --concurrency), whatever an execution gets.
    const limits = planLimits({ analysis, durationSeconds, options, segmentSeconds, concurrency, mapMode: deploymentMapMode(asked) });
    const ac = options.profile.audioCodec;
    const prices = loadPrices();
    const project = (cal: typeof calibration) =>
      projectJob(
        {
          durationSeconds,
          sourceBytes,
          hasAudio: analysis.audio.length > 0 && (ac === 'aac' || ac === 'opus'),
          segmentSeconds,
          concurrency,
          segments: limits.segments,
          calibration: cal,
          // A local output path is downloaded (data transfer out); --no-download prices an output left in S3.
          downloaded: flags.download !== false,
          indexedOutput: isMp4Family(options.profile.container),
        },
        deployment,
        prices,
      );
    const projection = project(calibration);
    // The same plan encoded plainly, for what the CRF searches add.
    const targetEstimate: TargetEstimate | undefined = target
      ? { label: targetLabel(target), cpuFactor, plain: project(plainCalibration) }
      : undefined;
    const { job: _job, ...shown } = projection;
    const transfer = transferEstimate(
      projection,
      sourceBytes,
      num('--link-mbps', flags.linkMbps, 1, 100_000) ?? 100,
      flags.download !== false,
    );
    const text = [
      estimateText({
        durationSeconds,
        sourceBytes,
        calibration: sample,
        segmentSeconds,
        ...(segmentSeconds !== requestedSeconds ? { requestedSegmentSeconds: requestedSeconds } : {}),
        host,
        concurrency,
        deployment,
        timeoutSeconds: deployment.timeoutSeconds,
        projection,
        transfer,
        ...(targetEstimate ? { target: targetEstimate } : {}),
      }),
      limitsText(limits),
      `concurrency: ${planned.note}`,
      `retries: a throttled invocation waits up to ${plural(retryBudget.throttle.attempts, 'time')} (about ${Math.round(retryBudget.throttle.meanSeconds / 60)} min, at most ${Math.round(retryBudget.throttle.mostSeconds / 60)}); a busy task every ${retryBudget.busy.intervalSeconds} s, ${plural(retryBudget.busy.attempts, 'time')}; a timed-out or dead invocation ${plural(retryBudget.deaths, 'more time')}`,
    ].join('\n');
    const warning = segmentWarning(projection, deployment.timeoutSeconds);
    print(
      flags,
      {
        source: { path: source, durationSeconds, sourceBytes, probedDuration: analysis.duration, probedBytes: analysis.sizeBytes },
        calibration: { ...sample, ...plainCalibration, host },
        deployment,
        concurrency,
        concurrencyPlan: { asked, ...(unreserved !== undefined ? { unreserved } : {}), planned: concurrency, note: planned.note },
        retryBudget,
        segmentSeconds,
        ...(segmentSeconds !== requestedSeconds ? { requestedSegmentSeconds: requestedSeconds } : {}),
        projection: shown,
        limits,
        transfer,
        ...(target && targetEstimate
          ? {
              target: {
                ...target,
                cpuFactor,
                plain: { wallSeconds: targetEstimate.plain.wallSeconds, totalUsd: targetEstimate.plain.cost.totalUsd },
                added: targetExtra(targetEstimate, projection),
              },
            }
          : {}),
        ...(warning ? { warning } : {}),
      },
      text,
    );
  } finally {
    await rt.close();
  }
}

const kb = (n: number): string => `${(n / 1024).toFixed(n < 10_240 ? 1 : 0)} KB`;

export function limitsText(l: PlanLimits): string {
  const map =
    l.mapMode === 'distributed'
      ? `Distributed Map (${l.deploymentMapMode === 'auto' ? `more than the ${l.maxInlineSegments} run inline` : "the deployment's"})`
      : `inline Map (${l.historyEvents} of ${l.historyEventLimit} history events)`;
  return [
    `AWS limits: ${plural(l.segments, 'segment')} planned, ${map}; largest state payload ${kb(l.largestPayloadBytes)} of ${kb(l.payloadLimitBytes)};`,
    `  ledger: largest item ${kb(l.largestItemBytes)} of ${kb(l.itemLimitBytes)}, job item ${kb(l.jobItemBytes)}, ${plural(l.readUnitsPerSegment, 'read unit')} per segment`,
  ].join('\n');
}

const backendOption = () =>
  new Option('--backend <name>', 'where the job ran: local | aws-emulated | aws').choices(['local', 'aws-emulated', 'aws']);
const pricingOptions = (cmd: Command): Command =>
  cmd
    .option('--memory <MB>', 'function memory (default: the deployed stack, else 3008)')
    .addOption(new Option('--storage <kind>', 'temp storage (default: the deployed stack, else s3)').choices(['s3', 'efs']))
    .addOption(new Option('--architecture <arch>', 'function architecture').choices(['x86_64', 'arm64']))
    .option('--ephemeral <MB>', "Merge's /tmp size (default 10240)");

export function registerAwsCommands(program: Command): void {
  const g = (cmd: Command) => cmd.optsWithGlobals<Flags>();
  program
    .command('deploy')
    .description('deploy the AWS stack (synthesized here, deployed by the CDK CLI) and save its outputs for --backend aws')
    .addOption(new Option('--storage <kind>', 'temp files in the S3 bucket or on EFS').choices(['s3', 'efs']).default('s3'))
    .option('--memory <MB>', 'memory of the step functions (CPU scales with it; default 3008)')
    .addOption(new Option('--architecture <arch>', 'function architecture (default x86_64)').choices(['x86_64', 'arm64']))
    .option('--timeout <s>', 'function timeout, at most 900 (default 900)')
    .option('--ephemeral <MB>', "Merge's /tmp size (default 10240; encodes get 2048, others 512)")
    .option(
      '--concurrency <n>',
      "most segments encoded at once (default 40; above 40 a Distributed Map); each job gets at most what the account's free Lambda concurrency allows",
    )
    .option('--reserved-concurrency <n>', 'reserve this much concurrency for the encode function (refused when the account cannot)')
    .option('--retries <n>', 'retries of a failed segment (default 2)')
    .option('--ttl-hours <h>', 'hours a ledger item lives (default 48)')
    .option('--stack-name <name>', 'CloudFormation stack name', 'Shardcast')
    .option(
      '--watch-prefix <prefix>',
      'uploads under s3://<bucket>/<prefix><template>/ start jobs with that template (EventBridge); e.g. in/. Your templates (--config, shardcast.config.*) go with the stack',
    )
    .option('--dry-run', 'synthesize the stack only (no credentials needed) and print what would be deployed')
    .option('--out <dir>', 'with --dry-run: keep the synthesized assembly (template, image context) in this folder')
    .action(async (_o, cmd: Command) => deployCommand(g(cmd)));
  program
    .command('destroy')
    .description('delete the deployed AWS stack (the bucket with your files is kept)')
    .option('--stack-name <name>', 'CloudFormation stack name (default: the deployed one)')
    .option('--dry-run', 'print the cdk command instead of running it')
    .action(async (_o, cmd: Command) => destroyCommand(g(cmd)));
  pricingOptions(
    program
      .command('cost')
      .description('what a finished job cost on AWS, or would have cost (local jobs), from its measured segment times')
      .argument('<jobId>')
      .addOption(backendOption()),
  ).action(async (id: string, _o, cmd: Command) => costCommand(id, g(cmd)));
  pricingOptions(
    program
      .command('estimate')
      .description('project wall time and cost of a run on AWS from a probe and a short calibration encode here')
      .argument('<input>', 'source video file')
      .addOption(new Option('--backend <name>', 'aws (the only one projected)').choices(['aws']))
      .option('--concurrency <n>', 'segments at once (default: the deployed stack, else 40), capped by the account as a run is')
      .option('--unreserved <n>', "the account's unreserved Lambda concurrency (default: read with lambda:GetAccountSettings)")
      .option('--segment-seconds <s>', 'target segment length (default: from duration and concurrency)')
      .option('--calibrate-seconds <s>', 'seconds of source encoded to calibrate (default 4)')
      .option('--duration <s>', 'project a source of this length instead of the probed one (same kind of content)')
      .option('--source-bytes <n>', 'project a source of this size instead of the probed one')
      .option('--no-download', 'the output stays in S3 (default: downloaded to a local path, billed as data transfer out)')
      .option('--link-mbps <n>', 'your link to AWS for the upload and download, Mbit/s (default 100)')
      .addOption(new Option('--format <ext>', 'output container').choices(['mp4', 'mkv', 'webm', 'mov']).default('mp4'))
      .addOption(new Option('--video-codec <codec>', 'h264 | hevc | vp9 | av1'))
      .option('--crf <n>', 'constant rate factor')
      .option('--preset <name>', 'encoder preset')
      .option('--height <px>', 'scale to this height')
      .option('--width <px>', 'scale to this width')
      .option('--audio-codec <codec>', 'aac | opus | copy | none')
      .option('--target-quality <metric:value>', 'project a run whose segments each search their CRF for this quality, e.g. vmaf:93')
      .option('--quality-band <d>', 'with --target-quality: how far a segment may land from the target')
      .option('--min-quality <value[:pool]>', 'with --target-quality: a floor for each segment, e.g. 85:p5')
      .option('--min-crf <n>', 'with --target-quality: the lowest CRF the search may use')
      .option('--max-crf <n>', 'with --target-quality: the highest CRF the search may use'),
  ).action(async (input: string, _o, cmd: Command) => estimateCommand(resolve(input), g(cmd)));
}
