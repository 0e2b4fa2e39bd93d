/**
 * Templates: a wrong one is refused with its field and the reason, the built-ins are there and valid, a request
 * naming one gets its options under its own, and the output must be of the kind the template makes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { BUILTIN_TEMPLATES, outputKindOfPath, templateOutputPath } from '../../src/core/templates.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { applyTemplate, listTemplates, parseTemplate } from '../../src/runtime/templates.js';
import { loadTemplateCatalog, readTemplateCatalog } from '../../src/runtime/template-files.js';
import { tempDir } from '../support/media.js';

const refused = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n'));

test('a wrong template is refused naming the field and the reason', () => {
  const cases: [unknown, RegExp][] = [
    [{ output: 'mp4', crf: 99 }, /f\.yaml: templates\.t\.crf: must be from 0 to 63$/],
    [{ output: 'mp4', crff: 9 }, /templates\.t\.crff is not a template field \(fields: output, description, videoCodec/],
    [{ output: 'mp5' }, /templates\.t\.output must be one of mp4, mkv, webm, mov, hls/],
    [{ crf: 20 }, /templates\.t\.output must be one of/],
    [{ output: 'mp4', dash: 'yes' }, /templates\.t\.dash must be true or false/],
    [{ output: 'mp4', dash: true }, /templates\.t\.dash: needs an HLS output/],
    [{ output: 'mp4', publishEarly: true }, /templates\.t\.publishEarly: needs an HLS output/],
    [{ output: 'hls', publishEarly: 'yes' }, /templates\.t\.publishEarly must be true or false/],
    [{ output: 'hls', maxHeight: 720 }, /templates\.t: --width, --height and --max-height do not apply to a ladder/],
    [{ output: 'mp4', videoCodec: 'mpeg2' }, /templates\.t\.videoCodec: must be one of h264/],
    [{ output: 'webm', videoCodec: 'h264' }, /templates\.t: a \.webm output cannot hold h264 video/],
    [{ output: 'mp4', notify: 'ftp://x' }, /templates\.t\.notify: must be an http:\/\/ or https:\/\/ URL/],
    [{ output: 'mp4', targetQuality: 'psnr' }, /templates\.t\.targetQuality: /],
    [{ output: 'mp4', thumbnailWidth: 100 }, /templates\.t\.thumbnailWidth: goes with --thumbnails/],
    ['web', /templates\.t the file|templates\.t .*expected object|templates\.t/],
  ];
  for (const [raw, message] of cases) refused(() => parseTemplate('f.yaml', 't', raw, ['templates', 't']), message);
  refused(() => parseTemplate('f.yaml', 'Web 1080', { output: 'mp4' }, []), /template name "Web 1080" must be lower-case/);
});

test('files: version, YAML and JSON, a folder of templates, the first wrong one refused', async () => {
  const tmp = tempDir('shardcast-templates-');
  try {
    const f = (name: string, text: string) => {
      writeFileSync(join(tmp.dir, name), text);
      return join(tmp.dir, name);
    };
    const yaml = f(
      'a.yaml',
      'version: 1\ntemplates:\n  small:\n    output: mp4\n    crf: 30\n    maxHeight: 360\n    notify: https://example.com/hook\n',
    );
    const cat = await readTemplateCatalog(yaml);
    const small = cat.templates.find((t) => t.name === 'small')!;
    assert.deepEqual(small.options, { crf: 30, maxHeight: 360, notify: 'https://example.com/hook' });
    assert.equal(cat.source, yaml);
    assert.ok(
      cat.templates.some((t) => t.from === 'built-in'),
      'the built-ins are kept beside a file',
    );
    const early = await readTemplateCatalog(f('early.yaml', 'version: 1\ntemplates:\n  live:\n    output: hls\n    publishEarly: true\n'));
    assert.deepEqual(early.templates.find((t) => t.name === 'live')!.options, { publishEarly: true });
    const json = f('b.json', JSON.stringify({ version: 1, templates: { 'web-1080p': { output: 'mp4', crf: 18 } } }));
    const overridden = (await readTemplateCatalog(json)).templates.filter((t) => t.name === 'web-1080p');
    assert.equal(overridden.length, 1, "a file's template of a built-in's name replaces it");
    assert.equal(overridden[0]!.options.crf, 18);
    await assert.rejects(readTemplateCatalog(f('c.yaml', 'version: 2\ntemplates: {}\n')), /c\.yaml: version must be 1/);
    await assert.rejects(readTemplateCatalog(f('d.yaml', 'version: 1\ntemplates:\n  x:\n    crf: [1\n')), /d\.yaml: not valid YAML/);
    await assert.rejects(readTemplateCatalog(f('e.json', '{"version":1,')), /e\.json: not valid JSON/);
    await assert.rejects(
      readTemplateCatalog(f('g.yaml', 'version: 1\nthings: {}\ntemplates: {}\n')),
      /g\.yaml: things is not a template field|g\.yaml: .*things/,
    );
    await assert.rejects(readTemplateCatalog(join(tmp.dir, 'none.yaml')), /no template file or folder at/);
    const dir = join(tmp.dir, 'templates');
    mkdirSync(dir);
    writeFileSync(join(dir, 'phone.yaml'), 'version: 1\noutput: mp4\nmaxHeight: 720\ndescription: for phones\n');
    writeFileSync(join(dir, 'archive.json'), JSON.stringify({ version: 1, output: 'mkv', videoCodec: 'hevc', bitDepth: 10 }));
    writeFileSync(join(dir, 'notes.txt'), 'not a template');
    const folder = await readTemplateCatalog(dir);
    assert.deepEqual(
      folder.templates.filter((t) => t.from !== 'built-in').map((t) => [t.name, t.output, t.description]),
      [
        ['archive', 'mkv', undefined],
        ['phone', 'mp4', 'for phones'],
      ],
    );
    writeFileSync(join(dir, 'zz.yaml'), 'output: mp4\n');
    await assert.rejects(readTemplateCatalog(dir), /zz\.yaml: version must be 1/);
    // Found by SHARDCAST_CONFIG, else in the working folder, else the built-ins alone.
    assert.equal((await loadTemplateCatalog({ env: { SHARDCAST_CONFIG: yaml }, cwd: '/' })).source, yaml);
    writeFileSync(join(tmp.dir, 'shardcast.config.yaml'), 'version: 1\ntemplates: {}\n');
    assert.equal((await loadTemplateCatalog({ env: {}, cwd: tmp.dir })).source, join(tmp.dir, 'shardcast.config.yaml'));
    const none = await loadTemplateCatalog({ env: {}, cwd: dir });
    assert.equal(none.source, undefined);
    assert.deepEqual(
      none.templates.map((t) => t.name),
      BUILTIN_TEMPLATES.map((t) => t.name),
    );
  } finally {
    tmp.cleanup();
  }
});

test('the built-ins are valid and listed with what they make', () => {
  const list = listTemplates({ templates: [...BUILTIN_TEMPLATES] });
  assert.deepEqual(
    list.map((t) => t.name),
    ['web-1080p', 'web-720p', 'hls-dash', 'archive-hevc-10bit'],
  );
  const by = Object.fromEntries(list.map((t) => [t.name, t.makes]));
  assert.equal(by['web-1080p'], 'mp4: h264 8-bit crf 23 medium, at most 1080 lines, aac 128k');
  assert.match(
    by['hls-dash']!,
    /^HLS \+ DASH ladder: h264 capped CRF medium, the source's height and the rungs below it, aac 128k; thumbnails every 10 s$/,
  );
  assert.equal(by['archive-hevc-10bit'], "mkv: hevc 10-bit crf 20 slow, the source's size, audio copied");
});

test('a request naming a template: its options under the request own, the output of its kind', () => {
  const catalog = { templates: [...BUILTIN_TEMPLATES] };
  const req = applyTemplate(
    { input: 'in.mov', output: 'out/a.mp4', options: { template: 'web-720p', crf: '20', preset: undefined } },
    catalog,
  );
  assert.deepEqual(req.options, {
    videoCodec: 'h264',
    crf: '20',
    preset: 'medium',
    maxHeight: '720',
    bitDepth: '8',
    audioCodec: 'aac',
    audioBitrate: '96',
    template: 'web-720p',
  });
  // The same job as the same flags.
  const viaTemplate = parseTranscodeOptions(req.options, req.output);
  const viaFlags = parseTranscodeOptions(
    { videoCodec: 'h264', crf: '20', preset: 'medium', maxHeight: '720', bitDepth: '8', audioCodec: 'aac', audioBitrate: '96' },
    'out/a.mp4',
  );
  assert.deepEqual({ ...viaTemplate, template: undefined }, { ...viaFlags, template: undefined });
  assert.equal(viaTemplate.template, 'web-720p');
  refused(
    () => applyTemplate({ output: 'out/a.mkv', options: { template: 'web-720p' } }, catalog),
    /template web-720p makes a \.mp4 file: name an output ending in \.mp4/,
  );
  refused(
    () => applyTemplate({ output: 'out/a.mp4', options: { template: 'hls-dash' } }, catalog),
    /makes an HLS ladder: name DIR\/master\.m3u8/,
  );
  refused(
    () => applyTemplate({ output: 'out/a.mp4', options: { template: 'nope' } }, catalog),
    /no template "nope"; `shardcast templates` lists them \(web-1080p, /,
  );
  // Options that go together are overridden together; a request's webhooks go beside the template's.
  const sized: Record<string, unknown> = applyTemplate(
    { output: 'a.mp4', options: { template: 'web-1080p', height: '720' } },
    catalog,
  ).options;
  assert.equal(sized.height, '720');
  assert.equal(sized.maxHeight, undefined, "the template's --max-height gave way to the --height asked for");
  assert.equal(sized.bitDepth, '8');
  parseTranscodeOptions(sized, 'a.mp4');
  const depth: Record<string, unknown> = applyTemplate(
    { output: 'a.mp4', options: { template: 'web-1080p', pixFmt: 'yuv420p10le' } },
    catalog,
  ).options;
  assert.equal(depth.bitDepth, undefined);
  const hooked = { templates: [{ ...BUILTIN_TEMPLATES[0]!, options: { notify: 'https://ops.example/hook' } }] };
  assert.deepEqual(
    applyTemplate({ output: 'a.mp4', options: { template: 'web-1080p', notify: ['https://app.example/hook'] } }, hooked).options.notify,
    ['https://ops.example/hook', 'https://app.example/hook'],
  );
  const plain = { output: 'x.mp4', options: { crf: '3' } };
  assert.equal(applyTemplate(plain, catalog), plain, 'no template: the request as it is');
});

test('output names for watched files and objects', () => {
  assert.equal(templateOutputPath({ output: 'mp4' }, 'holiday.MOV', '/out'), '/out/holiday.mp4');
  assert.equal(templateOutputPath({ output: 'hls' }, 'talk.final.mkv', '/out/'), '/out/talk.final/master.m3u8');
  assert.equal(templateOutputPath({ output: 'mkv' }, 'noext', 'o'), 'o/noext.mkv');
  assert.equal(outputKindOfPath('a/b.M4V'), 'mp4');
  assert.equal(outputKindOfPath('a/master.m3u8'), 'hls');
  assert.equal(outputKindOfPath('a/b.avi'), undefined);
});
