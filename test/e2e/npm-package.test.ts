/**
 * The published package, as a user gets it: `npm pack` installed into an empty folder (from the npm registry,
 * like any install) transcodes a clip and synthesizes the AWS stack, with no checkout, no TypeScript loader and
 * no devDependencies. Regression: the package left out what the stack imported (src/) and the image needed
 * (the lockfile, tsconfigs), and the CDK app and CLI ran through devDependencies (tsx, aws-cdk).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkAssembly } from '../support/assembly.js';
import { ffprobeJson, makeClip, REPO } from '../support/media.js';

const run = (cmd: string, args: string[], cwd: string, timeoutMs = 120_000) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

describe('the npm package, installed into an empty folder', () => {
  let dir: string;
  let app: string;
  let files: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shardcast-pack-'));
    // dist/ is built by `npm test` before the tests; --ignore-scripts keeps pack from building it again.
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    files = packed[0]!.files.map((f) => f.path);
    app = join(dir, 'app');
    run('mkdir', ['-p', app], dir);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uses-shardcast', version: '1.0.0', private: true }));
    run(
      'npm',
      ['install', join(dir, packed[0]!.filename), '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
      app,
      600_000,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the compiled CLI, CDK app and image context, and no sources or tests', () => {
    for (const f of [
      'bin/shardcast.js',
      'dist/cli/main.js',
      'dist/infra/synth.js',
      'dist/lambda/encode-segment.js',
      'infra/docker/Dockerfile',
      'infra/docker/runtime/package-lock.json',
      'infra/workflow.asl.json',
      'prices/aws-prices.json',
      'web/dist/index.html',
    ]) {
      assert.ok(files.includes(f), `the package has ${f}`);
    }
    assert.deepEqual(
      files.filter((f) => /^(src|test|bench|scripts)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
      [],
    );
    assert.ok(!existsSync(join(app, 'node_modules', 'tsx')), 'no devDependencies installed');
  });

  it('transcodes a clip with the embedded defaults', () => {
    const clip = makeClip(join(dir, 'in.mp4'), { seconds: 2, gop: 15 });
    const out = join(dir, 'out.mp4');
    run(
      join(app, 'node_modules', '.bin', 'shardcast'),
      ['--state-dir', join(dir, 'state'), 'transcode', clip, out, '--workers', '2', '--segment-seconds', '1'],
      app,
      240_000,
    );
    const probe = ffprobeJson(out, 'stream=codec_name,nb_frames', ['-count_frames']);
    assert.equal(probe.streams.find((s: { codec_name: string }) => s.codec_name === 'h264')?.nb_frames, '60');
  });

  it('synthesizes the stack with `deploy --dry-run --out`', () => {
    const out = join(dir, 'asm');
    run(
      join(app, 'node_modules', '.bin', 'shardcast'),
      ['--state-dir', join(dir, 'state'), 'deploy', '--dry-run', '--out', out, '--storage', 'efs'],
      app,
    );
    checkAssembly(out, 'efs');
  });
});
