/**
 * Progress on stderr: a one-line bar on a TTY (segments and frames done, encode fps, elapsed, ETA), plain lines
 * otherwise (one per finished segment, and one at least every 10 s while the job works). Reads the ledger, plus
 * live frame counts from running encodes.
 *
 * The rate is measured, not assumed: frames encoded in the last 30 s over those 30 s (RateMeter), counting only
 * frames this run encoded (a resumed job's done segments are not its speed), with no ETA until 4 s of encoding
 * have been seen. After the encodes the line names the step (merging, verifying).
 */
import type { TaskProgress } from '../app/deps.js';
import type { JobStatus } from '../core/types.js';
import { plural } from '../core/words.js';
import type { Ledger } from '../ports/ledger.js';

export function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Frames a second over a sliding window of readings of a growing frame count. */
export class RateMeter {
  private samples: Array<{ at: number; frames: number }> = [];

  constructor(
    private readonly windowMs = 30_000,
    /** No rate until the readings span this long. */
    private readonly minSpanMs = 4_000,
  ) {}

  add(at: number, frames: number): void {
    this.samples.push({ at, frames });
    // Keep one reading at or before the window's start, so the window is always full once it can be.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  /** Frames a second, or undefined until the readings span minSpanMs (or nothing moved yet). */
  rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < this.minSpanMs) return undefined;
    const rate = (last.frames - first.frames) / ((last.at - first.at) / 1000);
    return rate > 0 ? rate : undefined;
  }
}

export interface ProgressState {
  segmentsDone: number;
  segmentsTotal: number;
  frames: number;
  framesTotal: number;
  /** Frames a second measured over the window; undefined until known. */
  fps: number | undefined;
  elapsedMs: number;
  /** The job's step once its encodes are done (merging, verifying), or before (analyzing). */
  step?: JobStatus | undefined;
}

/** The words of one progress reading, without the bar. Pure. */
export function progressText(p: ProgressState): string {
  const elapsed = `elapsed ${formatClock(p.elapsedMs)}`;
  const segments = `${p.segmentsDone}/${plural(p.segmentsTotal, 'segment')}`;
  if (p.step && p.step !== 'encoding') return `${segments}, ${p.step}  ${elapsed}`;
  const eta = p.fps ? formatClock(((p.framesTotal - p.frames) / p.fps) * 1000) : '--:--';
  const fps = p.fps ? `${p.fps.toFixed(1)} fps` : '-- fps';
  return `${segments}  ${p.frames}/${p.framesTotal} frames  ${fps}  ${elapsed}  ETA ${eta}`;
}

export class ProgressReporter {
  private live = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private started = Date.now();
  private lastDone = -1;
  private lastLineAt = 0;
  private jobId: string | undefined;
  private ledger: Ledger | undefined;
  private meter = new RateMeter();
  /** Frames done when this run first read the job: a resumed job's earlier work is not this run's rate. */
  private baseline: number | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly enabled: boolean,
    private readonly clock: () => number = Date.now,
    /** Without a TTY: at least one line this often while the job works. */
    private readonly lineEveryMs = 10_000,
  ) {}

  onProgress = (p: TaskProgress): void => {
    this.live.set(p.key, p.frames);
  };

  /** Follows the job in this ledger (the home's) from now on. */
  start(ledger: Ledger, jobId: string): void {
    this.ledger = ledger;
    this.jobId = jobId;
    this.started = this.clock();
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.tick(), this.out.isTTY ? 500 : 1000);
    this.timer.unref();
  }

  /** Reads the ledger once and prints what it shows (exported for tests). */
  async tick(): Promise<void> {
    const ledger = this.ledger;
    if (!this.jobId || !ledger) return;
    // Counts, not the task list: on DynamoDB one small read of the job item per tick, where reading every task
    // (7,200 for 2 h in 1 s segments) would be thousands of read units twice a second.
    const counts = await ledger.taskProgress(this.jobId).catch(() => undefined);
    if (!counts) return;
    const now = this.clock();
    let frames = counts.framesDone;
    // Live frame counts come from encodes this process runs or hears of (local workers, a cluster's reports).
    if (this.live.size > 0) {
      const running = (await ledger.listTasks(this.jobId).catch(() => [])).filter((t) => t.kind === 'video' && t.status === 'running');
      for (const t of running) frames += Math.min(t.frameCount, this.live.get(t.key) ?? t.progress?.frames ?? 0);
    }
    const encoding = counts.videoTotal > 0 && counts.videoDone < counts.videoTotal;
    // The step is read only where the counts cannot tell it: before the plan, and after the last segment.
    const step = encoding ? undefined : (await ledger.getJobHead(this.jobId).catch(() => undefined))?.status;
    if (counts.videoTotal > 0) {
      this.baseline ??= counts.framesDone;
      this.meter.add(now, frames - this.baseline);
    }
    const done = step === 'done';
    this.print(
      {
        segmentsDone: counts.videoDone,
        segmentsTotal: counts.videoTotal,
        frames,
        framesTotal: counts.framesTotal,
        // The last line of a done job: the encodes' rate over this run (the window may hold none of them).
        fps: done ? await this.encodeRate(ledger, this.jobId) : this.meter.rate(),
        elapsedMs: now - this.started,
        step: done ? undefined : step,
      },
      done,
    );
  }

  /** Frames a second of the segments this run encoded: their frames over the span from first start to last end. */
  private async encodeRate(ledger: Ledger, jobId: string): Promise<number | undefined> {
    const ours = (await ledger.listTasks(jobId).catch(() => [])).filter(
      (t) => t.kind === 'video' && t.status === 'done' && (t.startedAt ?? 0) >= this.started && t.finishedAt !== undefined,
    );
    if (!ours.length) return undefined;
    const span = Math.max(...ours.map((t) => t.finishedAt!)) - Math.min(...ours.map((t) => t.startedAt!));
    const frames = ours.reduce((n, t) => n + t.frameCount, 0);
    return span > 0 ? frames / (span / 1000) : undefined;
  }

  private print(p: ProgressState, last = false): void {
    // Nothing once the job failed or stopped (its error line says it), nor for an analysis that ends soon.
    if (p.step === 'failed' || p.step === 'cancelled' || p.step === 'created') return;
    if (p.segmentsTotal === 0 && (!p.step || p.elapsedMs < this.lineEveryMs)) return;
    const text = progressText(p);
    const now = this.clock();
    if (this.out.isTTY) {
      const width = 24;
      const fill = Math.round((p.frames / Math.max(1, p.framesTotal)) * width);
      const bar = '#'.repeat(fill) + '-'.repeat(width - fill);
      this.out.write(`\r\x1b[2K[${bar}] ${text}`);
    } else if (last || p.segmentsDone !== this.lastDone || now - this.lastLineAt >= this.lineEveryMs) {
      this.out.write(`${text}\n`);
      this.lastLineAt = now;
    }
    this.lastDone = p.segmentsDone;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.enabled) await this.tick();
    if (this.enabled && this.out.isTTY) this.out.write('\n');
  }
}
