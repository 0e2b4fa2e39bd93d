/**
 * Templates from the command line: `shardcast templates` lists them, a wrong config file is refused in one line
 * before any job exists, and a template job is the same job as the same flags (same options, same frames).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { frameHashes, makeClip, tempDir } from '../support/media.js';
import { killAllGroups } from '../support/processes.js';

const tmp = tempDir('shardcast-templates-e2e-');
after(() => {
  killAllGroups();
  tmp.cleanup();
});

test('templates lists the built-ins and the project file; a wrong file is refused before any job', () => {
  const stateDir = join(tmp.dir, 'state-list');
  const builtins = cli(['templates'], { stateDir, cwd: tmp.dir });
  assert.equal(builtins.status, 0, builtins.stderr);
  assert.match(builtins.stdout, /^web-1080p\s+mp4: h264 8-bit crf 23 medium, at most 1080 lines, aac 128k {2}\(built-in\)$/m);
  assert.match(builtins.stdout, /^hls-dash\s+HLS \+ DASH ladder/m);
  assert.match(builtins.stdout, /built-in templates only/);

  writeFileSync(
    join(tmp.dir, 'shardcast.config.yaml'),
    'version: 1\ntemplates:\n  phone:\n    output: mp4\n    maxHeight: 240\n    description: for phones\n',
  );
  const own = cli(['templates', '--json'], { stateDir, cwd: tmp.dir });
  assert.equal(own.status, 0, own.stderr);
  const listed = JSON.parse(own.stdout) as { source: string; templates: Array<{ name: string; from: string; makes: string }> };
  assert.equal(listed.source, join(tmp.dir, 'shardcast.config.yaml'));
  const phone = listed.templates.find((t) => t.name === 'phone')!;
  assert.equal(phone.makes, 'mp4: h264 crf 23 medium, at most 240 lines, aac 128k');

  const bad = join(tmp.dir, 'bad.yaml');
  writeFileSync(bad, 'version: 1\ntemplates:\n  phone:\n    output: mp4\n    height: 241\n');
  const src = makeClip(join(tmp.dir, 'list.mp4'), { seconds: 1, size: '160x90', rate: 10 });
  const r = cli(['--config', bad, 'transcode', src, join(tmp.dir, 'x.mp4'), '--template', 'phone'], { stateDir });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), `shardcast: error: ${bad}: templates.phone.height: must be an even whole number from 16 to 8192`);
  const none = cli(['--config', join(tmp.dir, 'shardcast.config.yaml'), 'transcode', src, join(tmp.dir, 'x.mkv'), '--template', 'phone'], {
    stateDir,
  });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /template phone makes a \.mp4 file: name an output ending in \.mp4/);
  assert.deepEqual(JSON.parse(cli(['jobs', '--json'], { stateDir }).stdout), [], 'no job was made');
});

test('a template job is the same job as the same flags; a flag given overrides the template', () => {
  const stateDir = join(tmp.dir, 'state-same');
  const src = makeClip(join(tmp.dir, 'src.mp4'), { seconds: 2, size: '320x180', rate: 25, gop: 25 });
  const config = join(tmp.dir, 'same.yaml');
  writeFileSync(
    config,
    'version: 1\ntemplates:\n  small:\n    output: mp4\n    crf: 30\n    preset: veryfast\n    maxHeight: 120\n    audioBitrate: 64\n    verify: false\n',
  );
  const common = ['--workers', '2', '--segment-seconds', '1', '--json', '--no-progress'];
  const a = cli(['--config', config, 'transcode', src, join(tmp.dir, 'a.mp4'), '--template', 'small', ...common], { stateDir });
  assert.equal(a.status, 0, a.stderr);
  const b = cli(
    [
      'transcode',
      src,
      join(tmp.dir, 'b.mp4'),
      '--crf',
      '30',
      '--preset',
      'veryfast',
      '--max-height',
      '120',
      '--audio-bitrate',
      '64',
      '--no-verify',
      ...common,
    ],
    { stateDir },
  );
  assert.equal(b.status, 0, b.stderr);
  const va = JSON.parse(a.stdout);
  const vb = JSON.parse(b.stdout);
  assert.equal(va.template, 'small');
  assert.equal(vb.template, undefined);
  assert.deepEqual(va.profile, vb.profile);
  assert.deepEqual(va.options, vb.options);
  assert.equal(va.verify, undefined, "the template's verify: false held (commander's default did not override it)");
  assert.deepEqual(frameHashes(join(tmp.dir, 'a.mp4')), frameHashes(join(tmp.dir, 'b.mp4')));

  const c = cli(['--config', config, 'transcode', src, join(tmp.dir, 'c.mp4'), '--template', 'small', '--crf', '20', ...common], {
    stateDir,
  });
  assert.equal(c.status, 0, c.stderr);
  const vc = JSON.parse(c.stdout);
  assert.equal(vc.profile.crf, 20);
  assert.equal(vc.profile.maxHeight, 120);
});
