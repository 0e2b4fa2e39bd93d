/**
 * core/output-format.ts keeps a table of the pixel formats each encoder takes; it must agree with the
 * installed ffmpeg (`ffmpeg -h encoder=X`), or a job would be planned in a format the encoder refuses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { pixelFormatsFor } from '../../src/core/output-format.js';
import { VIDEO_ENCODERS } from '../../src/core/profile.js';
import type { VideoCodec } from '../../src/core/types.js';

describe('encoder pixel formats', () => {
  for (const codec of Object.keys(VIDEO_ENCODERS) as VideoCodec[]) {
    it(`${codec}: every format shardcast may choose is one ${VIDEO_ENCODERS[codec]} takes`, () => {
      const r = spawnSync('ffmpeg', ['-hide_banner', '-h', `encoder=${VIDEO_ENCODERS[codec]}`], { encoding: 'utf8' });
      const line = /Supported pixel formats:(.*)/.exec(r.stdout)?.[1] ?? '';
      const supported = new Set(line.trim().split(/\s+/));
      assert.deepEqual(
        pixelFormatsFor(codec).filter((f) => !supported.has(f)),
        [],
        `ffmpeg lists: ${line}`,
      );
    });
  }
});
