/** Words and numbers for `shardcast cost` and `shardcast estimate`. Pure. */
import type { AwsDeployment, CostEstimate, CostLine } from '../core/cost-model.js';
import type { JobProjection } from '../core/job-projection.js';
import { lambdaVcpus } from '../core/job-projection.js';
import { formatClock } from './progress.js';
import { plural, pluralWord } from '../core/words.js';
import { segmentThreads } from '../core/segment-threads.js';
import type { JobRecord, TaskRecord } from '../core/types.js';

/** Dollars with enough digits to see small amounts: $12.35, $0.0412, $0.000031; below a millionth of a cent, "<$0.00000001". */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (n < 0.000000005) return '<$0.00000001';
  const digits = n >= 1 ? 2 : Math.min(8, 2 - Math.floor(Math.log10(n)));
  return `$${n.toFixed(digits)}`;
}

/** A number in plain decimals, never e-notation: 13, 46.68, 0.0428, 0.0000000428. */
export function decimal(q: number): string {
  if (Number.isInteger(q)) return String(q);
  if (q >= 100) return q.toFixed(1);
  if (q >= 1) return q.toFixed(2);
  if (q <= 0) return '0';
  return q.toFixed(Math.min(20, 2 - Math.floor(Math.log10(q))));
}

/** Bytes as AWS bills them (1 GB = 1024³ bytes): "11 bytes", "3.0 KB", "2.54 MB", "358 MB". */
export function size(bytes: number): string {
  const units = ['KB', 'MB', 'GB', 'TB'];
  if (bytes < 1024) return plural(Math.round(bytes), 'byte');
  let v = bytes;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

/** How long something is kept: "9 s", "12 min", "2.5 h". */
function keptFor(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * What a cost line buys, in words: "6 requests", "66 write request units", "3.04 MB for 9 s" (storage, which is
 * billed in GB-months), "2.41 MB" (transfer, billed per GB). The price's unit loses its note in brackets.
 */
export function amountText(l: CostLine): string {
  const unit = l.unit.replace(/\s*\(.*\)$/, '');
  if (l.stored) return `${size(l.stored.bytes)} for ${l.stored.seconds === undefined ? 'a month' : keptFor(l.stored.seconds)}`;
  const sized = /^GB( (read|written))?$/.exec(unit);
  if (sized) return `${size(l.quantity * 1024 ** 3)}${sized[1] ?? ''}`;
  return `${decimal(l.quantity)} ${pluralWord(l.quantity, unit)}`;
}

/**
 * Cost lines as a table: the item, what it buys, its price, each column as wide as its widest cell over all the
 * `lines` given (pass every line of one report at once, so that all of them line up).
 */
export function costTable(lines: readonly CostLine[]): string[] {
  const rows = lines.map((l) => [l.item, amountText(l), usd(l.usd)] as const);
  const w = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
  return rows.map(([item, amount, price]) => `  ${item.padEnd(w[0]!)}  ${amount.padEnd(w[1]!)}  ${price.padStart(w[2]!)}`);
}

export function deploymentText(d: AwsDeployment): string {
  return `${d.memoryMb} MB ${d.architecture} (${lambdaVcpus(d.memoryMb).toFixed(2)} vCPUs), /tmp ${d.ephemeralMb} MB, storage ${d.storage}`;
}

export function costEstimateText(est: CostEstimate): string[] {
  // One table for the three groups, so that every price ends in the same column.
  const table = costTable([...est.lines, ...est.keptMonthly, ...est.fixedMonthly]);
  const perJob = table.slice(0, est.lines.length);
  const kept = table.slice(est.lines.length, est.lines.length + est.keptMonthly.length);
  const fixed = table.slice(est.lines.length + est.keptMonthly.length);
  const lines = [...perJob, `  total ${usd(est.totalUsd)} per job (${est.region} prices as of ${est.pricesAsOf})`];
  if (kept.length) lines.push(...kept, `  plus ${usd(est.keptMonthlyUsd)} a month while the job's files stay in the bucket`);
  if (fixed.length) lines.push(...fixed, `  plus ${usd(est.fixedMonthlyUsd)} a month whatever runs`);
  return lines;
}

export interface EstimateTextInput {
  durationSeconds: number;
  sourceBytes: number;
  calibration: { wallMs: number; sourceSeconds: number; threads: number };
  /** The planner's target (the plan's segments average duration / count, which the text shows). */
  segmentSeconds: number;
  /** The target asked for (or the default), where filling the rounds changed it. */
  requestedSegmentSeconds?: number;
  /** The host that calibrated: its cores and 1-minute load average just before. */
  host?: HostLoad;
  concurrency: number;
  deployment: AwsDeployment;
  timeoutSeconds: number;
  projection: JobProjection;
  /** The upload of a local source and the download of the output, at the user's link speed. */
  transfer?: TransferEstimate;
  /** `--target-quality`: `projection` is the targeted job's; this is what its CRF searches add to a plain one. */
  target?: TargetEstimate;
}

/** A targeted job's estimate beside the same plan encoded at one CRF. */
export interface TargetEstimate {
  /** "vmaf 93 ±1". */
  label: string;
  /** A targeted segment's CPU over a plain encode of it (core/crf-search.ts targetCpuFactor). */
  cpuFactor: number;
  /** The same segments, plainly encoded. */
  plain: JobProjection;
}

/** Seconds the functions spend encoding the video segments (retries not counted). */
const segmentFunctionSeconds = (p: JobProjection): number => p.job.video.reduce((s, v) => s + v.wallMs, 0) / 1000;

/** What the probes and the scoring add: function time, its vCPU time, the wall time and the cost per job. */
export function targetExtra(t: TargetEstimate, p: JobProjection) {
  const functionSeconds = segmentFunctionSeconds(p) - segmentFunctionSeconds(t.plain);
  return {
    functionSeconds,
    vcpuSeconds: functionSeconds * p.vcpus,
    wallSeconds: p.wallSeconds - t.plain.wallSeconds,
    usd: p.cost.totalUsd - t.plain.cost.totalUsd,
  };
}

/**
 * "quality target vmaf 93 ±1: probes and scoring make each segment about 1.45x the CPU of a plain encode: +2.3
 * vCPU-hours (+1:20:02 of function time), +0:41 of wall time, +$0.0914 per job ($0.293, not $0.202)".
 */
export function targetText(t: TargetEstimate, p: JobProjection): string {
  const x = targetExtra(t, p);
  const cpu = `${decimal(Number((x.vcpuSeconds / 3600).toPrecision(2)))} vCPU-hours`;
  return `quality target ${t.label}: probes and scoring make each segment about ${t.cpuFactor.toFixed(2)}x the CPU of a plain encode: +${cpu} (+${formatClock(x.functionSeconds * 1000)} of function time), +${formatClock(x.wallSeconds * 1000)} of wall time, +${usd(x.usd)} per job (${usd(p.cost.totalUsd)}, not ${usd(t.plain.cost.totalUsd)})`;
}

export interface HostLoad {
  cores: number;
  loadAverage: number;
}

/** Load per core from which a host counts as busy: its encodes share the cores with other work. */
export const BUSY_LOAD_PER_CORE = 0.5;

/** The calibration's host in words, with a warning where it was busy. */
export function hostText(h: HostLoad): string {
  const load = `${plural(h.cores, 'core')}, load average ${h.loadAverage.toFixed(2)} before it`;
  if (h.loadAverage / Math.max(1, h.cores) < BUSY_LOAD_PER_CORE) return load;
  return `${load}: the host was busy, so the calibration ran slower than on an idle one and so do the times and costs projected from it`;
}

/** Seconds in a few words: "7.5", "15", "16.87". */
const secondsText = (s: number): string => String(Number(s.toFixed(s < 10 ? 1 : 2)));

/**
 * The plan's segments (their mean length: the source over their count) and rounds: "4 segments of about 7.5 s,
 * all at once", "160 segments of about 16.9 s in 4 waves of 40", "161 ... in 5 waves of 40, the last with 1".
 */
export function planText(p: JobProjection, durationSeconds: number, concurrency: number): string {
  const segments = `${plural(p.segments, 'segment')} of about ${secondsText(durationSeconds / Math.max(1, p.segments))} s`;
  if (p.waves <= 1) return `${segments}, all at once`;
  if (concurrency <= 1) return `${segments}, one at a time`;
  const last = p.lastWave < concurrency ? `, the last with ${p.lastWave}` : '';
  return `${segments} in ${plural(p.waves, 'wave')} of ${concurrency}${last}`;
}

export interface TransferEstimate {
  linkMbps: number;
  uploadSeconds: number;
  downloadSeconds: number;
  /** Upload, the job, download. */
  endToEndSeconds: number;
}

/** Moving the source in and the output out over a link of `linkMbps` (both ways at that rate). */
export function transferEstimate(p: JobProjection, sourceBytes: number, linkMbps: number, downloaded: boolean): TransferEstimate {
  const rate = (linkMbps * 1e6) / 8;
  const uploadSeconds = sourceBytes / rate;
  const downloadSeconds = downloaded ? p.job.outputBytes / rate : 0;
  return { linkMbps, uploadSeconds, downloadSeconds, endToEndSeconds: uploadSeconds + p.wallSeconds + downloadSeconds };
}

/** A segment should finish well inside one invocation: warn above half the function timeout. */
export function segmentWarning(p: JobProjection, timeoutSeconds: number): string | undefined {
  if (p.segmentWallSeconds <= timeoutSeconds / 2) return undefined;
  return `a segment would take about ${Math.round(p.segmentWallSeconds)} s, more than half the ${timeoutSeconds} s function timeout: pass a smaller --segment-seconds or more --memory`;
}

export function estimateText(e: EstimateTextInput): string {
  const p = e.projection;
  const c = e.calibration;
  const speed = c.sourceSeconds / (c.wallMs / 1000);
  const target =
    e.requestedSegmentSeconds !== undefined
      ? `target ${secondsText(e.segmentSeconds)} s, not ${secondsText(e.requestedSegmentSeconds)} s, so that the waves are full`
      : `target ${secondsText(e.segmentSeconds)} s`;
  const lines = [
    `source: ${e.durationSeconds.toFixed(1)} s, ${(e.sourceBytes / 1e6).toFixed(1)} MB`,
    `calibration: ${c.sourceSeconds.toFixed(2)} s of source encoded in ${(c.wallMs / 1000).toFixed(2)} s with ${plural(c.threads, 'thread')} here (${speed.toFixed(2)}x real time${e.host ? `; ${hostText(e.host)}` : ''})`,
    `AWS: ${deploymentText(e.deployment)}, ${plural(e.concurrency, 'segment')} at once`,
    `plan: ${planText(p, e.durationSeconds, e.concurrency)} (${target}); one segment takes about ${p.segmentWallSeconds.toFixed(1)} s in a function (timeout ${e.timeoutSeconds} s)`,
    ...(e.target ? [targetText(e.target, p)] : []),
    `wall time: about ${formatClock(p.wallSeconds * 1000)} (analyze ${p.analyzeSeconds.toFixed(0)} s, encode ${(p.waves * p.segmentWallSeconds).toFixed(0)} s, merge ${p.mergeSeconds.toFixed(0)} s, finalize ${p.finalizeSeconds.toFixed(0)} s); one ffmpeg process here: about ${formatClock(p.singleProcessSeconds * 1000)}`,
    ...(e.transfer
      ? [
          `end to end at ${e.transfer.linkMbps} Mbit/s: about ${formatClock(e.transfer.endToEndSeconds * 1000)} (upload ${e.transfer.uploadSeconds.toFixed(0)} s, the job, download ${e.transfer.downloadSeconds.toFixed(0)} s)`,
        ]
      : []),
    'cost:',
    ...costEstimateText(p.cost),
  ];
  const warning = segmentWarning(p, e.timeoutSeconds);
  if (warning) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

/** Share of the CPU its threads could use below which a local job's encodes count as run on a loaded host. */
export const LOADED_CPU_SHARE = 0.6;

/**
 * How busy the host was while a job's segments encoded: their CPU seconds over their wall seconds times the
 * threads each ran with (about 1 on an idle host; 0.17 for segments that waited on a host running three times
 * its cores' work). Undefined where no segment has both figures.
 */
export function cpuShareOf(job: JobRecord, tasks: readonly TaskRecord[]): number | undefined {
  let cpu = 0;
  let capacity = 0;
  for (const t of tasks) {
    if (t.kind !== 'video' || !t.cpuSeconds || !t.wallMs) continue;
    cpu += t.cpuSeconds;
    capacity += (t.wallMs / 1000) * segmentThreads(job.options, job.plan, t.index);
  }
  return capacity > 0 ? cpu / capacity : undefined;
}

/**
 * What `cost` scales a job's segment times from, in one line, and a second where the host was loaded while
 * they were measured (`cpuShareOf` below LOADED_CPU_SHARE): those times, and the cost, are then too high.
 */
export function measuredOnText(job: JobRecord, tasks: readonly TaskRecord[], scale: number): string[] {
  if (job.backend === 'aws') return ['  segment times measured in the functions on AWS, as they ran'];
  const o = job.options;
  const hosts = [...new Set(tasks.filter((t) => t.kind === 'video' && t.worker).map((t) => t.worker!.replace(/^cli:/, '').split(':')[0]!))];
  const where =
    hosts.length === 0 ? 'here' : hosts.length === 1 ? `on host ${hosts[0]}` : `on ${plural(hosts.length, 'host')} (${hosts.join(', ')})`;
  const tail =
    o.tailThreads !== undefined && o.tailThreads !== o.threadsPerWorker
      ? ` (the last ${o.workers} with ${o.tailThreads}, scaled accordingly)`
      : '';
  const lines = [
    `  segment times measured ${where} by ${plural(o.workers, 'worker')} of ${plural(o.threadsPerWorker, 'thread')} each${tail}, scaled by ${scale.toFixed(2)} to the function's vCPUs`,
  ];
  const share = cpuShareOf(job, tasks);
  if (share !== undefined && share < LOADED_CPU_SHARE)
    lines.push(
      `  the host was loaded: its encodes got ${Math.round(share * 100)}% of the CPU their threads could use, so these times and this cost are higher than an idle host gives`,
    );
  return lines;
}
