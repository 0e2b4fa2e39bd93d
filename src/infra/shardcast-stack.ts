/**
 * The AWS deployment: an S3 bucket (sources, outputs, temp files under tmp/), the ledger table, one container
 * image (Node 22 + a static ffmpeg) behind a Lambda function per step, and the state machine built from
 * infra/workflow.asl.json; with a watch prefix, an EventBridge rule that starts it for each upload. With
 * `storage: 'efs'` the functions also mount an EFS access point at /mnt/data for temp files, which puts them in
 * a VPC with endpoints for S3, DynamoDB and Step Functions. Over 300 lines: the stack's resources and their
 * permissions, each beside the reason for it.
 */
import { fileURLToPath } from 'node:url';
import { Annotations, ArnFormat, CfnOutput, Duration, IgnoreMode, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import type { Construct } from 'constructs';
import { LEDGER_TABLE } from '../adapters/aws/ledger-table.js';
import { buildWorkflowDefinition } from '../adapters/aws/workflow-definition.js';
import { EFS_MOUNT_PATH, TEMP_PREFIX, type InfraConfig } from './infra-config.js';
import { ephemeralMbOf } from '../core/cost-model.js';
import { SWEEP_INPUT } from '../core/webhook.js';

/** How often the notify function sweeps for deliveries due again (a receiver that was down). */
export const NOTIFY_SWEEP_MINUTES = 5;

export interface ShardcastStackProps extends StackProps {
  config: InfraConfig;
}

/** What every step does on the ledger table: read its job and tasks, write their status, append events. */
export const LEDGER_STEP_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

/** The workflow steps, each a function running `dist/lambda/<name>.js`'s `handler`. */
export const STEP_FUNCTIONS = ['admit', 'analyze', 'encode-segment', 'encode-audio', 'merge', 'finalize', 'mark-failed', 'notify'] as const;
export type StepName = (typeof STEP_FUNCTIONS)[number];
/** Steps that only read and write records (and POST webhooks): a small function with a short timeout. */
const SMALL_STEPS: ReadonlySet<StepName> = new Set(['admit', 'mark-failed', 'notify']);

/** The package root (a checkout or the installed npm package): src/infra/ and dist/infra/ sit two levels below. */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * Only what the image build needs is sent as its context (dockerignore syntax, allow-list): the compiled code
 * the handlers run (dist/, less the CLI, server, dashboard and the CDK app), the image's own dependency list
 * and lockfile (infra/docker/runtime), the workflow file and the prices. All of it ships in the npm package.
 */
export const IMAGE_CONTEXT = [
  '*',
  '!package.json',
  '!prices',
  '!infra',
  'infra/*',
  '!infra/workflow.asl.json',
  '!infra/docker',
  '!dist',
  'dist/*',
  ...['lambda', 'app', 'core', 'ports', 'adapters', 'runtime'].map((d) => `!dist/${d}`),
  'dist/**/*.d.ts',
];

interface EfsMount {
  vpc: ec2.Vpc;
  accessPoint: efs.AccessPoint;
  securityGroup: ec2.SecurityGroup;
}

export class ShardcastStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly functions: Record<StepName, lambda.DockerImageFunction>;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ShardcastStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.bucket = new s3.Bucket(this, 'Media', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Object events go to EventBridge where uploads start jobs (deploy --watch-prefix).
      ...(config.watchPrefix ? { eventBridgeEnabled: true } : {}),
      lifecycleRules: [
        { id: 'expire-temp', prefix: TEMP_PREFIX, expiration: Duration.days(config.tempExpirationDays) },
        // Every prefix: an output upload cut off by a Merge timeout, or a CLI upload killed mid-way, leaves parts
        // that are billed until aborted (the rule covered tmp/ only).
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.table = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: LEDGER_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: LEDGER_TABLE.ttlAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: LEDGER_TABLE.jobsIndex.name,
      partitionKey: { name: LEDGER_TABLE.jobsIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_TABLE.jobsIndex.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...LEDGER_TABLE.jobsIndex.projected],
    });

    const efsMount = config.storage === 'efs' ? this.makeEfs() : undefined;
    this.functions = this.makeFunctions(config, efsMount);
    this.stateMachine = this.makeStateMachine(config);
    if (config.watchPrefix) this.watchUploads(config.watchPrefix);

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'Storage', { value: config.storage });
  }

  /** A VPC without NAT (isolated subnets reach AWS through endpoints) and an EFS access point at /data. */
  private makeEfs(): EfsMount {
    const isolated = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'functions', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
    });
    vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [isolated] });
    vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [isolated] });
    // No Step Functions endpoint: no function calls Step Functions (the CLI starts executions from outside);
    // an interface endpoint would cost about $14.60 a month for nothing.
    const fileSystem = new efs.FileSystem(this, 'Scratch', {
      vpc,
      vpcSubnets: isolated,
      encrypted: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const accessPoint = fileSystem.addAccessPoint('Data', {
      path: '/data',
      createAcl: { ownerUid: '1001', ownerGid: '1001', permissions: '750' },
      posixUser: { uid: '1001', gid: '1001' },
    });
    // One security group for all functions: egress goes only where the isolated subnets lead (the endpoints, EFS).
    const securityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', { vpc, allowAllOutbound: true });
    Annotations.of(securityGroup).acknowledgeWarning('@aws-cdk/aws-ec2:ipv4IgnoreEgressRule', 'all outbound is allowed');
    return { vpc, accessPoint, securityGroup };
  }

  private makeFunctions(config: InfraConfig, efsMount: EfsMount | undefined): Record<StepName, lambda.DockerImageFunction> {
    const arm = config.architecture === 'arm64';
    const environment: Record<string, string> = {
      SHARDCAST_BUCKET: this.bucket.bucketName,
      SHARDCAST_TABLE: this.table.tableName,
      SHARDCAST_TEMP_PREFIX: TEMP_PREFIX,
      SHARDCAST_STORAGE: config.storage,
      SHARDCAST_LEDGER_TTL_HOURS: String(config.ledgerTtlHours),
      SHARDCAST_FUNCTION_TIMEOUT_SECONDS: String(config.timeoutSeconds),
      // The most segments an execution encodes at once; Analyze caps it by the account's free concurrency.
      SHARDCAST_MAP_MAX_CONCURRENCY: String(config.mapMaxConcurrency),
      ...(efsMount ? { SHARDCAST_EFS_ROOT: EFS_MOUNT_PATH } : {}),
    };
    const entries = STEP_FUNCTIONS.map((name) => {
      const logGroup = new logs.LogGroup(this, `${name}-logs`, {
        retention: config.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const fn = new lambda.DockerImageFunction(this, `${name}-function`, {
        description: `shardcast ${name} step`,
        code: lambda.DockerImageCode.fromImageAsset(REPO_ROOT, {
          file: 'infra/docker/Dockerfile',
          cmd: [`dist/lambda/${name}.handler`],
          platform: arm ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
          exclude: IMAGE_CONTEXT,
          ignoreMode: IgnoreMode.DOCKER,
        }),
        architecture: arm ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
        memorySize: SMALL_STEPS.has(name) ? 512 : config.memoryMb,
        timeout: Duration.seconds(SMALL_STEPS.has(name) ? 60 : config.timeoutSeconds),
        ephemeralStorageSize: Size.mebibytes(ephemeralMbOf(name, config.ephemeralMb)),
        logGroup,
        environment,
        ...(name === 'encode-segment' && config.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: config.reservedConcurrency }
          : {}),
        ...(efsMount
          ? {
              vpc: efsMount.vpc,
              vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
              securityGroups: [efsMount.securityGroup],
              filesystem: lambda.FileSystem.fromEfsAccessPoint(efsMount.accessPoint, EFS_MOUNT_PATH),
            }
          : {}),
      });
      // Read and write (put, multipart), no delete: CDK's grantReadWrite includes s3:DeleteObject*. Only
      // Finalize deletes, and only a job's temp objects.
      this.bucket.grantRead(fn);
      this.bucket.grantPut(fn);
      if (name === 'finalize') this.bucket.grantDelete(fn, `${TEMP_PREFIX}*`);
      // The ledger calls a step makes (src/adapters/aws/dynamodb-ledger.ts), on the table only: no Scan, no
      // DeleteItem, no index (only the CLI lists or deletes jobs); BatchWriteItem for Analyze's tasks.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [...LEDGER_STEP_ACTIONS, ...(name === 'analyze' ? ['dynamodb:BatchWriteItem'] : [])],
          resources: [this.table.tableArn],
        }),
      );
      return [name, fn] as const;
    });
    const fns = Object.fromEntries(entries) as Record<StepName, lambda.DockerImageFunction>;
    // Analyze reads what the account gives the encode function when a job starts (core/concurrency.ts).
    const encode = fns['encode-segment'];
    fns.analyze.addEnvironment('SHARDCAST_ENCODE_FUNCTION', encode.functionName);
    fns.analyze.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:GetAccountSettings'], resources: ['*'] }));
    fns.analyze.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:GetFunctionConcurrency'], resources: [encode.functionArn] }));
    // Notify: the webhook secret from an SSM SecureString (never in the template), events on the default bus.
    const secretParameter = config.webhookSecretParameter;
    fns.notify.addEnvironment('SHARDCAST_WEBHOOK_SECRET_PARAMETER', secretParameter);
    fns.notify.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: secretParameter.slice(1) })],
      }),
    );
    fns.notify.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
      }),
    );
    // Admit: uploads under the watched prefix (deploy --watch-prefix), with the deployed templates.
    if (config.watchPrefix) fns.admit.addEnvironment('SHARDCAST_WATCH_PREFIX', config.watchPrefix);
    if (config.templates) fns.admit.addEnvironment('SHARDCAST_TEMPLATES', config.templates);
    // Deliveries still owed after an execution's few minutes of retries: the notify function sweeps the ledger
    // on a schedule (listing jobs reads the jobs index), as `serve` does on its own machine.
    fns.notify.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.table.tableArn}/index/*`] }));
    new events.Rule(this, 'NotifySweep', {
      description: 'shardcast: send webhook deliveries that are due again (a receiver that was down)',
      schedule: events.Schedule.rate(Duration.minutes(NOTIFY_SWEEP_MINUTES)),
      targets: [new targets.LambdaFunction(fns.notify, { event: events.RuleTargetInput.fromObject(SWEEP_INPUT), retryAttempts: 0 })],
    });
    return fns;
  }

  /**
   * `deploy --watch-prefix`: S3 sends every object event of the bucket to EventBridge; a rule on the default bus
   * starts the state machine with each Object Created event under the prefix (Admit makes the job). EventBridge
   * retries a failed start for 24 h; a second delivery of one event finds its job and ends.
   */
  private watchUploads(prefix: string): void {
    const rule = new events.Rule(this, 'UploadRule', {
      description: `shardcast: an object created under s3://<bucket>/${prefix} starts a job`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.bucket.bucketName] }, object: { key: [{ prefix }] } },
      },
    });
    rule.addTarget(new targets.SfnStateMachine(this.stateMachine, { retryAttempts: 185, maxEventAge: Duration.hours(24) }));
    new CfnOutput(this, 'WatchPrefix', { value: prefix });
  }

  private makeStateMachine(config: InfraConfig): sfn.StateMachine {
    const f = this.functions;
    const definition = buildWorkflowDefinition({
      mapMode: config.mapMode,
      admitFunctionArn: f.admit.functionArn,
      analyzeFunctionArn: f.analyze.functionArn,
      encodeSegmentFunctionArn: f['encode-segment'].functionArn,
      encodeAudioFunctionArn: f['encode-audio'].functionArn,
      mergeFunctionArn: f.merge.functionArn,
      finalizeFunctionArn: f.finalize.functionArn,
      failFunctionArn: f['mark-failed'].functionArn,
      notifyFunctionArn: f.notify.functionArn,
      // Above the Lambda timeout, so a Lambda timeout surfaces as its own error rather than States.Timeout.
      taskTimeoutSeconds: config.timeoutSeconds + 60,
      taskRetryAttempts: config.taskRetryAttempts,
    });
    const stateMachineName = `${this.stackName}-workflow`;
    const logGroup = new logs.LogGroup(this, 'workflow-logs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const machine = new sfn.StateMachine(this, 'Workflow', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(this.toJsonString(definition)),
      logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    for (const fn of Object.values(f)) fn.grantInvoke(machine);
    if (config.mapMode !== 'inline') {
      // A Distributed Map starts child executions of this state machine; scoped to it by name (its ARN
      // would be a circular reference).
      const arn = (resource: string, resourceName: string) =>
        this.formatArn({ service: 'states', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      machine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['states:StartExecution'],
          resources: [arn('stateMachine', stateMachineName)],
        }),
      );
      machine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [arn('execution', `${stateMachineName}/*`)],
        }),
      );
    }
    return machine;
  }
}
