/**
 * The pure parts of the AWS commands and handlers: `deploy`'s cdk arguments and outputs, `cost`'s view of a
 * job (measured times, scaled to a function's vCPUs), `estimate`'s calibration and warning, the handlers'
 * payload parsing and error naming, and the runtime's settings from the environment. No AWS, no I/O.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calibrationOf, lambdaTaskScale, lambdaTaskScaleOf, measuredJobOf } from '../../src/app/job-cost.js';
import { cdkEnv, deploymentOf, memoryNote, reservationRefusal } from '../../src/cli/aws-commands.js';
import { segmentWarning, usd } from '../../src/cli/cost-text.js';
import {
  buildCdkDeployArgs,
  buildCdkDestroyArgs,
  deployContext,
  parseDeployFlags,
  stackFromCdkOutputs,
} from '../../src/cli/deploy-args.js';
import { FfmpegError, InputError, SegmentCheckError, TaskBusyError, UsageError } from '../../src/core/errors.js';
import { lambdaVcpus, threadSpeedup, type JobProjection } from '../../src/core/job-projection.js';
import type { TaskRecord } from '../../src/core/types.js';
import { asWorkflowError, parseEncodeStepInput, parseJobStepInput, parseMarkFailedStepInput } from '../../src/lambda/lambda-entry.js';
import { parseAwsSettings } from '../../src/runtime/aws/aws-runtime.js';
import { DEFAULT_DEPLOYMENT, regionOfArn } from '../../src/runtime/aws/aws-stack-config.js';
import { fullJob } from '../contract/ledger-fixtures.js';

const task = (kind: TaskRecord['kind'], index: number, over: Partial<TaskRecord> = {}): TaskRecord => ({
  jobId: 'j',
  kind,
  index,
  key: `j/${kind[0]}${index}`,
  startFrame: 0,
  frameCount: 1,
  startTime: 0,
  endTime: 1,
  status: 'done',
  attempts: 1,
  outputKey: 'k',
  wallMs: 1000,
  sizeBytes: 100,
  ...over,
});

describe('deploy arguments', () => {
  it('builds the context from the given flags only, storage and stack name always, and `cdk deploy` over the assembly', () => {
    assert.deepEqual(deployContext(parseDeployFlags({})), { stackName: 'Shardcast', storage: 's3' });
    assert.deepEqual(buildCdkDeployArgs(parseDeployFlags({}), '/asm', '/tmp/o.json'), [
      'deploy',
      'Shardcast',
      '--app',
      '/asm',
      '--require-approval',
      'never',
      '--outputs-file',
      '/tmp/o.json',
    ]);
    const opts = parseDeployFlags({
      storage: 'efs',
      memory: '4096',
      architecture: 'arm64',
      timeout: '600',
      ephemeral: '8192',
      concurrency: '200',
      retries: '3',
      ttlHours: '12',
      stackName: 'Media-2',
    });
    assert.deepEqual(buildCdkDeployArgs(opts, '/asm', 'out.json').slice(0, 2), ['deploy', 'Media-2']);
    assert.deepEqual(deployContext(opts), {
      stackName: 'Media-2',
      storage: 'efs',
      architecture: 'arm64',
      memoryMb: '4096',
      timeoutSeconds: '600',
      ephemeralMb: '8192',
      mapMaxConcurrency: '200',
      taskRetryAttempts: '3',
      ledgerTtlHours: '12',
    });
    assert.deepEqual(buildCdkDestroyArgs('Media-2', '/asm'), ['destroy', 'Media-2', '--app', '/asm', '--force']);
  });

  it('rejects out-of-range flags with the flag named', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ memory: '64' }, /--memory must be from 128 to 10240/],
      [{ timeout: '901' }, /--timeout/],
      [{ storage: 'nfs' }, /--storage must be s3 or efs/],
      [{ memory: '2GB' }, /--memory must be a whole number/],
      [{ stackName: '1stack' }, /--stack-name/],
    ];
    for (const [flags, re] of cases)
      assert.throws(
        () => parseDeployFlags(flags),
        (e: unknown) => e instanceof UsageError && re.test(e.message),
        JSON.stringify(flags),
      );
  });

  it('reads the stack outputs into the saved stack record', () => {
    const opts = parseDeployFlags({ storage: 'efs', memory: '4096' });
    const outputs = {
      Shardcast: { BucketName: 'b-1', TableName: 't-1', StateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:x', Storage: 'efs' },
    };
    const stack = stackFromCdkOutputs(outputs, opts);
    assert.deepEqual(stack, {
      stackName: 'Shardcast',
      bucket: 'b-1',
      table: 't-1',
      stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:x',
      storage: 'efs',
      architecture: 'x86_64',
      memoryMb: 4096,
      ephemeralMb: 10_240,
      timeoutSeconds: 900,
      mapMaxConcurrency: 40,
      ledgerTtlHours: 48,
    });
    assert.equal(regionOfArn(stack.stateMachineArn), 'eu-west-1');
    assert.throws(() => stackFromCdkOutputs({ Other: {} }, opts), /no BucketName output for stack Shardcast/);
  });
});

describe('cost of a job', () => {
  it('measures every task, counting attempts, with video times scaled', () => {
    const job = fullJob('job-cost');
    const tasks = [task('video', 0), task('video', 1, { attempts: 3, wallMs: 2000 }), task('audio', 0, { wallMs: 500, sizeBytes: 7 })];
    const m = measuredJobOf(job, tasks, 0.5);
    assert.deepEqual(m.video, [
      { wallMs: 500, attempts: 1, sizeBytes: 100 },
      { wallMs: 1000, attempts: 3, sizeBytes: 100 },
    ]);
    assert.deepEqual(m.audio, { wallMs: 500, attempts: 1, sizeBytes: 7 });
    assert.deepEqual([m.analyzeMs, m.mergeMs, m.finalizeMs, m.totalMs], [120, 300, 80, 5500]);
    assert.equal(m.sourceBytes, 123_456);
    assert.equal(m.outputBytes, 9_876);
    assert.equal(measuredJobOf(job, [task('video', 0)]).audio, undefined);
  });

  it('scales local segment times by thread speed-up, and leaves AWS-measured times alone', () => {
    const local = { ...fullJob('job-local'), backend: 'local' as const, options: { ...fullJob('x').options, threadsPerWorker: 2 } };
    assert.equal(lambdaTaskScale(local, 3008), threadSpeedup(2) / threadSpeedup(lambdaVcpus(3008)));
    assert.ok(lambdaTaskScale(local, 10_240) < lambdaTaskScale(local, 1769), 'more memory, more vCPUs, shorter segments');
    assert.equal(lambdaTaskScale({ ...local, backend: 'aws' }, 3008), 1);
  });

  it('scales each segment by the threads it ran with: tail segments ran with more', () => {
    const base = fullJob('job-tail');
    const job = { ...base, backend: 'local' as const, options: { ...base.options, workers: 1, threadsPerWorker: 1, tailThreads: 4 } };
    const scaleOf = lambdaTaskScaleOf(job, 3008);
    // encodeOrder [1, 0] with one worker: segment 0 is last, so it ran with the 4 tail threads.
    assert.equal(scaleOf(task('video', 0)), threadSpeedup(4) / threadSpeedup(lambdaVcpus(3008)));
    assert.equal(scaleOf(task('video', 1)), threadSpeedup(1) / threadSpeedup(lambdaVcpus(3008)));
    const m = measuredJobOf(job, [task('video', 0), task('video', 1)], scaleOf);
    assert.ok(m.video[0]!.wallMs > m.video[1]!.wallMs, 'the segment measured with more threads is scaled up more');
  });

  it('prices a deployment from flags, else the stack, else the CDK defaults', () => {
    assert.deepEqual(deploymentOf({}, undefined), DEFAULT_DEPLOYMENT);
    const stack = {
      stackName: 'S',
      bucket: 'bbb',
      table: 'ttt',
      stateMachineArn: 'arn:x',
      storage: 'efs' as const,
      architecture: 'arm64' as const,
      memoryMb: 2048,
      ephemeralMb: 1024,
      timeoutSeconds: 600,
      mapMaxConcurrency: 100,
      ledgerTtlHours: 48,
    };
    assert.deepEqual(deploymentOf({ memory: '5000' }, stack), {
      storage: 'efs',
      architecture: 'arm64',
      memoryMb: 5000,
      ephemeralMb: 1024,
      timeoutSeconds: 600,
      mapMaxConcurrency: 100,
    });
    assert.throws(() => deploymentOf({ memory: '20000' }, undefined), /--memory must be a number from 128 to 10240/);
  });

  it('writes small dollar amounts with their significant digits', () => {
    const cases: Array<[number, string]> = [
      [0, '$0'],
      [12.345, '$12.35'],
      [0.0412, '$0.0412'],
      [0.000031, '$0.0000310'],
      [1, '$1.00'],
    ];
    for (const [n, s] of cases) assert.equal(usd(n), s, String(n));
  });
});

describe('estimate', () => {
  it('turns a calibration encode into speed and output rate', () => {
    assert.deepEqual(calibrationOf({ wallMs: 6000, sourceSeconds: 4, outputBytes: 2_000_000, threads: 2 }), {
      encodeSecondsPerSourceSecond: 1.5,
      threads: 2,
      outputBytesPerSecond: 500_000,
    });
  });

  it('warns when a segment would take more than half the function timeout', () => {
    const p = (s: number) => ({ segmentWallSeconds: s }) as JobProjection;
    assert.equal(segmentWarning(p(450), 900), undefined);
    assert.match(segmentWarning(p(451), 900)!, /about 451 s, more than half the 900 s function timeout/);
  });
});

describe('Lambda handler edges', () => {
  it('parses payloads and rejects bad ones as UsageError (not retried)', () => {
    assert.deepEqual(parseJobStepInput({ jobId: 'abc123def456', extra: 1 }, 'merge'), { jobId: 'abc123def456' });
    assert.deepEqual(parseEncodeStepInput({ jobId: 'abc123def456', kind: 'video', index: 3 }, 'e'), {
      jobId: 'abc123def456',
      kind: 'video',
      index: 3,
    });
    assert.deepEqual(parseMarkFailedStepInput({ jobId: 'abc123def456' }), { jobId: 'abc123def456', error: 'Error', cause: '' });
    for (const bad of [
      {},
      { jobId: '../x' },
      { jobId: 'abc123def456', kind: 'video', index: -1 },
      { jobId: 'abc123def456', kind: 'subs', index: 0 },
    ]) {
      assert.throws(() => parseEncodeStepInput(bad, 'e'), UsageError, JSON.stringify(bad));
    }
  });

  it('names retryable failures RetryableTaskError, a busy refusal TaskBusyError, and keeps the names of the others', () => {
    const ff = new FfmpegError('segment 2: ffmpeg exited with 1', { tool: 'ffmpeg', exitCode: 1, stderrTail: '' });
    const cases: Array<[unknown, string, string]> = [
      [ff, 'RetryableTaskError', 'segment 2: ffmpeg exited with 1'],
      [new SegmentCheckError('has 29 frames, expected 30', 'k'), 'RetryableTaskError', 'has 29 frames, expected 30'],
      [new Error('socket hang up\nat x'), 'RetryableTaskError', 'socket hang up | at x'],
      [new InputError('not a readable media file'), 'InputError', 'not a readable media file'],
      [new UsageError('bad input'), 'UsageError', 'bad input'],
      // What the workflow records keeps no presigned URL's credentials.
      [
        new InputError('https://b.s3.amazonaws.com/in.mp4?X-Amz-Credential=AKIA&X-Amz-Signature=abc: Server returned 403 Forbidden'),
        'InputError',
        'https://b.s3.amazonaws.com/in.mp4?(presigned): Server returned 403 Forbidden',
      ],
      // Its own name, so its own retrier waits out the invocation that holds the task.
      [
        new TaskBusyError('v00002 is being encoded by lambda:a (heartbeat 3 s ago)'),
        'TaskBusyError',
        'v00002 is being encoded by lambda:a (heartbeat 3 s ago)',
      ],
    ];
    for (const [err, name, message] of cases) {
      const out = asWorkflowError(err);
      assert.equal(out.name, name);
      assert.equal(out.message, message);
    }
  });

  it('reads its settings from the environment, with defaults, and names what is missing', () => {
    assert.deepEqual(parseAwsSettings({ SHARDCAST_TABLE: 'ledger', SHARDCAST_BUCKET: 'media' }), {
      tableName: 'ledger',
      bucket: 'media',
      storage: 's3',
      efsRoot: '/mnt/data',
      tempPrefix: 'tmp/',
      ledgerTtlHours: 48,
      functionTimeoutSeconds: 900,
    });
    assert.equal(
      parseAwsSettings({ SHARDCAST_TABLE: 'ledger', SHARDCAST_BUCKET: 'media', SHARDCAST_STORAGE: 'efs', SHARDCAST_LEDGER_TTL_HOURS: '6' })
        .ledgerTtlHours,
      6,
    );
    assert.equal(
      parseAwsSettings({ SHARDCAST_TABLE: 'ledger', SHARDCAST_BUCKET: 'media', SHARDCAST_FUNCTION_TIMEOUT_SECONDS: '300' })
        .functionTimeoutSeconds,
      300,
    );
    assert.throws(() => parseAwsSettings({ SHARDCAST_BUCKET: 'media' }), /SHARDCAST_TABLE/);
    assert.throws(() => parseAwsSettings({ SHARDCAST_TABLE: 'ledger', SHARDCAST_BUCKET: 'media', SHARDCAST_STORAGE: 'nfs' }), UsageError);
  });
});

describe('the CDK CLI run by deploy', () => {
  it("turns BuildKit's default attestations off, keeping the rest of the environment (regression: an OCI index Lambda refuses)", () => {
    const env = cdkEnv({ PATH: '/usr/bin', AWS_PROFILE: 'p' });
    assert.equal(env.BUILDX_NO_DEFAULT_ATTESTATIONS, '1');
    assert.equal(env.PATH, '/usr/bin');
    assert.equal(env.AWS_PROFILE, 'p');
  });
});

describe('deploy: concurrency the account can give', () => {
  it('--concurrency 0 is refused (it meant no limit: 10,000 child executions); --reserved-concurrency reaches the stack', () => {
    assert.throws(
      () => parseDeployFlags({ concurrency: '0' }),
      (e: Error) => e instanceof UsageError && /--concurrency/.test(e.message),
    );
    assert.equal(deployContext(parseDeployFlags({ reservedConcurrency: '50' })).reservedConcurrency, '50');
    assert.throws(() => parseDeployFlags({ reservedConcurrency: '0' }), /--reserved-concurrency/);
    // Records expire at a fixed time from a job's creation: not so soon that a run outlives them.
    assert.throws(() => parseDeployFlags({ ttlHours: '1' }), /--ttl-hours/);
  });
  it('a reservation that would leave the account under 100 unreserved is refused in one line', () => {
    assert.equal(reservationRefusal(50, 1000), undefined);
    assert.equal(reservationRefusal(50, undefined), undefined, 'unreadable: CloudFormation decides');
    assert.equal(
      reservationRefusal(50, 10),
      '--reserved-concurrency 50: the account has 10 unreserved concurrent executions and AWS keeps 100 of them unreserved, so at most 0 can be reserved (ask AWS for a higher quota)',
    );
    assert.match(reservationRefusal(950, 1000)!, /at most 900 can be reserved/);
    // A redeploy with the same reservation: the account's unreserved figure already leaves it out.
    assert.equal(reservationRefusal(500, 500, 500), undefined);
    assert.match(reservationRefusal(950, 500, 500)!, /has 1000 unreserved concurrent executions \(with the 500 this stack reserves now\)/);
  });
});

describe('deploy: memory a new account may not give', () => {
  it('above 3008 MB a note names the quota and the fallback; at or below, nothing', () => {
    assert.equal(memoryNote(undefined), undefined);
    assert.equal(memoryNote(3008), undefined);
    assert.match(
      memoryNote(10240)!,
      /^note: --memory 10240: new accounts may have functions of at most 3008 MB .* deploy with --memory 3008$/,
    );
  });
});
