/**
 * Scoring one encoded segment (or probe) against its source for `--target-quality`: pure. The source is read
 * exactly as the encode read it (the same seek, trim, rebase, picture filters and probe runs:
 * ffmpeg-args.ts segmentFilters), so its frames are the encoder's input at the output's size and pixel format;
 * both sides are renumbered and paired by index, as the quality report pairs them. Per-frame scores come on
 * stdout (`metadata=print` lines) for PSNR and SSIM; for VMAF in libvmaf's JSON log, a file (Node's child stdout is a
 * socket, which libvmaf 1.x cannot open as /dev/stdout: it wrote nothing there).
 */
import { literalInput, segmentFilters, segmentInputArgs, type SegmentEncodeInput } from './ffmpeg-args.js';
import { sampledFrames } from './crf-search.js';
import { QualityFrameParser } from './quality-report.js';
import type { QualityMetric } from './types.js';

/** How the ffmpeg at hand runs libvmaf: a 1.x build reads a model file, a 2.x build has the models built in. */
export type VmafFlavour = { api: 1; modelPath: string } | { api: 2; modelPath?: string };

export interface SegmentScoreInput extends Omit<SegmentEncodeInput, 'outputPath'> {
  /** The encoded segment or probe. */
  encoded: string;
  metric: QualityMetric;
  vmaf?: VmafFlavour;
  /** VMAF: the file libvmaf writes its per-frame log to. */
  vmafLog?: string;
}

/** A filter option value quoted for a filtergraph (paths are checked to hold no quote when asked for). */
const quoted = (v: string) => `'${v}'`;

export function vmafFilter(v: VmafFlavour, threads: number, logPath: string): string {
  const model =
    v.api === 1 ? `model_path=${quoted(v.modelPath)}` : v.modelPath ? `model=path=${quoted(v.modelPath)}` : 'model=version=vmaf_v0.6.1';
  return `libvmaf=${model}:log_fmt=json:log_path=${quoted(logPath)}:n_threads=${Math.max(1, threads)}`;
}

function metricFilter(i: SegmentScoreInput): string {
  switch (i.metric) {
    case 'psnr':
      return 'psnr=shortest=1,metadata=mode=print:file=-';
    case 'ssim':
      return 'ssim=shortest=1,metadata=mode=print:file=-';
    case 'vmaf':
      if (!i.vmaf || !i.vmafLog) throw new Error('buildSegmentScoreArgs: VMAF needs the libvmaf flavour and a log file');
      return vmafFilter(i.vmaf, i.threads, i.vmafLog);
  }
}

/** One ffmpeg: the source's segment as the encoder saw it beside the decoded encode, a metric per frame. */
export function buildSegmentScoreArgs(i: SegmentScoreInput): string[] {
  const frames = sampledFrames(i.segment.frameCount, i.sample);
  const norm = 'settb=AVTB,setpts=N';
  const ref = [...segmentFilters(i), `trim=end_frame=${frames}`, norm].join(',');
  const graph = [`[0:${i.analysis.video.streamIndex}]${ref}[ref]`, `[1:v:0]${norm}[out]`, `[out][ref]${metricFilter(i)}`].join(';');
  return [...segmentInputArgs(i), '-i', literalInput(i.encoded), '-filter_complex', graph, '-f', 'null', '-'];
}

/**
 * Reads per-frame scores line by line: the scoring run's stdout for PSNR and SSIM (the quality report's
 * `metadata=print` parser), libvmaf's JSON log for VMAF.
 */
export class FrameScoreParser {
  private readonly printed = new QualityFrameParser();
  private readonly vmaf: number[] = [];
  constructor(private readonly metric: QualityMetric) {}

  get scores(): number[] {
    return this.metric === 'vmaf' ? this.vmaf : this.metric === 'psnr' ? this.printed.frames.psnr : this.printed.frames.ssim;
  }

  line(line: string): void {
    if (this.metric !== 'vmaf') return this.printed.line(line);
    const v = /^\s*"vmaf"\s*:\s*(-?[\d.]+(?:e[-+]?\d+)?)\s*,?\s*$/i.exec(line);
    if (v) this.vmaf.push(Number(v[1]));
  }
}

/** Arguments that tell whether this ffmpeg can score VMAF with `v` (a 0.1 s pair of generated frames). */
export function vmafCheckArgs(v: VmafFlavour): string[] {
  const src = 'testsrc2=size=64x64:rate=10:duration=0.2,format=yuv420p';
  return [
    '-nostdin',
    '-hide_banner',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    src,
    '-f',
    'lavfi',
    '-i',
    src,
    '-filter_complex',
    `[0:v][1:v]${vmafFilter(v, 1, '/dev/null')}`,
    '-f',
    'null',
    '-',
  ];
}
