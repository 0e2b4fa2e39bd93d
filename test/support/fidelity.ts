/**
 * Helpers of the output-fidelity tests (generated clips in test/integration, real files in test/corpus): a
 * transcode through the CLI with 1 s segments kept whatever they cost (the seams are the point), and the output's
 * video stream as ffprobe reports it.
 */
import assert from 'node:assert/strict';
import { cli } from './cli.js';
import { ffprobeJson } from './media.js';

export function transcodeWith(stateDir: string, src: string, out: string, extra: string[] = []): any {
  const r = cli(
    ['transcode', src, out, '--preset', 'ultrafast', '--segment-seconds', '1', '--accept-cut-cost', '--json', '--no-progress', ...extra],
    {
      stateDir,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

export const videoStream = (p: string): any =>
  (ffprobeJson(p, 'stream=codec_type,pix_fmt,color_range,color_transfer,color_primaries,profile,duration').streams as any[]).find(
    (s) => s.codec_type === 'video',
  );
