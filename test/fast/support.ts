/**
 * The fast tier's world: the use-cases over an in-memory ledger (SQLite `:memory:`), a local store in a temp
 * folder and a recorded media tool (test/support/recorded-media.ts) — no ffmpeg runs unless a recording is
 * being made. One clip: 3 s, 64x48 at 10 fps, a keyframe a second, a sine tone; 1 s segments.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBlobStore } from '../../src/adapters/local/local-blob-store.js';
import { WorkerPoolExecutor } from '../../src/adapters/local/worker-pool-executor.js';
import { makeSqliteLedger } from '../../src/adapters/sqlite/sqlite-ledger.js';
import type { AppDeps } from '../../src/app/deps.js';
import { createJob } from '../../src/app/run-job.js';
import { encodeStep } from '../../src/app/run-steps.js';
import type { Backend } from '../../src/core/types.js';
import type { Executor } from '../../src/ports/executor.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { RECORDING, RecordedMedia } from '../support/recorded-media.js';
import { REPO } from '../support/media.js';

export interface FastWorld {
  root: string;
  deps: AppDeps;
  media: RecordedMedia;
  source: string;
  /** A job of this world's clip, `created`, with a fixed id (its paths are part of the recorded commands). */
  newJob(id: string, backend?: Backend): Promise<{ id: string; output: string }>;
  /** The local worker pool over the encode step, 2 at once, no backoff. */
  pool(): Executor;
  close(): Promise<void>;
}

/**
 * Opens the world of one test file; `name` names its recording (test/fixtures/media/<name>.json); `volatile`: a
 * part of the commands that differs from run to run (RecordedMedia).
 */
export function openFastWorld(name: string, volatile?: RegExp): FastWorld {
  const root = mkdtempSync(join(tmpdir(), 'shardcast-fast-'));
  const srcDir = join(root, 'src');
  const source = join(srcDir, 'clip.mkv');
  const media = new RecordedMedia(join(REPO, 'test', 'fixtures', 'media', `${name}.json`), root, [srcDir], volatile);
  if (RECORDING) {
    mkdirSync(srcDir, { recursive: true });
    const r = spawnSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10:duration=3'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=24000:duration=3'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '32k', '-shortest', source],
    ]);
    if (r.status !== 0) throw new Error(`could not make the clip: ${String(r.stderr)}`);
  }
  const sourceBytes = media.fact('sourceBytes', () => statSync(source).size);
  const ledger = makeSqliteLedger(':memory:');
  const deps: AppDeps = {
    ledger,
    blobs: new LocalBlobStore(join(root, 'jobs')),
    media,
    clock: () => Date.now(),
    workerId: 'fast-test:1',
    readableSource: async (s) => s,
    sourceSize: async (s) => (s === source ? sourceBytes : undefined),
    isWorkerAlive: () => undefined,
    heartbeatMs: 60_000,
  };
  mkdirSync(join(root, 'out'), { recursive: true });
  return {
    root,
    deps,
    media,
    source,
    async newJob(id, backend = 'local') {
      const output = join(root, 'out', `${id}.mp4`);
      const parsed = parseTranscodeOptions({ workers: '2', segmentSeconds: '1', preset: 'ultrafast', audioBitrate: '32' }, output);
      // Threads fixed (they are part of the commands), whatever this machine's cores.
      const { tailThreads: _, ...options } = { ...parsed, threadsPerWorker: 1 };
      await createJob(deps, { id, backend, source, output, options });
      return { id, output };
    },
    pool: () =>
      new WorkerPoolExecutor({
        concurrency: 2,
        maxAttempts: 2,
        backoffMs: () => 0,
        runTask: async (task, signal) => {
          await encodeStep(deps, task, signal ? { signal } : {});
        },
      }),
    async close() {
      media.save();
      await ledger.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
