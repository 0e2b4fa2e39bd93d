/**
 * Analyze: one ffprobe for streams and format plus one packet scan of the video stream (no decode), a scan for
 * scene changes where the plan cuts (one decode at low resolution), then the segment plan, written once to the
 * ledger. Over 300 lines: the stages of one analysis, each a short function, read top to bottom.
 */
import {
  buildFirstDecodedArgs,
  buildFirstFramesArgs,
  buildFrameScanArgs,
  buildPacketScanArgs,
  buildProbeArgs,
  parseFirstDecoded,
} from '../core/probe-args.js';
import { cutMethodFor } from '../core/cut-policy.js';
import { ConditionFailedError, FfmpegError, InputError } from '../core/errors.js';
import { defaultSegmentSeconds } from '../core/plan-segments.js';
import { buildAnalysis, parseProbeJson, pickVideoStream } from '../core/probe-parse.js';
import {
  fromFirstDecoded,
  joinIntervalScans,
  needsFrameScan,
  parseFrameScan,
  parsePacketScan,
  scanBoundaries,
  seekableForScan,
  type PacketScan,
} from '../core/packet-scan.js';
import { parseFirstFrames } from '../core/hdr-side-data.js';
import { buildSceneScanArgs, parseSceneScan, sceneCutFrames } from '../core/scene-cuts.js';
import type { ToolRunResult } from '../ports/media-tool.js';
import { tasksOfPlan } from '../core/task-keys.js';
import { withThumbnails } from '../core/thumbnails.js';
import { chooseOutputFormat } from '../core/output-format.js';
import type { JobRecord, MediaAnalysis } from '../core/types.js';
import { outputKindOf } from './outputs/output-kind.js';
import { calibrateEncode } from './calibrate-encode.js';
import type { AppDeps } from './deps.js';
import { emit } from './deps.js';
import { beginAnalysis, finishAnalysis, fixAnalyzedOptions } from './transitions.js';

function firstErrorLine(stderr: string): string {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? '';
  return line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, '').replace(/^file:/, '');
}

