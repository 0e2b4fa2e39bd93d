/**
 * The quality report (`transcode --quality-report`, the job page's button, `shardcast quality`): the
 * output decoded beside its source, frames paired by index (both renumbered, so no timestamp rounding can
 * pair the wrong ones; the merged file was verified to have the source's frame count), PSNR and SSIM per
 * frame, then per seam: the frames either side of every cut against the frames around it, and for a targeted
 * job (`--target-quality`) per segment: its search's CRF and score beside its frames' means. Pure: the ffmpeg
 * command, the parser of its output and the report.
 */
import { inputArgs } from './ffmpeg-args.js';
import { bandPosition, mbText, positionText, scoreText, targetLabel } from './target-text.js';
import type { QualityReport, SeamQuality, SegmentPlan, SegmentScore, TaskRecord } from './types.js';

/** Frames each side of a cut that make its neighbourhood (the seam's own two frames left out). */
export const SEAM_WINDOW_FRAMES = 12;
/** An identical frame has infinite PSNR; it counts as this (as in ../shared/tools/verify_output.py). */
export const PSNR_CAP_DB = 100;

export interface QualityArgsInput {
  outputLocation: string;
  sourceLocation: string;
  /** The output's pixel format: the source is converted to it, at the output's size, before comparing. */
  pixelFormat: string;
}

/**
 * One decode of each: the source scaled to the output's size (`scale2ref`) and both in the output's pixel
 * format, renumbered (`setpts=N`), PSNR then SSIM, every frame's values printed to stdout.
 */
export function buildQualityArgs(i: QualityArgsInput): string[] {
  const norm = `format=${i.pixelFormat},settb=AVTB,setpts=N`;
  const graph = [
    '[1:v:0][0:v:0]scale2ref=flags=bicubic[src][out]',
    `[out]${norm}[o]`,
    `[src]${norm},split[s1][s2]`,
    '[o][s1]psnr=shortest=1[p]',
    '[p][s2]ssim=shortest=1,metadata=mode=print:file=-',
  ].join(';');
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    ...inputArgs(i.outputLocation),
    ...inputArgs(i.sourceLocation),
    '-filter_complex',
    graph,
    '-fps_mode',
    'passthrough',
    '-f',
    'null',
    '-',
  ];
}

export interface FrameQuality {
  psnr: number[];
  ssim: number[];
}

/**
 * Reads the `metadata=print` lines as they arrive: a `frame:N` header, then `lavfi.psnr.psnr_avg=` and
 * `lavfi.ssim.All=` among the other keys. Line by line, so a long output is never held as text.
 */
export class QualityFrameParser {
  readonly frames: FrameQuality = { psnr: [], ssim: [] };
  private frame = -1;

  line(line: string): void {
    const head = /^frame:(\d+)/.exec(line);
    if (head) {
      this.frame = Number(head[1]);
      return;
    }
    const m = this.frame < 0 ? null : /^lavfi\.(psnr\.psnr_avg|ssim\.All)=(\S+)/.exec(line);
    if (!m) return;
    const v = m[2] === 'inf' ? PSNR_CAP_DB : Number(m[2]);
    if (!Number.isFinite(v)) return;
    if (m[1] === 'ssim.All') this.frames.ssim[this.frame] = v;
    else this.frames.psnr[this.frame] = Math.min(v, PSNR_CAP_DB);
  }
}

