/**
 * Progress on stderr: a one-line bar on a TTY (segments done/total, encode fps, elapsed, ETA), plain lines
 * otherwise (one per finished segment). Reads the ledger, plus live frame counts from running encodes.
 */
import type { TaskProgress } from '../app/deps.js';
import type { Ledger } from '../ports/ledger.js';

export function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class ProgressReporter {
  private live = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private started = Date.now();
  private lastDone = -1;
  private jobId: string | undefined;
  private ledger: Ledger | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly enabled: boolean,
  ) {}

  onProgress = (p: TaskProgress): void => {
    this.live.set(p.key, p.frames);
  };

  /** Follows the job in this ledger (the home's) from now on. */
  start(ledger: Ledger, jobId: string): void {
    this.ledger = ledger;
    this.jobId = jobId;
    this.started = Date.now();
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.tick(), this.out.isTTY ? 500 : 1000);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const ledger = this.ledger;
    if (!this.jobId || !ledger) return;
    // Counts, not the task list: on DynamoDB one small read of the job item per tick, where reading every task
    // (7,200 for 2 h in 1 s segments) would be thousands of read units twice a second.
    const counts = await ledger.taskProgress(this.jobId).catch(() => undefined);
    if (!counts || counts.videoTotal === 0) return;
    const total = counts.videoTotal;
    const done = { length: counts.videoDone };
    const totalFrames = counts.framesTotal;
    let frames = counts.framesDone;
    // Live frame counts come from encodes in this process (the local backend), whose ledger is a local file.
    if (this.live.size > 0) {
      const running = (await ledger.listTasks(this.jobId).catch(() => [])).filter((t) => t.kind === 'video' && t.status === 'running');
      for (const t of running) frames += Math.min(t.frameCount, this.live.get(t.key) ?? 0);
    }
    const elapsed = Date.now() - this.started;
    const fps = frames / Math.max(0.001, elapsed / 1000);
    const eta = fps > 0 ? ((totalFrames - frames) / fps) * 1000 : NaN;
    const etaText = Number.isFinite(eta) ? formatClock(eta) : '--:--';
    if (this.out.isTTY) {
      const width = 24;
      const fill = Math.round((frames / Math.max(1, totalFrames)) * width);
      const bar = '#'.repeat(fill) + '-'.repeat(width - fill);
      this.out.write(
        `\r\x1b[2K[${bar}] ${done.length}/${total} segments  ${fps.toFixed(1)} fps  elapsed ${formatClock(elapsed)}  ETA ${etaText}`,
      );
    } else if (done.length !== this.lastDone) {
      this.out.write(`segments ${done.length}/${total} done, ${fps.toFixed(1)} fps, elapsed ${formatClock(elapsed)}, ETA ${etaText}\n`);
    }
    this.lastDone = done.length;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.enabled) await this.tick();
    if (this.enabled && this.out.isTTY) this.out.write('\n');
  }
}