export async function analyzeSource(deps: AppDeps, source: string): Promise<MediaAnalysis> {
  const size = await deps.sourceSize(source);
  const location = await deps.readableSource(source);
  if (size === 0) throw new InputError('the source is an empty file');
  // The packet scan runs beside the stream probe (it does not need the probe's answer); the frame scan, for the
  // codecs that need one, starts as soon as the probe names the video stream. Every early exit waits for the
  // scan to end, so no ffprobe outlives the call.
  // A large source in an indexed container may be scanned in intervals at once, which needs the probe's
  // format and duration first; any other source is scanned in one read, started at once.
  const byIntervals = deps.parallelScan !== undefined && deps.parallelScan.ranges > 1 && (size ?? 0) >= deps.parallelScan.minBytes;
  const scanRun = byIntervals ? undefined : deps.media.run('ffprobe', buildPacketScanArgs(location));
  const scanSettled = scanRun?.then(
    () => undefined,
    () => undefined,
  );
  let vs: ReturnType<typeof pickVideoStream>;
  let json: ReturnType<typeof parseProbeJson>;
  let frames: Awaited<typeof scanRun> | undefined;
  let firstFrames: Awaited<typeof scanRun> | undefined;
  try {
    const probe = await deps.media.run('ffprobe', buildProbeArgs(location), { maxStdoutBytes: 64 * 1024 * 1024 });
    if (probe.exitCode !== 0) {
      const why = firstErrorLine(probe.stderrTail);
      throw new InputError(`not a readable media file${why ? `: ${why}` : ''}`);
    }
    json = parseProbeJson(probe.stdout);
    vs = pickVideoStream(json);
    if (!vs) return buildAnalysis(json, [], size ?? 0); // throws the no-video InputError
    // HDR10 SEI and Dolby Vision RPU live in the frames: a few are decoded beside the scans.
    const [frameScan, first] = await Promise.allSettled([
      needsFrameScan(vs.codec_name ?? '', vs.field_order) ? deps.media.run('ffprobe', buildFrameScanArgs(location, vs.index)) : undefined,
      deps.media.run('ffprobe', buildFirstFramesArgs(location, vs.index)),
    ]);
    if (frameScan.status === 'rejected') throw frameScan.reason;
    frames = frameScan.value;
    firstFrames = first.status === 'fulfilled' ? first.value : undefined;
  } finally {
    await scanSettled;
  }
  const { scan, packets: joined } = scanRun
    ? { scan: await scanRun, packets: undefined }
    : await scanByIntervals(deps, location, json, vs.index);
  for (const r of [scan, frames]) {
    if (r && r.exitCode !== 0) throw new InputError(`cannot read the source's packets: ${firstErrorLine(r.stderrTail)}`);
  }
  const readError = [scan, frames].find((r) => r && READ_ERROR.test(r.stderrTail));
  if (!readError && /partial file|moov atom not found|Invalid data found/i.test(scan.stderrTail)) {
    throw new InputError(`the source is truncated or damaged: ${firstErrorLine(scan.stderrTail)}`);
  }
  const packets = joined ?? parsePacketScan(scan.stdout, vs.index);
  const sideData = firstFrames && firstFrames.exitCode === 0 ? parseFirstFrames(firstFrames.stdout) : [];
  // A read over http(s) that a dropped connection ended early (the reconnects could not mend it) exits 0 with
  // the packets read so far: never taken as the whole source, nor called a damaged file. Worth another attempt.
  const cutShort = () =>
    new FfmpegError(`the source's read was cut short: ${firstErrorLine(readError!.stderrTail)}`, {
      tool: 'ffprobe',
      exitCode: readError!.exitCode,
      stderrTail: readError!.stderrTail,
    });
  if (!frames && packets.videoWithoutPts) {
    // Decode times only (AVI): the frames' own times, B-frames reordered, are what a decode gives.
    const scanned = await deps.media.run('ffprobe', buildFrameScanArgs(location, vs.index));
    if (scanned.exitCode === 0) frames = scanned;
  }
  let video = frames ? parseFrameScan(frames.stdout) : packets.video;
  if (!frames && video[0] && !video[0].key) {
    // The earliest frame is no keyframe: the source may begin mid-GOP. What decodes begins where a decoder's
    // first frame is (one decode, up to that frame; a source that begins on a keyframe never pays it).
    const first = await deps.media.run('ffmpeg', buildFirstDecodedArgs(location, vs.index));
    const at = first.exitCode === 0 ? parseFirstDecoded(first.stdout) : undefined;
    if (at !== undefined) video = fromFirstDecoded(video, at);
  }
  let analysis: MediaAnalysis;
  try {
    analysis = buildAnalysis(json, video, size ?? 0, packets.streamEnds, sideData);
  } catch (err) {
    throw readError && err instanceof InputError ? cutShort() : err;
  }
  if (readError && endsShort(analysis, packets.streamEnds)) throw cutShort();
  return analysis;
}

/**
 * The packet scan in deps.parallelScan.ranges interval reads at once, joined as one read would give it
 * (joinIntervalScans); where the container has no index, a read failed, or the join cannot prove it covered
 * every packet, the whole source is scanned in one read as before. The returned `scan` stands for the reads'
 * exit status and messages (the last interval's: it reads to the end of the file).
 */
async function scanByIntervals(
  deps: AppDeps,
  location: string,
  json: ReturnType<typeof parseProbeJson>,
  videoStream: number,
): Promise<{ scan: ToolRunResult; packets?: PacketScan }> {
  const ranges = deps.parallelScan!.ranges;
  const start = Number(json.format?.start_time ?? 0) || 0;
  const duration = Number(json.format?.duration);
  if (seekableForScan(json.format?.format_name ?? '') && Number.isFinite(duration) && duration > 0) {
    const b = scanBoundaries(start, duration, ranges);
    const runs = await Promise.all(
      Array.from({ length: ranges }, (_, i) =>
        deps.media.run(
          'ffprobe',
          buildPacketScanArgs(location, {
            ...(i > 0 ? { from: b[i - 1]! } : {}),
            ...(i < ranges - 1 ? { to: b[i]! } : {}),
          }),
        ),
      ),
    );
    const clean = runs.every(
      (r) =>
        r.exitCode === 0 && !READ_ERROR.test(r.stderrTail) && !/partial file|moov atom not found|Invalid data found/i.test(r.stderrTail),
    );
    const packets = clean
      ? joinIntervalScans(
          runs.map((r) => r.stdout),
          videoStream,
          b,
        )
      : undefined;
    if (packets) return { scan: { ...runs[ranges - 1]!, stdout: '' }, packets };
  }
  return { scan: await deps.media.run('ffprobe', buildPacketScanArgs(location)) };
}

