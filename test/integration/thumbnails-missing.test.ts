/**
 * The finish of a job's thumbnails when one cannot be had (app/thumbnails/publish-thumbnails.ts): a thumbnail
 * missing from the store leaves the job without thumbnails and a `job.notice` naming it, and nothing beside the
 * output; with all of them stored, the sheet, map and poster land there. Real ffmpeg and a local store; the
 * ledger is a stub holding the tasks; the JPEGs made by plain ffmpeg stand for the segments' encodes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalBlobStore } from '../../src/adapters/local/local-blob-store.js';
import type { AppDeps } from '../../src/app/deps.js';
import { publishThumbnails } from '../../src/app/thumbnails/publish-thumbnails.js';
import { posterKey, thumbnailKey } from '../../src/core/thumbnails.js';
import type { AnalyzedJob, JobEvent, TaskRecord } from '../../src/core/types.js';
import { openMediaTool } from '../../src/runtime/app-deps.js';
import { ffmpeg } from '../support/media.js';

describe('thumbnails at the finish: one missing from the store', () => {
  const root = mkdtempSync(join(tmpdir(), 'shardcast-thumbs-missing-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const events: JobEvent[] = [];
  const blobs = new LocalBlobStore(join(root, 'store'));
  const tasks = [0, 1].map(
    (index) =>
      ({ kind: 'video', index, startFrame: index * 20, thumbnails: { first: index * 2, frames: [0, 10] } }) as unknown as TaskRecord,
  );
  const deps = {
    ledger: { listTasks: async () => tasks, appendEvent: async (e: JobEvent) => (events.push(e), e) },
    blobs,
    media: openMediaTool(process.env),
    clock: () => 0,
  } as unknown as AppDeps;
  const job = (output: string) =>
    ({
      id: 'thumbjob01',
      output,
      options: { thumbnails: { everySeconds: 1, width: 64 } },
      analysis: { video: { frameTimes: Array.from({ length: 40 }, (_, i) => i / 10), lastFrameDuration: 0.1 } },
    }) as unknown as AnalyzedJob;

  /** Stores what the segments' encodes would have: thumbnails `indices` (64x36 JPEGs) and the poster. */
  async function store(indices: number[]): Promise<void> {
    for (const k of [...indices, -1]) {
      const file = join(root, `made-${k}.jpg`);
      ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `color=c=0x${(40 * (k + 2)).toString(16).padStart(2, '0')}4080:s=64x36`,
        '-frames:v',
        '1',
        '-pix_fmt',
        'yuvj420p',
        file,
      ]);
      await blobs.putFile(k < 0 ? posterKey('thumbjob01') : thumbnailKey('thumbjob01', k), file);
    }
  }

  it('thumbnail 2 missing: no thumbnails, a notice naming it, nothing beside the output', async () => {
    await store([0, 1, 3]);
    const out = join(root, 'out', 'a.mp4');
    assert.equal(await publishThumbnails(deps, job(out), false), undefined);
    const notices = events.filter((e) => e.type === 'job.notice').map((e) => e.message);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /^no thumbnails: thumbnail 2 is not in the store/);
    assert.equal(existsSync(join(root, 'out', 'a.thumbs')), false);
  });

  it('all stored: the sheet, the map and the poster beside the output', async () => {
    await store([2]);
    const out = join(root, 'out', 'b.mp4');
    const result = await publishThumbnails(deps, job(out), false);
    assert.deepEqual(result, {
      count: 4,
      everySeconds: 1,
      width: 64,
      height: 36,
      poster: join(root, 'out', 'b.thumbs', 'poster.jpg'),
      sprites: [join(root, 'out', 'b.thumbs', 'sprite-0.jpg')],
      vtt: join(root, 'out', 'b.thumbs', 'thumbnails.vtt'),
    });
    for (const f of [result.poster, result.vtt, ...result.sprites]) assert.ok(existsSync(f), f);
  });
});
