/**
 * The CDK app synthesized offline (storage=s3 and storage=efs, plus the Distributed Map variant), checked with
 * aws-cdk-lib/assertions. The container image is staged, not built (no Docker engine here).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseInfraConfig } from '../../src/infra/infra-config.js';
import { LEDGER_STEP_ACTIONS, ShardcastStack, STEP_FUNCTIONS } from '../../src/infra/shardcast-stack.js';
import { ledgerCreateTableInput } from '../../src/adapters/aws/ledger-table.js';

function synth(context: Record<string, unknown>): Template {
  const app = new App();
  const stack = new ShardcastStack(app, 'Shardcast', { config: parseInfraConfig(context) });
  return Template.fromStack(stack);
}

/** The state machine definition, with CloudFormation references replaced by "<ref>". */
function definitionOf(template: Template): any {
  const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as any;
  const body = machine.Properties.DefinitionString;
  const text =
    typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : '<ref>')).join('');
  return JSON.parse(text);
}

/** Every Allow statement of every IAM policy in the template. */
function allowStatements(template: Template): Array<{ Action: string | string[]; Resource: unknown }> {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s: any) => s.Effect === 'Allow');
}
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

const s3Template = synth({ memoryMb: 4096, timeoutSeconds: 600, ephemeralMb: 8192, logRetentionDays: 30, mapMaxConcurrency: 20 });
const efsTemplate = synth({ storage: 'efs' });

