/**
 * The early publish over real encodes (the local home's deps, real ffmpeg): the steps of a run called one by one,
 * so the test sees the output folder between tasks. Each publish after a task writes the contiguous done prefix,
 * never a shorter one than is published (a done task put back to pending shortens the prefix in the ledger, not
 * in the playlists), and the finish writes the VOD playlists over the EVENT ones.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { publishDonePrefix } from '../../src/app/outputs/ladder/publish-early.js';
import { createJob } from '../../src/app/run-job.js';
import { encodeStep, finishStep, mergeStep, startRun } from '../../src/app/run-steps.js';
import { requeueLostTask } from '../../src/app/transitions.js';
import { makeLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { parseTranscodeOptions } from '../../src/runtime/transcode-options.js';
import { makeClip, tempDir } from '../support/media.js';

describe('early publish between the tasks of a run', () => {
  const t = tempDir('shardcast-early-steps-');
  const rt = makeLocalRuntime({ stateDir: join(t.dir, 'state'), env: process.env });
  after(async () => {
    await rt.close();
    t.cleanup();
  });

  it('publishes each longer prefix as an EVENT playlist, never a shorter one, and VOD at the end', async () => {
    const clip = makeClip(join(t.dir, 'clip.mp4'), { seconds: 6, size: '160x90', rate: 10, gop: 10, noise: 0 });
    const output = join(t.dir, 'hls', 'master.m3u8');
    const flags = { ladder: '90', segmentDuration: '1', preset: 'ultrafast', workers: '1', publishEarly: true };
    const { deps } = rt;
    await createJob(deps, { id: 'early1', backend: 'local', source: clip, output, options: parseTranscodeOptions(flags, output) });
    const plan = await startRun(deps, 'early1');
    const playlist = join(t.dir, 'hls', 'v90', 'index.m3u8');
    const published = () => (existsSync(playlist) ? (readFileSync(playlist, 'utf8').match(/#EXTINF/g)?.length ?? 0) : 0);
    assert.equal(plan.todo[0]?.kind, 'audio', 'the audio task first: nothing plays without it');
    assert.deepEqual(
      plan.todo.filter((x) => x.kind === 'video').map((x) => x.index),
      [0, 1, 2],
      'timeline order',
    );
    const counts: number[] = [];
    for (const task of plan.todo) {
      await encodeStep(deps, task);
      await publishDonePrefix(deps, 'early1');
      counts.push(published());
    }
    // Audio: nothing yet; then tasks of 1, 2 and 3 media segments.
    assert.deepEqual(counts, [0, 1, 3, 6]);
    const event = readFileSync(playlist, 'utf8');
    assert.match(event, /#EXT-X-PLAYLIST-TYPE:EVENT/);
    assert.doesNotMatch(event, /#EXT-X-ENDLIST/);
    assert.ok(existsSync(output), 'the master playlist is there with the first prefix');
    assert.ok(existsSync(join(t.dir, 'hls', 'v90', 'init.mp4')));

    // The second task's files went missing (a resume would encode it again): the prefix in the ledger is the
    // first task's one segment, and the six segments published stay published.
    const second = (await deps.ledger.listTasks('early1')).find((x) => x.kind === 'video' && x.index === 1)!;
    await requeueLostTask(deps.ledger, second);
    await publishDonePrefix(deps, 'early1');
    assert.equal(readFileSync(playlist, 'utf8'), event);
    const published1 = (await deps.ledger.listEvents('early1')).filter((e) => e.type === 'job.published');
    assert.equal(published1.length, 1, 'one job.published event: the first prefix');

    await encodeStep(deps, { jobId: 'early1', kind: 'video', index: 1 });
    await mergeStep(deps, 'early1');
    const done = await finishStep(deps, 'early1');
    assert.equal(done.status, 'done');
    assert.equal(typeof done.timings.firstPlayableMs, 'number');
    const vod = readFileSync(playlist, 'utf8');
    assert.match(vod, /#EXT-X-PLAYLIST-TYPE:VOD[\s\S]*#EXT-X-ENDLIST\n$/);
    assert.equal(vod.match(/#EXTINF/g)?.length, 6);
  });
});
