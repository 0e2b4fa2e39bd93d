/**
 * Merge and verify: concatenate the segments by stream copy with the audio encoded once and the source's
 * other streams, verify the result against the plan, and only then move it to the output location.
 */
import { buildConcatList, isCurrentFfmpeg } from '../../../core/ffmpeg-args.js';
import { buildVerifyIndexArgs, buildVerifyScanArgs, VERIFY_HEAD_SECONDS, VERIFY_TAIL_SECONDS } from '../../../core/probe-args.js';
import { ffmpegErrorLine, VerifyError } from '../../../core/errors.js';
import { buildMergeArgs, planSubtitles } from '../../../core/merge-args.js';
import { isMp4Family } from '../../../core/profile.js';
import { buildVerifyReport } from '../../../core/verify-report.js';
import type { AnalyzedJob, VerifyReport } from '../../../core/types.js';
import type { AppDeps } from '../../deps.js';
import { emit } from '../../deps.js';
import { runFfmpeg } from '../../ffmpeg-run.js';

/**
 * ffmpeg's error lines that say an input's read was cut short or failed (http.c, the concat demuxer, the MP4
 * reader): a segment read over http(s) that ended early. A reconnect that recovered logs some of these too.
 */
const READ_ERROR =
  /partial file|Stream ends prematurely|Connection (reset|refused|timed out)|Error in the pull function|Server returned 5(\d\d|XX)|HTTP error 5\d\d|Impossible to open|Input\/output error|I\/O error/i;

/** The merge's read errors (`READ_ERROR` lines of its stderr), for the verdict after verification. */
export function mergeReadErrors(stderrTail: string): string[] {
  return stderrTail
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => READ_ERROR.test(l));
}

/**
 * Writes the merged file to `tempOut` (the blob store's temp path for the job's output); returns the error lines
 * of any segment read that was cut short.
 */
export async function mergeJob(deps: AppDeps, job: AnalyzedJob, tempOut: string): Promise<{ readErrors: string[] }> {
  const analysis = job.analysis;
  const tasks = await deps.ledger.listTasks(job.id);
  const videos = tasks.filter((t) => t.kind === 'video');
  const audio = tasks.find((t) => t.kind === 'audio');
  const entries = await Promise.all(
    videos.map(async (t) => ({ location: await deps.blobs.readLocation(t.outputKey), duration: t.endTime - t.startTime })),
  );
  const listPath = await deps.blobs.writeScratchFile(job.id, 'segments.ffconcat', buildConcatList(entries));
  const dropped = planSubtitles(analysis, job.options.profile.container).dropped;
  if (dropped.length) {
    await emit(
      deps,
      job.id,
      'job.note',
      `subtitle streams not supported by .${job.options.profile.container} were dropped: ${dropped.map((d) => `#${d.index} ${d.codec}`).join(', ')}`,
    );
  }
  const ffmpeg = (await deps.media.info()).find((t) => t.tool === 'ffmpeg');
  const args = buildMergeArgs({
    avcodecMajor: ffmpeg?.avcodecMajor ?? 0,
    analysis,
    profile: job.options.profile,
    concatListPath: listPath,
    ...(audio ? { audioPath: await deps.blobs.readLocation(audio.outputKey) } : {}),
    sourceLocation: await deps.readableSource(job.source),
    outputPath: tempOut,
  });
  const run = await runFfmpeg(deps, 'merge failed', args);
  return { readErrors: mergeReadErrors(run.stderrTail) };
}

/**
 * Verifies the merged output against the plan. An MP4/MOV output longer than the head and tail read is read by
 * its index (sample counts) plus its first and last packets: a bounded read whatever its length (0.07 s for a
 * 540 s 720p file here, where reading every packet took 0.8 s). That read can only pass an output: where it
 * finds a fault, every packet is read and that scan decides (an ffprobe whose seek lands elsewhere, as one 4.x
 * build's did on a 3 s file, then costs a second read instead of failing a good output). Matroska and WebM,
 * which index only keyframes, and short outputs have every packet read.
 */
export async function verifyOutput(deps: AppDeps, job: AnalyzedJob, path: string): Promise<VerifyReport> {
  const v = job.analysis.video;
  const expectedEnd = v.frameTimes[v.frameTimes.length - 1]! + v.lastFrameDuration - v.frameTimes[0]!;
  const tailFrom = expectedEnd - VERIFY_TAIL_SECONDS;
  const p = job.options.profile;
  const rate = 48000;
  const audioFrameSeconds =
    p.audioCodec === 'aac' ? 1024 / (job.analysis.audio[0]?.sampleRate ?? rate) : p.audioCodec === 'opus' ? 0.02 : 1024 / rate;
  const expectations = {
    analysis: job.analysis,
    plan: job.plan,
    audioFrameSeconds,
    expectAudio: p.audioCodec !== 'none' && job.analysis.audio.length > 0,
    lastDurationUnrecorded: !isMp4Family(p.container),
    lastFrameKept: isCurrentFfmpeg((await deps.media.info()).find((t) => t.tool === 'ffmpeg')?.avcodecMajor),
  };
  const read = async (method: 'index' | 'scan'): Promise<VerifyReport> => {
    const r = await deps.media.run('ffprobe', method === 'index' ? buildVerifyIndexArgs(path, tailFrom) : buildVerifyScanArgs(path));
    if (r.exitCode !== 0) throw new VerifyError(`the merged output cannot be read: ${ffmpegErrorLine(r.stderrTail)}`, ['unreadable']);
    if (/partial file/i.test(r.stderrTail))
      throw new VerifyError(`the merged output is cut short: ${ffmpegErrorLine(r.stderrTail)}`, ['truncated']);
    return buildVerifyReport(r.stdout, expectations, method);
  };
  if (isMp4Family(p.container) && tailFrom > VERIFY_HEAD_SECONDS) {
    const byIndex = await read('index');
    if (byIndex.ok) return byIndex;
  }
  return read('scan');
}
