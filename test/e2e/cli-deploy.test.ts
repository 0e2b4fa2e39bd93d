/**
 * `shardcast deploy` and `destroy` with no AWS account: `--dry-run --out` synthesizes the stack in the CLI's
 * own process (no credentials, no Docker, no TypeScript loader) and keeps the assembly; a real deploy first
 * checks the CDK bootstrap, here against a fake SSM endpoint on 127.0.0.1, and stops with the command to run.
 * The installed npm package doing the same is test/e2e/npm-package.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, cliAsync } from '../support/cli.js';
import { REPO } from '../support/media.js';
import { checkAssembly } from '../support/assembly.js';

const lastLine = (text: string): string => text.trimEnd().split('\n').pop() ?? '';
const cdkVersion = (JSON.parse(readFileSync(join(REPO, 'node_modules', 'aws-cdk', 'package.json'), 'utf8')) as { version: string }).version;

describe('deploy and destroy without an AWS account', () => {
  let dir: string;
  let ssm: Server;
  let ssmUrl: string;
  let bootstrapVersion: string | undefined;
  const ssmCalls: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shardcast-deploy-test-'));
    // SSM's JSON protocol: the SDK posts {"Name": ...} with X-Amz-Target AmazonSSM.GetParameter.
    ssm = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        ssmCalls.push(`${String(req.headers['x-amz-target'])} ${body}`);
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        if (bootstrapVersion === undefined) {
          res.statusCode = 400;
          res.end(JSON.stringify({ __type: 'ParameterNotFound', message: 'not found' }));
        } else {
          res.end(
            JSON.stringify({
              Parameter: { Name: '/cdk-bootstrap/hnb659fds/version', Type: 'String', Value: bootstrapVersion, Version: 1 },
            }),
          );
        }
      });
    });
    await new Promise<void>((r) => ssm.listen(0, '127.0.0.1', r));
    ssmUrl = `http://127.0.0.1:${(ssm.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => ssm.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run --out synthesizes the stack with no credentials and keeps the assembly', () => {
    const out = join(dir, 'asm');
    const r = cli(['deploy', '--dry-run', '--out', out, '--storage', 'efs', '--concurrency', '200', '--json'], {
      stateDir: join(dir, 'state'),
      env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none-such', AWS_REGION: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.storage, 'efs');
    assert.equal(j.config.mapMode, 'distributed');
    assert.deepEqual(j.cdk.args, [
      'deploy',
      'Shardcast',
      '--app',
      out,
      '--require-approval',
      'never',
      '--outputs-file',
      join(out, 'outputs.json'),
    ]);
    checkAssembly(out, 'efs');
    const again = cli(['deploy', '--dry-run', '--out', out], { stateDir: join(dir, 'state') });
    assert.equal(again.status, 0, `an earlier assembly may be overwritten: ${again.stderr}`);
    checkAssembly(out, 's3');
  });

  it('--out refuses a folder of other files, and --out without --dry-run', () => {
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    const r = cli(['deploy', '--dry-run', '--out', busy], { stateDir: join(dir, 'state') });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^shardcast: error: --out .*busy is not empty/);
    assert.deepEqual(readdirSync(busy), ['notes.txt']);
    const r2 = cli(['deploy', '--out', join(dir, 'x')], { stateDir: join(dir, 'state') });
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /--out is for --dry-run/);
  });

  const awsEnv = () => ({
    AWS_ENDPOINT_URL_SSM: ssmUrl,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });

  it('a deploy to an account that was never bootstrapped stops before synthesizing, with the command to run', async () => {
    bootstrapVersion = undefined;
    ssmCalls.length = 0;
    const r = await cliAsync(['deploy'], { stateDir: join(dir, 'state'), env: awsEnv() });
    assert.equal(r.status, 2, r.stderr);
    // The last line: on Node 20 the AWS SDK first warns that its releases after January 2027 need Node 22.
    assert.equal(
      lastLine(r.stderr),
      `shardcast: error: this AWS account (region eu-west-1) is not bootstrapped for the CDK: run \`npx aws-cdk@${cdkVersion} bootstrap\` once, then deploy again`,
    );
    assert.equal(ssmCalls.length, 1);
    assert.match(ssmCalls[0]!, /^AmazonSSM\.GetParameter .*"\/cdk-bootstrap\/hnb659fds\/version"/);
    assert.ok(!existsSync(join(dir, 'state', 'aws-stack.json')), 'nothing saved');
  });

  it('a bootstrap older than the stack needs is named too', async () => {
    bootstrapVersion = '5';
    const r = await cliAsync(['deploy'], { stateDir: join(dir, 'state'), env: awsEnv() });
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      lastLine(r.stderr),
      /^shardcast: error: this AWS account \(region eu-west-1\) has CDK bootstrap version 5; the stack needs 6 or later: run `npx aws-cdk@[\d.]+ bootstrap`$/,
    );
  });

  it('destroy --dry-run names the saved stack and says the bucket is kept', () => {
    const state = join(dir, 'state-destroy');
    mkdirSync(state, { recursive: true });
    writeFileSync(
      join(state, 'aws-stack.json'),
      JSON.stringify({
        stackName: 'Media-2',
        bucket: 'media-2-bucket',
        table: 'media-2-table',
        stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:m',
        storage: 's3',
      }),
    );
    const r = cli(['destroy', '--dry-run', '--json'], { stateDir: state });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.cdk.args.slice(0, 2), ['destroy', 'Media-2']);
    assert.deepEqual(j.cdk.args.slice(-1), ['--force']);
    assert.equal(j.keptBucket, 'media-2-bucket');
    const text = cli(['destroy', '--dry-run'], { stateDir: state });
    assert.match(text.stdout, /bucket media-2-bucket is kept .*aws s3 rb s3:\/\/media-2-bucket --force/);
    assert.ok(existsSync(join(state, 'aws-stack.json')), 'a dry run forgets nothing');
  });
});