describe('CDK stack (storage=s3)', () => {
  const t = s3Template;

  it('has a private, encrypted bucket that denies non-TLS access and expires temp objects', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'tmp/', ExpirationInDays: 2, Status: 'Enabled' })]) },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('aborts incomplete multipart uploads under every prefix (regression: tmp/ only, so a cut-off output upload was billed for ever)', () => {
    const buckets = Object.values(t.findResources('AWS::S3::Bucket')) as Array<{ Properties: any }>;
    assert.equal(buckets.length, 1);
    const rules = buckets[0]!.Properties.LifecycleConfiguration.Rules as Array<Record<string, any>>;
    const abort = rules.filter((r) => r.AbortIncompleteMultipartUpload);
    assert.equal(abort.length, 1, JSON.stringify(rules));
    assert.equal(abort[0]!.Prefix, undefined, 'no prefix: the whole bucket');
    assert.equal(abort[0]!.Filter, undefined, 'no filter: the whole bucket');
    assert.equal(abort[0]!.AbortIncompleteMultipartUpload.DaysAfterInitiation, 1);
    assert.equal(abort[0]!.Status, 'Enabled');
  });

  it('has an on-demand ledger table with TTL on `ttl`, keyed like the table the tests create', () => {
    const local = ledgerCreateTableInput('x');
    const sortBy = <T extends { AttributeName?: string }>(a: T[]) =>
      [...a].sort((x, y) => String(x.AttributeName).localeCompare(String(y.AttributeName)));
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    const table = Object.values(t.findResources('AWS::DynamoDB::Table'))[0] as any;
    const p = table.Properties;
    assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(p.TimeToLiveSpecification, { AttributeName: 'ttl', Enabled: true });
    assert.deepEqual(p.KeySchema, local.KeySchema);
    assert.deepEqual(sortBy(p.AttributeDefinitions), sortBy(local.AttributeDefinitions!));
    const gsi = local.GlobalSecondaryIndexes![0]!;
    assert.deepEqual(p.GlobalSecondaryIndexes, [{ IndexName: gsi.IndexName, KeySchema: gsi.KeySchema, Projection: gsi.Projection }]);
  });

  it('runs every step from one container image with the configured memory, timeout and /tmp', () => {
    const fns = Object.values(t.findResources('AWS::Lambda::Function')) as any[];
    assert.equal(fns.length, STEP_FUNCTIONS.length);
    const images = new Set(fns.map((f) => JSON.stringify(f.Properties.Code.ImageUri)));
    assert.equal(images.size, 1, 'one image');
    const commands = fns.map((f) => f.Properties.ImageConfig.Command[0]).sort();
    assert.deepEqual(commands, STEP_FUNCTIONS.map((n) => `dist/lambda/${n}.handler`).sort());
    // Admit, MarkFailed and Notify write a few records (512 MB, 60 s).
    for (const f of fns.filter((f) => !/admit|mark-failed|notify/.test(f.Properties.ImageConfig.Command[0]))) {
      assert.equal(f.Properties.PackageType, 'Image');
      assert.equal(f.Properties.MemorySize, 4096);
      assert.equal(f.Properties.Timeout, 600);
      // /tmp by what each function writes: Merge the whole output, an encode one segment (regression: every
      // function got the configured size).
      const cmd = f.Properties.ImageConfig.Command[0] as string;
      assert.deepEqual(
        f.Properties.EphemeralStorage,
        { Size: cmd.includes('/merge.') ? 8192 : cmd.includes('/encode-') ? 2048 : 512 },
        cmd,
      );
      assert.ok(f.Properties.LoggingConfig?.LogGroup, 'logs to its own log group');
      assert.equal(f.Properties.VpcConfig, undefined, 'no VPC with S3 storage');
    }
    t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    t.resourceCountIs('AWS::Logs::LogGroup', STEP_FUNCTIONS.length + 1);
  });

  it('builds the image from a Dockerfile on the Lambda Node 22 base with a static ffmpeg', () => {
    const dockerfile = readFileSync(new URL('../../infra/docker/Dockerfile', import.meta.url), 'utf8');
    assert.match(dockerfile, /public\.ecr\.aws\/lambda\/nodejs:22/);
    assert.match(dockerfile, /ffmpeg/);
    assert.match(dockerfile, /FFMPEG_PATH=/);
  });

  it("pins the image's ffmpeg to the Debian 12 build the tests run, by version, snapshot and checksum (regression: BtbN's latest 7.1, unchecked)", () => {
    const dockerfile = readFileSync(new URL('../../infra/docker/Dockerfile', import.meta.url), 'utf8');
    const arg = (name: string) => new RegExp(`^ARG ${name}=(\\S*)$`, 'm').exec(dockerfile)?.[1];
    const version = arg('FFMPEG_DEB_VERSION');
    assert.match(version ?? '', /^7:5\.1\.\d+-0\+deb12u\d+$/, 'a Debian 12 ffmpeg 5.1 package version');
    assert.match(arg('FFMPEG_DEB_SHA256_AMD64') ?? '', /^[0-9a-f]{64}$/);
    assert.match(arg('DEBIAN_SNAPSHOT') ?? '', /^\d{8}T\d{6}Z$/, 'a fixed snapshot of the archive');
    assert.match(dockerfile, /sha256sum -c/);
    assert.match(dockerfile, /grep -F "ffmpeg version \$\{FFMPEG_DEB_VERSION#\*:\} "/, 'the build checks the version it got');
    assert.doesNotMatch(dockerfile, /latest|BtbN|^# syntax=/m);
    // The tests' ffmpeg is the same upstream release (CI installs Debian 12's ffmpeg).
    const here = /^ffmpeg version (\S+)/.exec(spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout)?.[1] ?? '';
    assert.equal(
      here.split('.').slice(0, 2).join('.'),
      version!.replace(/^\d+:/, '').split('.').slice(0, 2).join('.'),
      `tests run ffmpeg ${here}`,
    );
  });

  it('has a logged state machine running the workflow file with an inline Map', () => {
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }] }),
    });
    const def = definitionOf(t);
    const map = def.States.EncodeAll.Branches[0].States.EncodeSegments;
    assert.equal(map.MaxConcurrencyPath, '$.analyze.concurrency');
    assert.deepEqual(map.ItemProcessor.ProcessorConfig, { Mode: 'INLINE' });
    assert.equal(map.ItemProcessor.States.EncodeSegment.Resource, '<ref>');
    assert.equal(def.States.Analyze.TimeoutSeconds, 660);
  });

  it('scopes IAM: no wildcard actions on *, functions reach only the bucket and the table, the workflow only its functions', () => {
    for (const s of allowStatements(t)) {
      const actions = asList(s.Action);
      assert.ok(!actions.includes('*'), `Action "*" in ${JSON.stringify(s)}`);
      if (asList(s.Resource).includes('*')) {
        assert.ok(
          actions.every((a) => !a.includes('*')),
          `wildcard action on "*": ${JSON.stringify(s)}`,
        );
      }
    }
    const text = JSON.stringify(allowStatements(t));
    assert.match(text, /"Media[0-9A-F]+","Arn"/, 'bucket grants');
    assert.match(text, /"Ledger[0-9A-F]+","Arn"/, 'table grants');
    const invoke = allowStatements(t).filter((s) => asList(s.Action).includes('lambda:InvokeFunction'));
    assert.ok(invoke.length > 0);
    for (const s of invoke) {
      for (const r of asList(s.Resource)) assert.notEqual(r, '*', 'invoke is scoped to the functions');
    }
    t.resourceCountIs('AWS::EC2::VPC', 0);
    t.resourceCountIs('AWS::EFS::FileSystem', 0);
  });

  it('lets only Notify put events, on the default bus, and read the webhook secret, one SSM parameter', () => {
    const byAction = (a: string) => allowStatements(t).filter((s) => asList(s.Action).includes(a));
    const [put, ...morePut] = byAction('events:PutEvents');
    assert.ok(put && morePut.length === 0, 'one statement puts events');
    assert.match(JSON.stringify(put.Resource), /event-bus\/default/);
    const [read, ...moreRead] = byAction('ssm:GetParameter');
    assert.ok(read && moreRead.length === 0, 'one statement reads a parameter');
    assert.match(JSON.stringify(read.Resource), /parameter\/shardcast\/webhook-secret/);
    const notify = Object.values(t.findResources('AWS::Lambda::Function')).find((f: any) =>
      f.Properties.ImageConfig.Command[0].includes('/notify.'),
    ) as any;
    assert.equal(notify.Properties.Environment.Variables.SHARDCAST_WEBHOOK_SECRET_PARAMETER, '/shardcast/webhook-secret');
    assert.equal(notify.Properties.MemorySize, 512);
    const definition = JSON.stringify(t.findResources('AWS::StepFunctions::StateMachine'));
    for (const state of ['NotifyStarted', 'NotifyDone', 'NotifyFailed']) assert.ok(definition.includes(state), state);
  });

  it('gives the functions only the ledger calls they make, on the table alone (regression: full table access, Scan and DeleteItem included)', () => {
    const dynamo = allowStatements(t).filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')));
    const actions = new Set(dynamo.flatMap((s) => asList(s.Action)));
    assert.deepEqual([...actions].sort(), [...LEDGER_STEP_ACTIONS, 'dynamodb:BatchWriteItem'].sort());
    for (const s of dynamo) {
      assert.equal(asList(s.Resource).length, 1, 'the table, not its index');
      assert.match(JSON.stringify(s.Resource), /"Ledger[0-9A-F]+","Arn"/);
    }
    const batch = dynamo.filter((s) => asList(s.Action).includes('dynamodb:BatchWriteItem'));
    assert.equal(batch.length, 1, 'only Analyze writes tasks in batches');
  });
});