/** What ffmpeg's http reader says when a connection drops or the server fails (a reconnect may mend it). */
const READ_ERROR = /Stream ends prematurely|Connection reset by peer|Input\/output error|Server returned 5\d\d/i;

/** Whether the scanned streams end well before the container says the source does. */
function endsShort(a: MediaAnalysis, streamEnds: Map<number, number>): boolean {
  if (!a.durationFromContainer) return false;
  const t = a.video.frameTimes;
  const end = Math.max(t[t.length - 1]! + a.video.lastFrameDuration, ...streamEnds.values());
  return end < a.startTime + a.duration - Math.max(0.5, 0.02 * a.duration);
}

/** A target below this is not timed: a segment that short finishes in any function timeout worth deploying. */
const UNTIMED_TARGET_SECONDS = 15;
/** A segment is planned to take at most this share of the time limit (the rest: start-up, reads, uploads, slower content). */
const SEGMENT_TIME_SHARE = 0.5;

/**
 * The segment target, kept short enough that one segment's encode finishes inside deps.segmentTimeLimit
 * (a function's 900 s at most): a few seconds of the source are encoded here with the job's settings and the
 * functions' threads, as a segment would be, and the target is lowered where that speed says it must.
 */
async function segmentTarget(deps: AppDeps, job: JobRecord, analysis: MediaAnalysis, target: number): Promise<number> {
  const limit = deps.segmentTimeLimit;
  if (!limit || target <= UNTIMED_TARGET_SECONDS) return target;
  // An earlier analysis that wrote the tasks stored the target it planned them with (a lowered one) in the
  // options first: plan with that, untimed (a new timing could differ; the plan must match those tasks).
  if ((await deps.ledger.taskProgress(job.id)).videoTotal > 0) return target;
  const threads = limit.threads ?? job.options.threadsPerWorker;
  const sample = await calibrateEncode(deps, job.source, analysis, job.options.profile, {
    seconds: Math.min(4, Math.max(1, analysis.duration / 4)),
    threads,
    scratchId: `${job.id}timing`,
  });
  // Timed at the source's size, scaled by what the output kind's task does more (a ladder: every rung's pixels).
  const perSourceSecond =
    (sample.wallMs / 1000 / Math.max(1e-3, sample.sourceSeconds)) *
    outputKindOf(job.options.profile).workFactor(analysis, job.options.profile);
  const most = Math.max(1, Math.floor((limit.seconds * SEGMENT_TIME_SHARE) / Math.max(1e-6, perSourceSecond)));
  if (most >= target) return target;
  await emit(
    deps,
    job.id,
    'job.segment-limit',
    `segment target ${target} s lowered to ${most} s: a segment must encode inside the ${limit.seconds} s function timeout, and this source encodes at ${perSourceSecond.toFixed(2)} s per second of source with ${threads} thread(s) (timed on ${sample.sourceSeconds.toFixed(1)} s)`,
    {
      requested: target,
      planned: most,
      secondsPerSourceSecond: perSourceSecond,
    },
  );
  return most;
}

/**
 * A scan that has not ended after this long is stopped and the plan made without it: on 2 cores it reads about
 * 12 s of 720p H.264 or 7 s of 1080p HEVC per second, so this covers sources of 20-35 minutes here and keeps
 * an analysis inside a function's timeout.
 */
const SCENE_SCAN_TIMEOUT_MS = 180_000;

/**
 * The source's scene changes (scene-cuts.ts), for a plan that cuts the source into a single file: a ladder cuts
 * on its media-segment grid, and a source the target leaves in one piece has no cut to place. A scan that fails
 * or runs too long leaves the analysis as it is, and the job says so: the plan cuts on keyframes as before.
 */
async function withSceneCuts(deps: AppDeps, job: JobRecord, analysis: MediaAnalysis, target: number): Promise<MediaAnalysis> {
  // outputKindOf is the one place that tells the kinds apart; the ladder is the kind that plans its own grid.
  if (job.options.profile.ladder || analysis.duration < target * 1.5) return analysis;
  const v = analysis.video;
  let why: string;
  try {
    const location = await deps.readableSource(job.source);
    const r = await deps.media.run('ffmpeg', buildSceneScanArgs(location, v.streamIndex), { timeoutMs: SCENE_SCAN_TIMEOUT_MS });
    if (r.exitCode === 0) return { ...analysis, video: { ...v, sceneCuts: sceneCutFrames(v.frameTimes, parseSceneScan(r.stdout)) } };
    why = r.signal ? `stopped after ${Math.round(r.wallMs / 1000)} s` : firstErrorLine(r.stderrTail) || `ffmpeg exit ${r.exitCode}`;
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }
  await emit(deps, job.id, 'job.notice', `no scene changes found (${why}): segments are cut on keyframes and by time alone`);
  return analysis;
}

