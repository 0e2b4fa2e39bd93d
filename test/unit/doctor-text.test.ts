/**
 * `doctor` on the ffmpeg/ffprobe pair (issue 27, item 7): one build says nothing; two builds (the npm-shipped
 * pair, or FFMPEG_PATH without FFPROBE_PATH) get a WARNING naming both, why it matters and the fix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkToolPair } from '../../src/cli/doctor-text.js';
import type { ToolInfo } from '../../src/ports/media-tool.js';

const tool = (t: 'ffmpeg' | 'ffprobe', path: string, version: string, origin: ToolInfo['origin'], avcodecMajor: number): ToolInfo => ({
  tool: t,
  path,
  version,
  origin,
  avcodecMajor,
});
const debian = [
  tool('ffmpeg', '/usr/bin/ffmpeg', '5.1.9-0+deb12u1', 'path', 59),
  tool('ffprobe', '/usr/bin/ffprobe', '5.1.9-0+deb12u1', 'path', 59),
];
const npm = [
  tool('ffmpeg', '/app/node_modules/@ffmpeg-installer/linux-x64/ffmpeg', 'N-47683-g0e8eb07980-static', 'npm', 58),
  tool('ffprobe', '/app/node_modules/@ffprobe-installer/linux-x64/ffprobe', 'N-66595-gc2b38619c0-static', 'npm', 60),
];
const none = () => false;

describe('doctor: are ffmpeg and ffprobe one build', () => {
  it('one build: no warning', () => {
    assert.deepEqual(checkToolPair(debian, none), { sameBuild: true, lines: [] });
  });

  it('the npm-shipped pair: a warning with both builds, where each came from, why, and the fix', () => {
    const r = checkToolPair(npm, none);
    assert.equal(r.sameBuild, false);
    assert.equal(r.lines.length, 2);
    assert.match(
      r.lines[0]!,
      /^WARNING: ffmpeg and ffprobe are different builds: ffmpeg N-47683-g0e8eb07980-static, .*ffmpeg, from the npm package @ffmpeg-installer\/ffmpeg; ffprobe N-66595-gc2b38619c0-static, .*ffprobe, from the npm package @ffprobe-installer\/ffprobe$/,
    );
    assert.match(r.lines[1]!, /planned from ffprobe's reading .* encoded and verified by ffmpeg, so the two may disagree/);
    assert.match(r.lines[1]!, /set FFMPEG_PATH and FFPROBE_PATH to the ffmpeg and ffprobe of one build/);
  });

  it('FFMPEG_PATH to another build, ffprobe from PATH: the fix names the ffmpeg beside that ffprobe', () => {
    const mixed = [tool('ffmpeg', '/opt/ff6/ffmpeg', '6.1', 'env', 60), debian[1]!];
    const r = checkToolPair(mixed, (p) => p === '/usr/bin/ffmpeg');
    assert.equal(r.sameBuild, false);
    assert.match(
      r.lines[0]!,
      /ffmpeg 6\.1, \/opt\/ff6\/ffmpeg, from FFMPEG_PATH; ffprobe 5\.1\.9-0\+deb12u1, \/usr\/bin\/ffprobe, from PATH/,
    );
    assert.match(r.lines[1]!, /set FFMPEG_PATH=\/usr\/bin\/ffmpeg \(the ffmpeg beside this ffprobe\)$/);
  });

  it('an ffprobe beside the ffmpeg is the first fix offered', () => {
    const mixed = [tool('ffmpeg', '/opt/ff6/ffmpeg', '6.1', 'env', 60), debian[1]!];
    const r = checkToolPair(mixed, (p) => p === '/opt/ff6/ffprobe' || p === '/usr/bin/ffmpeg');
    assert.match(r.lines[1]!, /set FFPROBE_PATH=\/opt\/ff6\/ffprobe \(the ffprobe beside this ffmpeg\)$/);
  });

  it('same version, libavcodec unknown on one side: one build', () => {
    assert.equal(checkToolPair([debian[0]!, { ...debian[1]!, avcodecMajor: 0 }], none).sameBuild, true);
  });
});