describe('CDK stack (storage=efs)', () => {
  const t = efsTemplate;

  it('mounts an EFS access point rooted at /data at /mnt/data in every function, inside a VPC', () => {
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.hasResourceProperties('AWS::EFS::FileSystem', { Encrypted: true });
    t.hasResourceProperties('AWS::EFS::AccessPoint', { RootDirectory: Match.objectLike({ Path: '/data' }) });
    const fns = Object.values(t.findResources('AWS::Lambda::Function')) as any[];
    assert.equal(fns.length, STEP_FUNCTIONS.length);
    for (const f of fns) {
      assert.equal(f.Properties.FileSystemConfigs.length, 1);
      assert.equal(f.Properties.FileSystemConfigs[0].LocalMountPath, '/mnt/data');
      assert.match(JSON.stringify(f.Properties.FileSystemConfigs[0].Arn), /access-point\/.*ScratchData/);
      assert.ok(f.Properties.VpcConfig?.SubnetIds, 'in the VPC');
      assert.equal(f.Properties.Environment.Variables.SHARDCAST_EFS_ROOT, '/mnt/data');
      assert.equal(f.Properties.Environment.Variables.SHARDCAST_STORAGE, 'efs');
    }
  });

  it('has gateway endpoints for S3 and DynamoDB, and no Step Functions endpoint (no function calls it: $14.60 a month for nothing)', () => {
    const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint')) as any[];
    const kinds = endpoints.map((e) => `${e.Properties.VpcEndpointType}:${JSON.stringify(e.Properties.ServiceName)}`).sort();
    assert.equal(endpoints.length, 2, kinds.join(' '));
    assert.ok(
      kinds.some((k) => k.startsWith('Gateway:') && k.includes('.s3')),
      kinds.join(' '),
    );
    assert.ok(
      kinds.some((k) => k.startsWith('Gateway:') && k.includes('.dynamodb')),
      kinds.join(' '),
    );
    assert.ok(!kinds.some((k) => k.startsWith('Interface:')), kinds.join(' '));
  });

  it('lets only Finalize delete, and only temp objects (regression: every function could delete the whole bucket)', () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy')) as any[];
    const deleting = policies.filter((p) =>
      (p.Properties.PolicyDocument.Statement as any[]).some((st) => asList(st.Action).some((a: string) => a.startsWith('s3:DeleteObject'))),
    );
    assert.equal(deleting.length, 1, 'one policy grants deletes');
    assert.match(JSON.stringify(deleting[0].Properties.Roles), /finalize/i);
    const st = (deleting[0].Properties.PolicyDocument.Statement as any[]).find((x) =>
      asList(x.Action).some((a: string) => a.startsWith('s3:DeleteObject')),
    );
    assert.match(JSON.stringify(st.Resource), /\/tmp\/\*"/);
  });

  it('keeps IAM free of wildcard actions on *', () => {
    for (const s of allowStatements(t)) {
      if (asList(s.Resource).includes('*')) {
        assert.ok(
          asList(s.Action).every((a) => !a.includes('*')),
          `wildcard action on "*": ${JSON.stringify(s)}`,
        );
      }
    }
  });
});

