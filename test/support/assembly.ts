/**
 * What a synthesized stack assembly (`shardcast deploy --dry-run --out DIR`) must hold, from a checkout or from
 * the installed npm package.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Checks what a synthesized assembly holds: the template's resources and the image context (only what the image needs). */
export function checkAssembly(dir: string, storage: 's3' | 'efs'): void {
  const template = JSON.parse(readFileSync(join(dir, 'Shardcast.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string }>;
  };
  const types = Object.values(template.Resources).map((r) => r.Type);
  // A function per step: admit, analyze, encode-segment, encode-audio, merge, finalize, mark-failed, notify.
  assert.equal(types.filter((t) => t === 'AWS::Lambda::Function').length, 8);
  assert.equal(types.filter((t) => t === 'AWS::StepFunctions::StateMachine').length, 1);
  assert.equal(types.includes('AWS::EFS::FileSystem'), storage === 'efs');
  const assets = readdirSync(dir).filter((f) => f.startsWith('asset.'));
  assert.equal(assets.length, 1, 'one image context');
  const ctx = join(dir, assets[0]!);
  for (const f of [
    'infra/docker/Dockerfile',
    'infra/docker/runtime/package.json',
    'infra/docker/runtime/package-lock.json',
    'infra/workflow.asl.json',
    'package.json',
    'prices/aws-prices.json',
    'dist/lambda/encode-segment.js',
    'dist/lambda/merge.js',
  ]) {
    assert.ok(existsSync(join(ctx, f)), `the image context has ${f}`);
  }
  for (const f of ['src', 'node_modules', 'test', 'dist/cli', 'dist/server', 'dist/infra', 'web']) {
    assert.ok(!existsSync(join(ctx, f)), `the image context leaves out ${f}`);
  }
}
