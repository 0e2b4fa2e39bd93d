/**
 * The quality-target part of the bench (`npm run bench -- target`, never in the default run). For each source,
 * video only on both sides (audio is not compared: video bytes are summed from the packets):
 *
 * 1. shardcast with `--target-quality METRIC:VALUE` (each segment its own CRF), `--json`;
 * 2. one-pass ffmpeg at the CRF whose worst segment just reaches the worst targeted segment's score: the same
 *    x264 command as the bench's plain run (`plainVideoArgs`, CRF swapped), one scoring pass of the whole output
 *    against the source (frames paired by index, `settb=AVTB,setpts=N`, as core/quality-report.ts pairs them),
 *    pooled by mean over the targeted job's own segment frame ranges; the CRF is searched in half steps
 *    (bracket from the targeted job's lowest segment CRF, then bisection) for the highest one that holds;
 * 3. a plain one-pass at the job's CRF and shardcast without a target, for wall and CPU.
 *
 *   BENCH_TQ_CASES=mixed,bbb30,bbb30-10s,real,hevc,vmaf   which sources (default all but vmaf; vmaf = the 10 s
 *                 bbb clip with the npm-shipped ffmpeg 4.1 and its libvmaf 1.x; bbb30-10s = bbb30 with
 *                 `--segment-seconds 10`, segments long enough to be probed)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CRF } from '../../src/core/profile.js';
import { runTimed, type TimedRun } from './exec.js';
import { plainVideoArgs } from './plain-args.js';
import { fmt, markdownTable } from './stats.js';

type Metric = 'psnr' | 'ssim' | 'vmaf';

interface TqCase {
  key: string;
  label: string;
  source: string;
  metric: Metric;
  value: number;
  /** Why this target for this source. */
  why: string;
  /** The ffmpeg every step runs (the npm-shipped 4.1 for VMAF), and env for shardcast. */
  ffmpeg: string;
  env: NodeJS.ProcessEnv;
  extra: string[];
}

interface Trial {
  kind: 'probe' | 'encode';
  crf: number;
  score: number;
  bytes: number;
  frames: number;
  ms: number;
  cpuSeconds: number;
}
interface JobSegment {
  kind?: string;
  index?: number;
  startFrame?: number;
  frameCount?: number;
  cpuSeconds?: number;
  quality?: { crf?: number; score?: number; inBand?: boolean; reason?: string; trials: Trial[] };
}
interface Job {
  cpuSeconds?: number;
  timings?: { totalMs?: number; encodeMs?: number };
  segments: JobSegment[];
}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });

const linear = (m: Metric, v: number) => (m === 'ssim' ? -10 * Math.log10(Math.max(1e-6, 1 - Math.min(v, 0.999999))) : v);
const sc = (m: Metric, v: number | undefined) => (v === undefined ? 'n/a' : m === 'ssim' ? v.toFixed(4) : v.toFixed(2));
const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const stdev = (xs: number[]) => {
  const m = sum(xs) / xs.length;
  return Math.sqrt(sum(xs.map((x) => (x - m) ** 2)) / xs.length);
};