describe('CDK stack (Distributed Map)', () => {
  it('switches to a Distributed Map above 40 segments at once and lets the workflow start its child executions', () => {
    const t = synth({ mapMaxConcurrency: 200 });
    const map = definitionOf(t).States.EncodeAll.Branches[0].States.EncodeSegments;
    assert.deepEqual(map.ItemProcessor.ProcessorConfig, { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    assert.equal(map.MaxConcurrencyPath, '$.analyze.concurrency');
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SHARDCAST_MAP_MAX_CONCURRENCY: '200' }) },
    });
    const start = allowStatements(t).filter((s) => asList(s.Action).includes('states:StartExecution'));
    assert.equal(start.length, 1);
    assert.match(JSON.stringify(start[0]!.Resource), /stateMachine:Shardcast-workflow/);
  });

  it('rejects invalid context', () => {
    assert.throws(() => parseInfraConfig({ storage: 'nfs' }), /storage/);
    assert.throws(() => parseInfraConfig({ logRetentionDays: 10 }), /logRetentionDays/);
    assert.equal(parseInfraConfig({ memoryMb: '2048' }).memoryMb, 2048);
    assert.equal(parseInfraConfig({ mapMaxConcurrency: '200', distributedMap: 'false' }).mapMode, 'inline');
    assert.equal(parseInfraConfig({ distributedMap: 'true' }).mapMode, 'distributed');
    assert.equal(parseInfraConfig({}).mapMode, 'auto');
    assert.equal(parseInfraConfig({ mapMaxConcurrency: '41' }).mapMode, 'distributed');
    // Regression: 0 meant no limit, 10,000 child executions in Distributed mode.
    assert.throws(() => parseInfraConfig({ mapMaxConcurrency: '0' }), /mapMaxConcurrency/);
  });

  it('--reserved-concurrency reserves it for the encode function only; Analyze may read the account and that function', () => {
    const t = synth({ reservedConcurrency: 50 });
    const fns = Object.values(t.findResources('AWS::Lambda::Function')) as Array<{ Properties: any }>;
    const reserved = fns.filter((f) => f.Properties.ReservedConcurrentExecutions !== undefined);
    assert.equal(reserved.length, 1);
    assert.equal(reserved[0]!.Properties.ReservedConcurrentExecutions, 50);
    assert.match(reserved[0]!.Properties.Description, /encode-segment/);
    const analyze = fns.find((f) => /analyze/.test(f.Properties.Description))!;
    assert.ok(analyze.Properties.Environment.Variables.SHARDCAST_ENCODE_FUNCTION, 'Analyze knows the encode function');
    const actions = allowStatements(t).flatMap((s) => asList(s.Action));
    assert.ok(actions.includes('lambda:GetAccountSettings') && actions.includes('lambda:GetFunctionConcurrency'));
    const none = Object.values(synth({}).findResources('AWS::Lambda::Function')) as Array<{ Properties: any }>;
    assert.ok(
      none.every((f) => f.Properties.ReservedConcurrentExecutions === undefined),
      'none reserved by default (ADR 0010)',
    );
  });
});