/** Moves a created job through analysis to `encoding`, with its plan and tasks in the ledger. */
export async function analyzeJob(deps: AppDeps, jobId: string): Promise<JobRecord> {
  const started = deps.clock();
  let job = await beginAnalysis(deps.ledger, jobId, started);
  await emit(deps, jobId, 'job.analyzing', 'analyzing the source');
  const probed = await analyzeSource(deps, job.source);
  let opts = job.options;
  /** No length asked for (nor stored by an earlier analysis of this job): the planner picks the target. */
  const chosen = opts.segmentSeconds === undefined;
  const requested = opts.segmentSeconds ?? defaultSegmentSeconds(probed.duration, opts.workers);
  const target = await segmentTarget(deps, job, probed, requested);
  const analysis = await withSceneCuts(deps, job, probed, target);
  if (target !== requested) {
    opts = { ...opts, segmentSeconds: target };
    job = await fixAnalyzedOptions(deps.ledger, jobId, opts);
  }
  // A target the planner chose (none asked for) is planned at a count that fills the rounds of segments encoded at
  // once: 161 segments at 40 ran 5 rounds, the last holding one. Lowered for a time limit, it may only get shorter.
  const waves = chosen ? { waveWidth: opts.workers, ...(target < requested ? { maxTargetSeconds: target } : {}) } : undefined;
  const planned = await outputKindOf(opts.profile).plan(deps, job, analysis, target, waves);
  const { plan, media } = planned;
  if (planned.options !== opts) {
    opts = planned.options;
    job = await fixAnalyzedOptions(deps.ledger, jobId, opts);
  } else if (waves && plan.targetSeconds !== target) {
    // Kept, so that an analysis run again (a restart before the plan was stored) plans these same tasks.
    opts = { ...opts, segmentSeconds: plan.targetSeconds };
    job = await fixAnalyzedOptions(deps.ledger, jobId, opts);
  }
  const tasks = withThumbnails(tasksOfPlan(jobId, analysis, plan, opts.profile, media), analysis.video, opts.thumbnails);
  try {
    await deps.ledger.putTasks(tasks);
  } catch (err) {
    // An earlier analysis of this job wrote its tasks and stopped before the plan: the plan is the same (same
    // source, same options, the same target), so those tasks stand.
    if (!(err instanceof ConditionFailedError)) throw err;
  }
  const analyzeMs = deps.clock() - started;
  job = await finishAnalysis(deps.ledger, jobId, { analysis, plan, timings: { ...job.timings, analyzeMs } });
  const format = chooseOutputFormat(analysis.video, opts.profile);
  await emit(
    deps,
    jobId,
    'job.format',
    `output ${format.pixelFormat}${format.fullRange ? ', full range' : ''}${format.hdr ? ', HDR10 metadata kept' : ''} (source ${analysis.video.pixelFormat}${analysis.video.color.transfer ? `, ${analysis.video.color.transfer}` : ''})`,
    {
      pixelFormat: format.pixelFormat,
      fullRange: format.fullRange,
      hdr10: !!format.hdr,
    },
  );
  for (const n of [...format.notices, ...(plan.notices ?? [])]) await emit(deps, jobId, 'job.notice', n);
  const cut = cutMethodFor(analysis);
  if (cut.reason) await emit(deps, jobId, 'job.cutting', `segments are read by ${cut.method}: ${cut.reason}`, { method: cut.method });
  const scenes = new Set(analysis.video.sceneCuts);
  const onScenes = plan.segments.filter((s) => scenes.has(s.startFrame)).length;
  const sceneNote = analysis.video.sceneCuts ? `, ${onScenes} cut(s) on the ${scenes.size} scene change(s) found` : '';
  await emit(
    deps,
    jobId,
    'job.planned',
    `${plan.segments.length} segments of about ${plan.targetSeconds} s${planned.note}, ${plan.totalFrames} frames${sceneNote}`,
    {
      segments: plan.segments.length,
      frames: plan.totalFrames,
      targetSeconds: target,
      ...(analysis.video.sceneCuts ? { sceneChanges: scenes.size, cutsOnSceneChanges: onScenes } : {}),
    },
  );
  return job;
}