/** Bytes of the first video stream's packets. */
function videoBytes(ffprobe: string, path: string): number {
  const r = run(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', path]);
  if (r.status !== 0) throw new Error(`ffprobe failed on ${path}: ${r.stderr}`);
  return sum(
    r.stdout
      .split('\n')
      .map((l) => Number(l.replace(/,$/, '')))
      .filter((x) => Number.isFinite(x) && x > 0),
  );
}

/** Per-frame scores of `out` against the source in one pass, frames paired by index, both in `out`'s pixel format. */
async function frameScores(c: TqCase, out: string, tmp: string): Promise<{ scores: number[]; run: TimedRun }> {
  // Both in the output's pixel format, as core/quality-report.ts and the segment scoring compare them (a
  // yuvj420p source and output compared as yuv420p would have their errors squeezed into the limited range).
  const pixfmt = run(c.ffmpeg.replace(/ffmpeg$/, 'ffprobe').replace('@ffmpeg-installer', '@ffprobe-installer'), [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=pix_fmt', '-of', 'csv=p=0', out],
  ]).stdout.match(/^\w+/m)?.[0];
  const norm = `format=${pixfmt || 'yuv420p'},settb=AVTB,setpts=N`;
  // libvmaf 1.x cannot write its log to /dev/stdout when that is a socket (as Node gives children): a file.
  const vmafLog = `${out}.vmaf.json`;
  const metric =
    c.metric === 'psnr'
      ? 'psnr=shortest=1,metadata=mode=print:file=-'
      : c.metric === 'ssim'
        ? 'ssim=shortest=1,metadata=mode=print:file=-'
        : `libvmaf=model_path='${vmafModel}':log_fmt=json:log_path='${vmafLog}':n_threads=2`;
  const graph = `[0:v:0]${norm}[o];[1:v:0]${norm}[s];[o][s]${metric}`;
  const r = await runTimed(c.ffmpeg, ['-nostdin', '-v', 'error', '-i', out, '-i', c.source, '-filter_complex', graph, '-f', 'null', '-'], {
    tmpDir: tmp,
  });
  if (r.exitCode !== 0) throw new Error(`scoring ${out} failed: ${r.stderr.slice(-1500)}`);
  const scores: number[] = [];
  if (c.metric === 'vmaf') {
    const log = JSON.parse(readFileSync(vmafLog, 'utf8')) as { frames: Array<{ metrics: { vmaf: number } }> };
    for (const f of log.frames) scores.push(f.metrics.vmaf);
  } else {
    let frame = -1;
    const key = c.metric === 'psnr' ? 'lavfi.psnr.psnr_avg=' : 'lavfi.ssim.All=';
    for (const l of r.stdout.split('\n')) {
      const h = /^frame:(\d+)/.exec(l);
      if (h) frame = Number(h[1]);
      else if (frame >= 0 && l.startsWith(key)) {
        const raw = l.slice(key.length).trim();
        scores[frame] = raw === 'inf' ? 100 : Math.min(Number(raw), 100);
      }
    }
  }
  return { scores, run: r };
}

const vmafModel = '/work/shared/vmaf/vmaf_v0.6.1.pkl';

function onePassArgs(c: TqCase, out: string, crf: number): string[] {
  const video = plainVideoArgs('h264');
  video[video.indexOf('-crf') + 1] = String(crf);
  return ['-nostdin', '-v', 'error', '-y', '-i', c.source, '-map', '0:v:0', '-an', '-vsync', 'passthrough', ...video, out];
}

interface OnePass {
  crf: number;
  bytes: number;
  seg: number[];
  worst: number;
  min: number;
  max: number;
  sd: number;
  encode: TimedRun;
  score: TimedRun;
  frames: number;
}

async function shardcast(repo: string, c: TqCase, out: string, tmp: string, targeted: boolean): Promise<{ r: TimedRun; job: Job }> {
  const args = [join(repo, 'bin/shardcast.js'), 'transcode', c.source, out, '--json', '--no-progress', '-y', ...c.extra];
  if (targeted) args.push('--target-quality', `${c.metric}:${c.value}`);
  if (targeted && c.metric === 'vmaf') args.push('--vmaf-model', vmafModel);
  const r = await runTimed(process.execPath, args, { tmpDir: tmp, env: { ...c.env, SHARDCAST_HOME: join(tmp, 'tq-state') } });
  if (r.exitCode !== 0) throw new Error(`shardcast failed on ${c.label}: ${r.stderr.slice(-1500)}\n${r.stdout.slice(-500)}`);
  return { r, job: JSON.parse(r.stdout) as Job };
}

export interface TqResult {
  c: TqCase;
  rows: Record<string, string>;
}

async function runCase(repo: string, c: TqCase, tmp: string, log: (s: string) => void): Promise<TqResult> {
  const ffprobe = c.ffmpeg.replace(/ffmpeg$/, 'ffprobe').replace('@ffmpeg-installer', '@ffprobe-installer');
  log(`\n### ${c.label}: target ${c.metric}:${c.value} (${c.why})`);
  // 1. shardcast, targeted.
  const tOut = join(tmp, `tq-${c.key}-target.mp4`);
  const t = await shardcast(repo, c, tOut, tmp, true);
  const segs = t.job.segments.filter((s) => s.quality);
  const tScores = segs.map((s) => s.quality!.score!);
  const worstT = Math.min(...tScores);
  const tBytes = videoBytes(ffprobe, tOut);
  log(
    `  targeted: ${fmt(t.r.wallSeconds, 1)} s wall, job CPU ${fmt(t.job.cpuSeconds, 1)} s, process CPU ${fmt(t.r.cpuSeconds, 1)} s, other load ${fmt(t.r.otherLoadCores)}; ${segs.length} segments, video ${tBytes} B`,
  );
  for (const s of segs) {
    const q = s.quality!;
    log(
      `    seg ${s.index} frames ${s.startFrame}+${s.frameCount}: CRF ${q.crf} ${sc(c.metric, q.score)} inBand ${q.inBand}${q.reason ? ` (${q.reason})` : ''}; trials ${q.trials.map((x) => `${x.kind[0]}${x.crf}=${sc(c.metric, x.score)}/${fmt(x.cpuSeconds, 1)}s`).join(' ')}`,
    );
  }
  // 2. one-pass search over the same segment ranges.
  const cache = new Map<number, OnePass>();
  let scorePerFrameCpu = NaN;
  const onePass = async (crf: number): Promise<OnePass> => {
    const hit = cache.get(crf);
    if (hit) return hit;
    const out = join(tmp, `tq-${c.key}-onepass-${crf}.mp4`);
    const encode = await runTimed(c.ffmpeg, onePassArgs(c, out, crf), { tmpDir: tmp });
    if (encode.exitCode !== 0) throw new Error(`one-pass at CRF ${crf} failed: ${encode.stderr.slice(-1500)}`);
    const { scores, run: score } = await frameScores(c, out, tmp);
    scorePerFrameCpu = score.cpuSeconds / scores.length;
    const seg = segs.map((s) => {
      const xs = scores.slice(s.startFrame, s.startFrame! + s.frameCount!);
      if (xs.length !== s.frameCount || xs.some((x) => x === undefined)) throw new Error(`one-pass scores cover ${scores.length} frames`);
      return sum(xs) / xs.length;
    });
    const p: OnePass = {
      crf,
      bytes: videoBytes(ffprobe, out),
      seg,
      worst: Math.min(...seg),
      min: Math.min(...seg),
      max: Math.max(...seg),
      sd: stdev(seg),
      encode,
      score,
      frames: scores.length,
    };
    log(
      `  one-pass CRF ${crf}: worst segment ${sc(c.metric, p.worst)} (need ${sc(c.metric, worstT)}), video ${p.bytes} B; encode ${fmt(encode.wallSeconds, 1)} s wall ${fmt(encode.cpuSeconds, 1)} s CPU, score ${fmt(score.cpuSeconds, 1)} s CPU`,
    );
    cache.set(crf, p);
    return p;
  };
  const ok = (p: OnePass) => p.worst >= worstT;
  // Bracket from the targeted job's lowest CRF (its hardest segment), then bisect in half steps.
  let probe = Math.min(...segs.map((s) => s.quality!.crf!));
  let good: number | undefined;
  let bad: number | undefined;
  let stepSize = 1;
  for (let i = 0; i < 8 && (good === undefined || bad === undefined); i++) {
    if (ok(await onePass(probe))) {
      good = probe;
      probe = probe + stepSize;
    } else {
      bad = probe;
      probe = probe - stepSize;
    }
    stepSize *= 2;
    if (good !== undefined && bad !== undefined) break;
  }
  if (good === undefined || bad === undefined) throw new Error(`no bracket for the one-pass CRF on ${c.label}`);
  let [lo, hi] = [good, bad];
  while (hi - lo > 0.5) {
    const mid: number = Math.round(((lo + hi) / 2) * 2) / 2;
    if (ok(await onePass(mid))) lo = mid;
    else hi = mid;
  }
  const op = cache.get(lo)!;
  // 3. plain at the job's CRF and shardcast without a target.
  const plainOut = join(tmp, `tq-${c.key}-plain.mp4`);
  const plain = await runTimed(c.ffmpeg, onePassArgs(c, plainOut, DEFAULT_CRF.h264), { tmpDir: tmp });
  if (plain.exitCode !== 0) throw new Error(`plain encode failed: ${plain.stderr.slice(-1500)}`);
  const u = await shardcast(repo, c, join(tmp, `tq-${c.key}-untargeted.mp4`), tmp, false);
  log(
    `  plain CRF ${DEFAULT_CRF.h264}: ${fmt(plain.wallSeconds, 1)} s wall ${fmt(plain.cpuSeconds, 1)} s CPU; untargeted shardcast ${fmt(u.r.wallSeconds, 1)} s wall, job CPU ${fmt(u.job.cpuSeconds, 1)} s, process ${fmt(u.r.cpuSeconds, 1)} s`,
  );

  // Where the targeted job's CPU went (trials' cpuSeconds: the encode and its scoring).
  const trials = segs.flatMap((s) => s.quality!.trials.map((x) => ({ x, kept: x.kind === 'encode' && x.crf === s.quality!.crf })));
  const probeCpu = sum(trials.filter((e) => e.x.kind === 'probe').map((e) => e.x.cpuSeconds));
  const extraEnc = sum(trials.filter((e) => e.x.kind === 'encode' && !e.kept).map((e) => e.x.cpuSeconds));
  const keptEnc = sum(trials.filter((e) => e.kept).map((e) => e.x.cpuSeconds));
  const scoredFrames = sum(trials.map((e) => e.x.frames));
  const scoreCpuEst = scorePerFrameCpu * scoredFrames;
  const counts = new Map<string, number>();
  for (const s of segs) {
    const q = s.quality!.trials;
    const k = `${q.filter((x) => x.kind === 'probe').length}p+${q.filter((x) => x.kind === 'encode').length}e`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  // Probe bias: the probes' line (linear space) at each encode's CRF minus the encode's score.
  const bias: number[] = [];
  for (const s of segs) {
    const q = s.quality!.trials;
    const pr = q.filter((x) => x.kind === 'probe');
    if (pr.length < 2) continue;
    const [a, b] = [pr[0]!, pr[1]!];
    const slope = (linear(c.metric, b.score) - linear(c.metric, a.score)) / (b.crf - a.crf);
    for (const e of q.filter((x) => x.kind === 'encode'))
      bias.push(linear(c.metric, a.score) + slope * (e.crf - a.crf) - linear(c.metric, e.score));
  }
  const unit = c.metric === 'ssim' ? 'dB of SSIM' : c.metric === 'psnr' ? 'dB' : 'VMAF';
  const rows: Record<string, string> = {
    source: c.label,
    target: `${c.metric}:${c.value}`,
    segments: String(segs.length),
    'in band': `${segs.filter((s) => s.quality!.inBand).length}/${segs.length}`,
    'targeted CRFs': `${Math.min(...segs.map((s) => s.quality!.crf!))}–${Math.max(...segs.map((s) => s.quality!.crf!))}`,
    'one-pass CRF': String(op.crf),
    'worst seg targeted / one-pass': `${sc(c.metric, worstT)} / ${sc(c.metric, op.worst)}`,
    'video bytes targeted': String(tBytes),
    'video bytes one-pass': String(op.bytes),
    'bytes targeted vs one-pass': pct(tBytes, op.bytes),
    'targeted min–max (sd)': `${sc(c.metric, Math.min(...tScores))}–${sc(c.metric, Math.max(...tScores))} (${c.metric === 'ssim' ? stdev(tScores).toFixed(4) : fmt(stdev(tScores), 2)})`,
    'one-pass min–max (sd)': `${sc(c.metric, op.min)}–${sc(c.metric, op.max)} (${c.metric === 'ssim' ? op.sd.toFixed(4) : fmt(op.sd, 2)})`,
    'plain wall / CPU s': `${fmt(plain.wallSeconds, 1)} / ${fmt(plain.cpuSeconds, 1)}`,
    'untargeted wall / job CPU / process CPU s': `${fmt(u.r.wallSeconds, 1)} / ${fmt(u.job.cpuSeconds, 1)} / ${fmt(u.r.cpuSeconds, 1)}`,
    'targeted wall / job CPU / process CPU s': `${fmt(t.r.wallSeconds, 1)} / ${fmt(t.job.cpuSeconds, 1)} / ${fmt(t.r.cpuSeconds, 1)}`,
    'CPU targeted / untargeted (job; process)': `${fmt(t.job.cpuSeconds! / u.job.cpuSeconds!, 2)}; ${fmt(t.r.cpuSeconds / u.r.cpuSeconds, 2)}`,
    'CPU targeted / plain (process)': fmt(t.r.cpuSeconds / plain.cpuSeconds, 2),
    'trials per segment': [...counts].map(([k, n]) => `${n}× ${k}`).join(', '),
    'probes CPU s (share of job)': `${fmt(probeCpu, 1)} (${fmt((probeCpu / t.job.cpuSeconds!) * 100, 0)}%)`,
    'discarded encodes CPU s (share)': `${fmt(extraEnc, 1)} (${fmt((extraEnc / t.job.cpuSeconds!) * 100, 0)}%)`,
    'kept encodes CPU s (share)': `${fmt(keptEnc, 1)} (${fmt((keptEnc / t.job.cpuSeconds!) * 100, 0)}%)`,
    'scoring CPU s, est. (share)': `${fmt(scoreCpuEst, 1)} (${fmt((scoreCpuEst / t.job.cpuSeconds!) * 100, 0)}%)`,
    'probe bias (mean, min–max)': bias.length
      ? `${fmt(sum(bias) / bias.length, 2)} (${fmt(Math.min(...bias), 2)}–${fmt(Math.max(...bias), 2)}) ${unit}`
      : 'no probes',
    'one-pass scoring CPU s / frame': fmt(scorePerFrameCpu, 4),
    'search steps': [...cache.keys()].join(', '),
  };
  log(
    `  ${Object.entries(rows)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n  ')}`,
  );
  return { c, rows };
}

/** Two scenes of each: a still frame (cheap) and strong temporal noise over moving test patterns (dear). */
function makeMixedClip(ffmpeg: string, out: string): void {
  const still = (n: number) =>
    `testsrc2=size=1280x720:rate=24,trim=end_frame=1,loop=loop=119:size=1:start=0,setpts=N/24/TB,format=yuv420p[s${n}]`;
  const noisy = (n: number) => `testsrc2=size=1280x720:rate=24:duration=5,noise=alls=8:allf=t,format=yuv420p[n${n}]`;
  const graph = `${still(0)};${noisy(0)};${still(1)};${noisy(1)};[s0][n0][s1][n1]concat=n=4:v=1:a=0[v]`;
  const r = run(ffmpeg, [
    ...['-nostdin', '-v', 'error', '-y', '-filter_complex', graph, '-map', '[v]'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-qp', '0', out],
  ]);
  if (r.status !== 0) throw new Error(`making the mixed clip failed: ${r.stderr}`);
}

export async function targetQualityReport(repo: string, tmp: string, log: (s: string) => void): Promise<string> {
  const media = resolve(repo, '../shared/media');
  const keys = new Set((process.env.BENCH_TQ_CASES ?? 'mixed,bbb30,bbb30-10s,real,hevc').split(',').map((x) => x.trim()));
  const bundled = join(repo, 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
  const base = { ffmpeg: 'ffmpeg', env: { ...process.env }, extra: [] as string[] };
  const cases: TqCase[] = [];
  if (keys.has('mixed')) {
    const mixed = join(tmp, 'tq-mixed-720p24-20s.mp4');
    makeMixedClip('ffmpeg', mixed);
    cases.push({
      ...base,
      key: 'mixed',
      label: 'generated 720p24 20 s: still 5 s, noise 5 s, ×2 (lossless H.264)',
      source: mixed,
      metric: 'psnr',
      value: 34,
      why: 'x264 medium gives this noise 35.3 dB at CRF 23 and 33.6 at CRF 30 (1 s measured), a still frame far more: 34 dB asks the noisy scenes for a CRF near 27 and lets the still ones go to --max-crf',
    });
  }
  const bbb30 = join(media, 'bbb_720p24_30s_vp8_vorbis.webm');
  if (keys.has('bbb30') && existsSync(bbb30))
    cases.push({
      ...base,
      key: 'bbb30',
      label: 'bbb_720p24_30s_vp8_vorbis.webm',
      source: bbb30,
      metric: 'psnr',
      value: 42,
      why: 'about what CRF 23 gives this clip overall; its scenes differ by several dB at one CRF',
    });
  if (keys.has('bbb30-10s') && existsSync(bbb30))
    cases.push({
      ...base,
      key: 'bbb30-10s',
      label: 'bbb_720p24_30s_vp8_vorbis.webm, --segment-seconds 10 (segments of 240 frames: probed)',
      source: bbb30,
      metric: 'psnr',
      value: 42,
      why: 'as above; 10 s segments are long enough (>= 150 frames) for the two probes',
      extra: ['--segment-seconds', '10'],
    });
  const real = join(media, 'real_640x360_40s_noaudio.mp4');
  if (keys.has('real') && existsSync(real))
    cases.push({
      ...base,
      key: 'real',
      label: 'real_640x360_40s_noaudio.mp4',
      source: real,
      metric: 'ssim',
      value: 0.985,
      why: 'the CLI example value; near what CRF 23 gives a clean 360p camera clip',
    });
  const hevc = join(media, 'hevc_1080p30_10s_aac.mp4');
  if (keys.has('hevc') && existsSync(hevc))
    cases.push({
      ...base,
      key: 'hevc',
      label: 'hevc_1080p30_10s_aac.mp4',
      source: hevc,
      metric: 'ssim',
      value: 0.985,
      why: 'the CLI example value, for a 1080p source',
    });
  const bbb10 = join(media, 'bbb_720p24_10s_h264_aac.mp4');
  if (keys.has('vmaf') && existsSync(bbb10) && existsSync(bundled) && existsSync(vmafModel))
    cases.push({
      key: 'vmaf',
      label: 'bbb_720p24_10s_h264_aac.mp4 (ffmpeg 4.1 npm build, libvmaf 1.x)',
      source: bbb10,
      metric: 'vmaf',
      value: 93,
      why: 'the CLI example value; a common streaming target',
      ffmpeg: bundled,
      env: { ...process.env, SHARDCAST_BUNDLED_FFMPEG: '1' },
      extra: [],
    });
  const results: TqResult[] = [];
  for (const c of cases) {
    try {
      results.push(await runCase(repo, c, tmp, log));
    } catch (err) {
      log(`  (${c.label} failed: ${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (!results.length) return '(no quality-target case ran)';
  const keysOf = Object.keys(results[0]!.rows);
  // Transposed: one column per source, so the many figures stay readable.
  return markdownTable(
    ['', ...results.map((r) => r.c.key)],
    keysOf.map((k) => [k, ...results.map((r) => r.rows[k] ?? '')]),
  );
}
