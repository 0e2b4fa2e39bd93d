/**
 * A targeted job (`--target-quality vmaf:93`) written straight into a ledger, for the dashboard's test and
 * docs/job-page-target.png: six segments of 100 frames whose CRF searches ended in band, above it (the CRF range
 * ran out at --max-crf) and below it (at --min-crf); with `running`, the last one still searches (two probes so
 * far) and the job is encoding; done, it has a quality report (frame values made up: each segment's PSNR follows
 * its score, a dip at every cut). The records are what the encode side writes (TaskRecord.quality); no ffmpeg runs.
 */
import { buildQualityReport } from '../../../src/core/quality-report.js';
import type { Ledger } from '../../../src/ports/ledger.js';
import type {
  JobRecord,
  QualityReport,
  QualityTarget,
  QualityTrial,
  SegmentPlan,
  SegmentQuality,
  TaskRecord,
} from '../../../src/core/types.js';

export const TARGET: QualityTarget = { metric: 'vmaf', value: 93, band: 1, minCrf: 18, maxCrf: 40 };

const FPS = 25;
const FRAMES = 100;

const trial = (kind: QualityTrial['kind'], crf: number, score: number, kb: number, ms: number): QualityTrial => ({
  kind,
  crf,
  score,
  bytes: kb * 1000,
  frames: kind === 'probe' ? 25 : FRAMES,
  ms,
  cpuSeconds: (ms / 1000) * (kind === 'probe' ? 0.9 : 1.8),
});

/** Each segment's search: its trials, the kept CRF and score, and why it is outside the band. */
export const SEGMENTS: Array<Omit<SegmentQuality, 'metric' | 'target' | 'band'>> = [
  {
    trials: [trial('probe', 23, 93.9, 140, 900), trial('probe', 26, 91.6, 95, 850), trial('encode', 24, 93.41, 512, 3100)],
    crf: 24,
    score: 93.41,
    inBand: true,
  },
  {
    trials: [trial('probe', 23, 97.8, 60, 700), trial('probe', 40, 96.1, 22, 600), trial('encode', 40, 95.84, 88, 1900)],
    crf: 40,
    score: 95.84,
    inBand: false,
    reason: 'the CRF range ran out at --max-crf 40',
  },
  {
    trials: [trial('probe', 23, 94.2, 160, 950), trial('probe', 27, 92.4, 110, 900), trial('encode', 27, 92.61, 430, 3000)],
    crf: 27,
    score: 92.61,
    inBand: true,
  },
  {
    trials: [trial('probe', 23, 86.9, 420, 1200), trial('probe', 18, 88.9, 780, 1300), trial('encode', 18, 88.2, 2950, 4800)],
    crf: 18,
    score: 88.2,
    inBand: false,
    reason: 'the CRF range ran out at --min-crf 18',
  },
  {
    trials: [trial('probe', 23, 93.5, 150, 900), trial('encode', 23, 93.12, 620, 3200)],
    crf: 23,
    score: 93.12,
    inBand: true,
  },
  {
    trials: [trial('probe', 23, 91.7, 210, 1000), trial('probe', 21, 93.2, 260, 1050), trial('encode', 21, 92.88, 1010, 3600)],
    crf: 21,
    score: 92.88,
    inBand: true,
  },
];