describe('CDK stack (uploads start jobs: --watch-prefix)', () => {
  const templates = JSON.stringify({ version: 1, templates: { tiny: { output: 'mp4', maxHeight: 90 } } });
  const t = synth({ watchPrefix: 'in/', templates });

  it('sends the bucket’s events to EventBridge and starts the state machine on Object Created under the prefix', () => {
    t.hasResourceProperties('Custom::S3BucketNotifications', { NotificationConfiguration: { EventBridgeConfiguration: {} } });
    const [rule, ...others] = (Object.values(t.findResources('AWS::Events::Rule')) as any[]).filter((r) => r.Properties.EventPattern);
    assert.equal(others.length, 0);
    assert.deepEqual(rule.Properties.EventPattern.source, ['aws.s3']);
    assert.deepEqual(rule.Properties.EventPattern['detail-type'], ['Object Created']);
    assert.deepEqual(rule.Properties.EventPattern.detail.object, { key: [{ prefix: 'in/' }] });
    const [target] = rule.Properties.Targets;
    assert.match(JSON.stringify(target.Arn), /Workflow/, 'the target is the state machine');
    assert.deepEqual(target.RetryPolicy, { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
    // The rule's role may start it.
    assert.ok(
      allowStatements(t).some((s) => [s.Action].flat().includes('states:StartExecution')),
      'events may start executions',
    );
    const def = definitionOf(t);
    assert.equal(def.StartAt, 'Start');
    assert.equal(def.States.Start.Choices[0].Next, 'Admit');
  });

  it('gives the Admit function the prefix and the templates, and nothing else of them', () => {
    // The step functions (the bucket-notifications custom resource has a function of its own).
    const fns = (Object.values(t.findResources('AWS::Lambda::Function')) as any[]).filter((f) => f.Properties.ImageConfig);
    assert.equal(fns.length, STEP_FUNCTIONS.length);
    const admit = fns.find((f) => f.Properties.ImageConfig.Command[0] === 'dist/lambda/admit.handler');
    assert.equal(admit.Properties.Environment.Variables.SHARDCAST_WATCH_PREFIX, 'in/');
    assert.equal(admit.Properties.Environment.Variables.SHARDCAST_TEMPLATES, templates);
    assert.equal(admit.Properties.MemorySize, 512);
    for (const f of fns.filter((x) => x !== admit)) assert.equal(f.Properties.Environment.Variables.SHARDCAST_WATCH_PREFIX, undefined);
  });

  it('has no rule and no bucket events without a prefix; a prefix without the slash is refused', () => {
    const uploadRules = (Object.values(s3Template.findResources('AWS::Events::Rule')) as any[]).filter((r) => r.Properties.EventPattern);
    assert.equal(uploadRules.length, 0);
    assert.equal(Object.keys(s3Template.findResources('Custom::S3BucketNotifications')).length, 0);
    assert.throws(() => synth({ watchPrefix: 'in' }), /watchPrefix.*ending with "\/"/);
    assert.throws(() => synth({ watchPrefix: 'out/' }), /watchPrefix.*must not overlap out\//);
  });

  it('sweeps for webhook deliveries due again every few minutes', () => {
    const rules = Object.values(s3Template.findResources('AWS::Events::Rule')) as any[];
    const sweep = rules.find((r) => r.Properties.ScheduleExpression);
    assert.equal(sweep?.Properties.ScheduleExpression, 'rate(5 minutes)');
    assert.deepEqual(JSON.parse(sweep.Properties.Targets[0].Input), { sweep: true });
    assert.match(JSON.stringify(sweep.Properties.Targets[0].Arn), /notify/);
  });
});