export function parseQualityFrames(text: string): FrameQuality {
  const p = new QualityFrameParser();
  for (const line of text.split('\n')) p.line(line);
  return p.frames;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const round = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * Whole-output figures and one entry per cut. A seam's `dip` is how far the worse of its two frames falls
 * below the mean of the frames around it (up to SEAM_WINDOW_FRAMES each side, within the two segments):
 * an IDR that costs quality, a rate-control ramp or a shifted frame shows there; the worst seam is the one
 * with the largest dip. With `tasks` (a targeted job's), one SegmentScore per video segment.
 */
export function buildQualityReport(
  q: FrameQuality,
  plan: SegmentPlan,
  frameTimes: readonly number[],
  tasks?: readonly TaskRecord[],
): QualityReport {
  const n = q.psnr.length;
  const holes = Array.from({ length: n }, (_, i) => i).filter((i) => q.psnr[i] === undefined || q.ssim[i] === undefined).length;
  if (n !== plan.totalFrames || q.ssim.length !== n || holes) {
    throw new Error(`quality measurement covered ${n} frames with ${q.ssim.length} SSIM values; the plan has ${plan.totalFrames}`);
  }
  let minFrame = 0;
  for (let i = 1; i < n; i++) if (q.psnr[i]! < q.psnr[minFrame]!) minFrame = i;
  const seams: SeamQuality[] = [];
  const segs = plan.segments;
  for (let k = 1; k < segs.length; k++) {
    const cut = segs[k]!.startFrame;
    const lo = Math.max(segs[k - 1]!.startFrame, cut - 1 - SEAM_WINDOW_FRAMES);
    const hi = Math.min(cut + segs[k]!.frameCount, cut + 1 + SEAM_WINDOW_FRAMES);
    const around = [...q.psnr.slice(lo, cut - 1), ...q.psnr.slice(cut + 1, hi)];
    const before = q.psnr[cut - 1]!;
    const after = q.psnr[cut]!;
    const aroundMean = around.length ? mean(around) : (before + after) / 2;
    seams.push({
      index: k,
      frame: cut,
      time: round(frameTimes[cut] ?? segs[k]!.startTime, 6),
      psnrBefore: round(before, 3),
      psnrAfter: round(after, 3),
      psnrAround: round(aroundMean, 3),
      dipDb: round(Math.max(0, aroundMean - Math.min(before, after)), 3),
      ssimBefore: round(q.ssim[cut - 1]!, 6),
      ssimAfter: round(q.ssim[cut]!, 6),
    });
  }
  let worst: number | undefined;
  seams.forEach((s, i) => {
    if (worst === undefined || s.dipDb > seams[worst]!.dipDb) worst = i;
  });
  return {
    frames: n,
    psnrMean: round(mean(q.psnr), 3),
    psnrMin: round(q.psnr[minFrame]!, 3),
    psnrMinFrame: minFrame,
    ssimMean: round(mean(q.ssim), 6),
    ssimMin: round(Math.min(...q.ssim), 6),
    seams,
    ...(worst !== undefined ? { worstSeam: seams[worst]!.index } : {}),
    ...(tasks ? { segments: segmentScores(q, plan, tasks) } : {}),
  };
}

/** Each segment's PSNR and SSIM means over its own frames, beside its task's search result and bytes. */
export function segmentScores(q: FrameQuality, plan: SegmentPlan, tasks: readonly TaskRecord[]): SegmentScore[] {
  return plan.segments.map((seg) => {
    const end = seg.startFrame + seg.frameCount;
    const t = tasks.find((x) => x.kind === 'video' && x.index === seg.index);
    const sq = t?.quality;
    return {
      index: seg.index,
      startFrame: seg.startFrame,
      frameCount: seg.frameCount,
      psnrMean: round(mean(q.psnr.slice(seg.startFrame, end)), 3),
      ssimMean: round(mean(q.ssim.slice(seg.startFrame, end)), 6),
      ...(sq ? { metric: sq.metric, target: sq.target, band: sq.band } : {}),
      ...(sq?.crf !== undefined ? { crf: sq.crf } : {}),
      ...(sq?.score !== undefined ? { score: sq.score } : {}),
      ...(sq?.inBand !== undefined ? { inBand: sq.inBand } : {}),
      ...(sq?.reason ? { reason: sq.reason } : {}),
      ...(t?.sizeBytes !== undefined ? { bytes: t.sizeBytes } : {}),
    };
  });
}

/**
 * Two lines for the CLI and the events: the whole output, and the worst seam (or that there is no cut); then,
 * for a targeted job, its per-segment table (segmentTable).
 */
export function describeQuality(r: QualityReport): string {
  const whole = `quality: PSNR ${r.psnrMean.toFixed(2)} dB mean (lowest ${r.psnrMin.toFixed(2)} dB, frame ${r.psnrMinFrame}), SSIM ${r.ssimMean.toFixed(4)} mean (lowest ${r.ssimMin.toFixed(4)}), ${r.frames} frames against the source`;
  const w = r.seams.find((s) => s.index === r.worstSeam);
  const seam = w
    ? `worst seam: before segment ${w.index} at ${w.time.toFixed(3)} s (frame ${w.frame}): ${w.psnrBefore.toFixed(2)} | ${w.psnrAfter.toFixed(2)} dB either side, ${w.dipDb.toFixed(2)} dB below the ${w.psnrAround.toFixed(2)} dB around it (${r.seams.length} seams)`
    : 'no seams: the output was encoded as one segment';
  return [whole, seam, ...(r.segments?.length ? segmentTable(r.segments) : [])].join('\n');
}

/**
 * A targeted job's segments as a table, one row each: CRF kept, the score its search reached, the report's own
 * PSNR and SSIM means over its frames, its bytes, and where it landed against the band (why, when outside).
 */
export function segmentTable(segs: readonly SegmentScore[]): string[] {
  const first = segs.find((s) => s.metric !== undefined);
  const metric = first?.metric;
  const head = first
    ? `per segment (target ${targetLabel({ metric: first.metric!, value: first.target!, band: first.band! })}):`
    : 'per segment:';
  const rows = segs.map((s) => {
    const p =
      s.metric && s.target !== undefined && s.band !== undefined ? bandPosition({ ...s, target: s.target, band: s.band }) : undefined;
    return [
      String(s.index),
      s.crf !== undefined ? String(s.crf) : '-',
      s.score !== undefined && s.metric ? scoreText(s.metric, s.score) : '-',
      s.psnrMean.toFixed(2),
      s.ssimMean.toFixed(4),
      s.bytes !== undefined ? mbText(s.bytes) : '-',
      p ? `${positionText(p)}${p !== 'in' && s.reason ? ` (${s.reason})` : ''}` : s.metric ? 'not scored' : 'no target',
    ];
  });
  // The search's score beside the report's own means (for a PSNR target the two PSNRs should agree).
  const header = ['segment', 'crf', metric ? `${metric} (search)` : 'score', 'psnr dB', 'ssim', 'bytes', 'band'];
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Numbers right-aligned, the last column (words) left as it is.
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padStart(w[i]!))).join('  ')}`.trimEnd();
  return [head, line(header), ...rows.map(line)];
}