/** Writes the job and its tasks; `running`: the last segment is still searching (its first two trials done). */
export async function writeTargetedJob(
  ledger: Ledger,
  o: { id: string; source: string; output: string; now: number; running?: boolean },
): Promise<void> {
  const segments = SEGMENTS.map((_, index) => ({
    index,
    startFrame: index * FRAMES,
    frameCount: FRAMES,
    startTime: (index * FRAMES) / FPS,
    endTime: ((index + 1) * FRAMES) / FPS,
    startsOnKeyframe: true,
  }));
  const sizes = SEGMENTS.map((s) => s.trials[s.trials.length - 1]!.bytes);
  const done = !o.running;
  const plan: SegmentPlan = {
    segments,
    targetSeconds: 4,
    totalFrames: segments.length * FRAMES,
    encodeOrder: segments.map((s) => s.index),
  };
  const job: JobRecord = {
    id: o.id,
    status: done ? 'done' : 'encoding',
    backend: 'local',
    source: o.source,
    output: o.output,
    options: {
      profile: { container: 'mp4', videoCodec: 'h264', crf: 23, preset: 'medium', audioCodec: 'none', target: TARGET },
      segmentSeconds: 4,
      workers: 2,
      threadsPerWorker: 1,
      maxAttempts: 3,
      verify: true,
    },
    createdAt: o.now - 21_000,
    updatedAt: o.now,
    startedAt: o.now - 20_000,
    ...(done ? { finishedAt: o.now } : {}),
    timings: done ? { analyzeMs: 800, encodeMs: 15_500, mergeMs: 300, verifyMs: 200, totalMs: 20_000 } : { analyzeMs: 800 },
    plan,
    ...(done
      ? {
          result: {
            frames: segments.length * FRAMES,
            videoDuration: (segments.length * FRAMES) / FPS,
            sizeBytes: sizes.reduce((a, b) => a + b, 0),
            quality: reportOf(plan, sizes),
          },
        }
      : {}),
  } as JobRecord;
  await ledger.createJob(job);
  await ledger.putTasks(
    segments.map((s) => ({
      jobId: o.id,
      kind: 'video' as const,
      index: s.index,
      key: `${o.id}/v${String(s.index).padStart(5, '0')}`,
      startFrame: s.startFrame,
      frameCount: s.frameCount,
      startTime: s.startTime,
      endTime: s.endTime,
      outputKey: `${o.id}/v${String(s.index).padStart(5, '0')}.mp4`,
    })),
  );
  // Two workers, each taking the next segment when its last one ends (their events draw the timeline).
  const lanes = [o.now - 19_000, o.now - 19_000];
  for (const [index, s] of SEGMENTS.entries()) {
    const id = { jobId: o.id, kind: 'video' as const, index };
    const lane = lanes[0]! <= lanes[1]! ? 0 : 1;
    const startedAt = lanes[lane]!;
    const worker = `encoder-host:4242/${lane + 1}`;
    const key = `${o.id}/v${String(index).padStart(5, '0')}`;
    const quality: SegmentQuality = { metric: TARGET.metric, target: TARGET.value, band: TARGET.band, ...s };
    const last = index === SEGMENTS.length - 1;
    await ledger.appendEvent({
      jobId: o.id,
      at: startedAt,
      type: 'task.started',
      message: `segment ${index}: attempt 1 on ${worker}`,
      data: { key, attempt: 1 },
    });
    if (last && o.running) {
      await ledger.transitionTask(id, ['pending'], 'running', {
        attempts: 1,
        worker,
        startedAt,
        heartbeatAt: o.now,
        quality: { metric: quality.metric, target: quality.target, band: quality.band, trials: s.trials.slice(0, 2) },
      });
      continue;
    }
    await ledger.transitionTask(id, ['pending'], 'running', { attempts: 1, worker, startedAt });
    const wallMs = s.trials.reduce((ms, t) => ms + t.ms, 0);
    lanes[lane] = startedAt + wallMs;
    await ledger.transitionTask(id, ['running'], 'done', {
      finishedAt: startedAt + wallMs,
      wallMs,
      cpuSeconds: s.trials.reduce((c, t) => c + t.cpuSeconds, 0),
      sizeBytes: sizes[index]!,
      quality,
    });
    await ledger.appendEvent({
      jobId: o.id,
      at: startedAt + wallMs,
      type: 'task.done',
      message: `segment ${index} done in ${(wallMs / 1000).toFixed(1)} s`,
      data: { key },
    });
  }
}

/** A made-up report: a segment's frames at 40 dB plus a tenth of its VMAF over 90, each cut's last frame 2 dB down. */
function reportOf(plan: SegmentPlan, sizes: number[]): QualityReport {
  const psnr: number[] = [];
  const ssim: number[] = [];
  for (const [i, s] of SEGMENTS.entries())
    for (let f = 0; f < FRAMES; f++) {
      psnr.push(40 + (s.score! - 90) / 2 - (f === FRAMES - 1 ? 2 : 0) + (f % 5) * 0.1);
      ssim.push(0.97 + (s.score! - 90) / 500 + (i % 2) * 0.001);
    }
  const tasks = SEGMENTS.map(
    (s, index) =>
      ({
        kind: 'video',
        index,
        sizeBytes: sizes[index],
        quality: { metric: TARGET.metric, target: TARGET.value, band: TARGET.band, ...s },
      }) as TaskRecord,
  );
  return buildQualityReport(
    { psnr, ssim },
    plan,
    Array.from({ length: plan.totalFrames }, (_, i) => i / FPS),
    tasks,
  );
}
