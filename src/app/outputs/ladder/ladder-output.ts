/**
 * The HLS/DASH ladder output: tasks are stretches of whole media segments (each task makes every rung of its
 * stretch, ladder-task.ts) plus the audio track; nothing is merged: the finish writes the playlists from the
 * tasks' manifests (publish-ladder.ts), the master last, and their check is the verification.
 */
import { dirname } from 'node:path/posix';
import { ladderTimeline, ladderWorkFactor, mediaSegmentStarts, planLadderTasks, resolveRungs } from '../../../core/ladder.js';
import { analyzed, ladderOf } from '../../../core/job-head.js';
import type { JobResult } from '../../../core/types.js';
import { emit } from '../../deps.js';
import { asDiskFull } from '../../disk-space.js';
import { beginVerify, recordResult } from '../../transitions.js';
import type { OutputKind } from '../output-kind.js';
import { encodeLadderAudio, encodeLadderSegment } from './ladder-task.js';
import { firstPlayableMs } from './publish-early.js';
import { publishLadder } from './publish-ladder.js';
import { publishThumbnails } from '../../thumbnails/publish-thumbnails.js';
import { storeThumbnails } from '../../thumbnails/segment-thumbnails.js';

export const ladderOutput: OutputKind = {
  workFactor: (analysis, profile) => ladderWorkFactor(analysis, profile),

  async plan(deps, job, analysis, targetSeconds) {
    const opts = job.options;
    const ladder = ladderOf(opts.profile);
    // The rungs this source gets (never upscaled), fixed in the options before the tasks are written.
    const { rungs, dropped } = resolveRungs(ladder, analysis.video, opts.profile.videoCodec);
    if (dropped.length)
      await emit(
        deps,
        job.id,
        'job.notice',
        `ladder: ${dropped.join(', ')} dropped: larger than the source (${analysis.video.width}x${analysis.video.height}); renditions are never upscaled`,
      );
    const starts = mediaSegmentStarts(analysis.video.frameTimes, ladder.segmentSeconds);
    const { plan, media } = planLadderTasks({
      frameTimes: analysis.video.frameTimes,
      keyframeIndices: analysis.video.keyframeIndices,
      lastFrameDuration: analysis.video.lastFrameDuration,
      starts,
      segmentSeconds: ladder.segmentSeconds,
      targetSeconds,
      workers: opts.workers,
      ...(opts.publishEarly ? { headFirst: true } : {}),
    });
    const fixed = { ...ladder, rungs, ...ladderTimeline(analysis, opts.profile) };
    const options = JSON.stringify(fixed) === JSON.stringify(ladder) ? opts : { ...opts, profile: { ...opts.profile, ladder: fixed } };
    const note = ` (each making ${fixed.rungs.map((r) => `${r.height}p`).join(', ')} in ${media.reduce((a, m) => a + m.starts.length, 0)} media segments of ${fixed.segmentSeconds} s)`;
    return { options, plan, media, note };
  },

  async encode(c, method) {
    const out = c.task.kind === 'video' ? await encodeLadderSegment(c, method) : await encodeLadderAudio(c);
    await storeThumbnails(c);
    return { run: out.run, file: out.manifestPath, cpuSeconds: out.cpuSeconds };
  },

  async finish(deps, merging) {
    const job = analyzed(merging);
    await emit(deps, job.id, 'job.merging', 'writing the playlists');
    const start = deps.clock();
    let result: JobResult;
    try {
      result = await publishLadder(deps, job);
      const thumbnails = await publishThumbnails(deps, job, true);
      if (thumbnails) result = { ...result, thumbnails };
    } catch (err) {
      throw await asDiskFull(deps, job, err, dirname(job.output), 'the playlists');
    }
    const mergeMs = deps.clock() - start;
    const r = result.renditions ?? [];
    const videos = r.filter((x) => x.kind === 'video');
    await emit(
      deps,
      job.id,
      'job.ladder',
      `${videos.length} video renditions (${videos
        .map((x) => `${x.height}p ${Math.round(x.averageBitrate / 1000)} kb/s avg, ${Math.round(x.peakBitrate / 1000)} peak`)
        .join('; ')}), ${r.filter((x) => x.kind === 'audio').length} audio, ${r.filter((x) => x.kind === 'subtitles').length} subtitles`,
      { renditions: r.length },
    );
    const playable = job.options.publishEarly ? await firstPlayableMs(deps, job.id) : undefined;
    await beginVerify(deps.ledger, job.id, {
      ...job.timings,
      mergeMs,
      verifyMs: 0,
      ...(playable !== undefined ? { firstPlayableMs: playable } : {}),
    });
    return recordResult(deps.ledger, job.id, { result });
  },
};
