/**
 * `npm run bench`: shardcast transcode vs one plain ffmpeg process with the same encoder settings.
 *
 *   BENCH_RUNS=n   pairs of runs per case (default 3; shardcast and plain alternate, order flipped each pair)
 *   BENCH_QUICK=1  smoke test: one short generated clip, h264 only (1 pair unless BENCH_RUNS is set)
 *   BENCH_KEEP=1   keep the temp folder with the clips and outputs
 *   BENCH_CASES=...   any of h264,bbb,vp9,hevc,corpus,throttle,ladder,cluster (default all; also as arguments:
 *                     `npm run bench -- cluster`; corpus = every shared real file,
 *                     judged; throttle = a queue model of the workflow's Lambda throttling retrier, no encoding;
 *                     ladder = the default HLS ladder of bbb and of the 60 s clip against one plain ffmpeg ladder;
 *                     cluster = the 60 s clip with 1-3 `shardcast worker`s over a redis-server here vs local;
 *                     scenecuts = a fixed-GOP source with and without the scene scan, judged: only when named;
 *                     target = --target-quality against one-pass at the CRF whose worst segment matches: only
 *                     when named, BENCH_TQ_CASES picks its sources, see lib/target-quality.ts;
 *                     publish-early = a 30 s 720p ladder with and without --publish-early, time to a playable
 *                     master.m3u8 against the job's time: only when named)
 *   BENCH_NOISE=n  noise strength of the generated clips (default 6; 12 makes x264 CRF 23 spend ~24 Mbit/s
 *                  on 720p30 coding grain and run at ~0.26 CPU s per frame here, which makes a full run very long)
 *
 * Figures, not a test: nothing here fails on a slow result. Results and the machine are in docs/BENCHMARKS.md.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { VideoCodec } from '../src/core/types.js';
import { runChecked, runTimed, type TimedRun } from './lib/exec.js';
import { makeNoiseClip, psnrAverage, sizeOf, videoFrameCount } from './lib/media.js';
import { plainTranscodeArgs } from './lib/plain-args.js';
import { corpusReport } from './lib/corpus.js';
import { throttleReport } from './lib/throttle-model.js';
import { ladderReport, type LadderCase } from './lib/ladder.js';
import { clusterReport } from './lib/cluster.js';
import { sceneCutsReport } from './lib/scene-cuts.js';
import { targetQualityReport } from './lib/target-quality.js';
import { publishEarlyReport } from './lib/publish-early.js';
import { fmt, markdownTable, mb, median } from './lib/stats.js';

const repo = resolve(import.meta.dirname, '..');
const quick = process.env.BENCH_QUICK === '1';
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? (quick ? 1 : 3)) || 1);
const cores = availableParallelism();
const noise = Math.max(0, Number(process.env.BENCH_NOISE ?? 6) || 0);
/** BENCH_CASES=h264,bbb,vp9,hevc,corpus,throttle (any subset; default all). */
const named = [...(process.env.BENCH_CASES?.split(',') ?? []), ...process.argv.slice(2)].map((x) => x.trim()).filter(Boolean);
const only = named.length ? new Set(named) : undefined;
const wanted = (key: string) => !only || only.has(key);

interface BenchCase {
  label: string;
  source: string;
  codec: VideoCodec;
}

interface ShardRun extends TimedRun {
  timings: { analyzeMs?: number; encodeMs?: number; mergeMs?: number; verifyMs?: number; totalMs?: number };
  frames?: number;
  segments?: number;
  workers?: number;
  /** CPU seconds of the encode tasks as the job records them (video: encode + decode check; audio: encode). */
  taskCpuSeconds?: number;
  /** Sum of the tasks' wall times / (encode phase × workers): how busy the worker slots were. */
  slotBusy?: number;
}

interface CaseResult {
  c: BenchCase;
  shard: ShardRun[];
  plain: TimedRun[];
  ratios: number[];
  shardSize: number;
  plainSize: number;
  shardPsnr: number;
  plainPsnr: number;
  shardFrames: number;
  plainFrames: number;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const log = (s: string) => process.stdout.write(`${s}\n`);

async function runShardcast(c: BenchCase, out: string, tmp: string): Promise<ShardRun> {
  const args = [join(repo, 'bin/shardcast.js'), 'transcode', c.source, out, '--json', '--no-progress', '-y'];
  if (c.codec !== 'h264') args.push('--video-codec', c.codec);
  const r = await runTimed(process.execPath, args, { tmpDir: tmp, env: { ...process.env, SHARDCAST_HOME: join(tmp, 'state') } });
  if (r.exitCode !== 0)
    throw new Error(`shardcast failed (exit ${r.exitCode}) on ${c.label}: ${r.stderr.slice(-1500)}\n${r.stdout.slice(-1500)}`);
  const job = JSON.parse(r.stdout) as {
    timings?: ShardRun['timings'];
    frames?: number;
    segmentsTotal?: number;
    options?: { workers?: number };
    cpuSeconds?: number;
    segments?: Array<{ wallMs?: number }>;
  };
  const workers = job.options?.workers;
  const taskWallMs = (job.segments ?? []).reduce((s, t) => s + (t.wallMs ?? 0), 0);
  const encodeMs = job.timings?.encodeMs;
  const slotBusy = workers && encodeMs ? taskWallMs / (encodeMs * workers) : undefined;
  return {
    ...r,
    timings: job.timings ?? {},
    frames: job.frames,
    segments: job.segmentsTotal,
    workers,
    taskCpuSeconds: job.cpuSeconds,
    slotBusy,
  };
}

async function runPlain(c: BenchCase, out: string, tmp: string): Promise<TimedRun> {
  const r = await runTimed('ffmpeg', plainTranscodeArgs(c.source, out, c.codec), { tmpDir: tmp });
  if (r.exitCode !== 0) throw new Error(`plain ffmpeg failed (exit ${r.exitCode}) on ${c.label}: ${r.stderr.slice(-1500)}`);
  return r;
}

const util = (r: TimedRun) => r.cpuSeconds / r.wallSeconds / cores;

async function runCase(c: BenchCase, tmp: string, n: number): Promise<CaseResult> {
  const shardOut = join(tmp, `${n}-shardcast.mp4`);
  const plainOut = join(tmp, `${n}-plain.mp4`);
  const shard: ShardRun[] = [];
  const plain: TimedRun[] = [];
  const ratios: number[] = [];
  log(`\n## ${c.label}`);
  log(`plain: ffmpeg ${plainTranscodeArgs(c.source, plainOut, c.codec).join(' ')}`);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['shardcast', 'plain'] as const) : (['plain', 'shardcast'] as const);
    let s: ShardRun | undefined;
    let p: TimedRun | undefined;
    for (const who of order) {
      if (who === 'shardcast') {
        s = await runShardcast(c, shardOut, tmp);
        const t = s.timings;
        log(
          `  pair ${i + 1} shardcast: ${fmt(s.wallSeconds)} s wall, ${fmt(s.cpuSeconds)} s CPU (${fmt(util(s) * 100, 0)}%), other load ${fmt(s.otherLoadCores)} cores; analyze ${t.analyzeMs} encode ${t.encodeMs} merge ${t.mergeMs} verify ${t.verifyMs} total ${t.totalMs} ms; ${s.segments} segments, ${s.workers} workers, task CPU ${fmt(s.taskCpuSeconds)} s, worker slots busy ${fmt((s.slotBusy ?? NaN) * 100, 0)}%`,
        );
      } else {
        p = await runPlain(c, plainOut, tmp);
        log(
          `  pair ${i + 1} plain:     ${fmt(p.wallSeconds)} s wall, ${fmt(p.cpuSeconds)} s CPU (${fmt(util(p) * 100, 0)}%), other load ${fmt(p.otherLoadCores)} cores`,
        );
      }
    }
    shard.push(s!);
    plain.push(p!);
    ratios.push(s!.wallSeconds / p!.wallSeconds);
    log(`  pair ${i + 1} ratio shardcast/plain: ${fmt(ratios[i], 3)}`);
  }
  const [shardPsnr, plainPsnr, shardFrames, plainFrames] = [
    await psnrAverage(shardOut, c.source),
    await psnrAverage(plainOut, c.source),
    await videoFrameCount(shardOut),
    await videoFrameCount(plainOut),
  ];
  const r: CaseResult = {
    c,
    shard,
    plain,
    ratios,
    shardSize: sizeOf(shardOut),
    plainSize: sizeOf(plainOut),
    shardPsnr,
    plainPsnr,
    shardFrames,
    plainFrames,
  };
  log(
    `  median ratio ${fmt(median(ratios), 3)}; size ${mb(r.shardSize)} MB vs ${mb(r.plainSize)} MB; PSNR ${fmt(shardPsnr)} dB vs ${fmt(plainPsnr)} dB; frames ${shardFrames} vs ${plainFrames}`,
  );
  return r;
}

function report(results: CaseResult[]): string {
  const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;
  const main = markdownTable(
    [
      'case',
      'pairs',
      'shardcast wall s (median)',
      'plain wall s (median)',
      'ratio (median of pairs)',
      'ratio min–max',
      'CPU util shardcast',
      'CPU util plain',
      'other load (max, cores)',
    ],
    results.map((r) => [
      r.c.label,
      String(r.ratios.length),
      fmt(median(r.shard.map((s) => s.wallSeconds))),
      fmt(median(r.plain.map((p) => p.wallSeconds))),
      fmt(median(r.ratios), 3),
      `${fmt(Math.min(...r.ratios), 3)}–${fmt(Math.max(...r.ratios), 3)}`,
      `${fmt(median(r.shard.map(util)) * 100, 0)}%`,
      `${fmt(median(r.plain.map(util)) * 100, 0)}%`,
      fmt(Math.max(...r.shard.map((s) => s.otherLoadCores), ...r.plain.map((p) => p.otherLoadCores))),
    ]),
  );
  const phases = markdownTable(
    [
      'case',
      'segments × workers',
      'analyze ms',
      'encode ms',
      'merge ms',
      'verify ms',
      'job total ms',
      'process wall ms',
      'outside the job ms',
      'worker slots busy in encode',
      'task CPU s / process CPU s',
    ],
    results.map((r) => {
      const m = (f: (s: ShardRun) => number | undefined) => median(r.shard.map((s) => f(s) ?? NaN));
      const wallMs = median(r.shard.map((s) => s.wallSeconds * 1000));
      const total = m((s) => s.timings.totalMs);
      return [
        r.c.label,
        `${r.shard[0]?.segments} × ${r.shard[0]?.workers}`,
        fmt(
          m((s) => s.timings.analyzeMs),
          0,
        ),
        fmt(
          m((s) => s.timings.encodeMs),
          0,
        ),
        fmt(
          m((s) => s.timings.mergeMs),
          0,
        ),
        fmt(
          m((s) => s.timings.verifyMs),
          0,
        ),
        fmt(total, 0),
        fmt(wallMs, 0),
        fmt(wallMs - total, 0),
        `${fmt(m((s) => s.slotBusy) * 100, 0)}%`,
        `${fmt(
          m((s) => s.taskCpuSeconds),
          1,
        )} / ${fmt(median(r.shard.map((s) => s.cpuSeconds)), 1)}`,
      ];
    }),
  );
  const quality = markdownTable(
    [
      'case',
      'size shardcast MB',
      'size plain MB',
      'size diff',
      'PSNR shardcast dB',
      'PSNR plain dB',
      'PSNR diff dB',
      'frames shardcast / plain',
    ],
    results.map((r) => [
      r.c.label,
      mb(r.shardSize),
      mb(r.plainSize),
      pct(r.shardSize, r.plainSize),
      fmt(r.shardPsnr),
      fmt(r.plainPsnr),
      fmt(r.shardPsnr - r.plainPsnr, 3),
      `${r.shardFrames} / ${r.plainFrames}`,
    ]),
  );
  return [
    "Wall time and CPU (CPU util = CPU seconds from /usr/bin/time, children included, / wall / cores; other load = machine busy CPU from /proc/stat minus the run's own, / wall)",
    '',
    main,
    '',
    'shardcast phases (medians of the --json timings; task CPU = encode + per-segment decode check + audio encode, as the job records it)',
    '',
    phases,
    '',
    'Output size and PSNR against the source (last run of each)',
    '',
    quality,
  ].join('\n');
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'shardcast-bench-'));
  const ver = (await runChecked('ffmpeg', ['-version'])).stdout.split('\n')[0];
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  log(`# shardcast bench${quick ? ' (quick)' : ''}`);
  log(`machine: ${cores} cores (${cpu}); ${ver}; node ${process.version}`);
  log(`pairs per case: ${runs}; generated clips: testsrc2 + noise=alls=${noise}:allf=t; temp: ${tmp}`);
  log(`load average at start: ${loadavg()}`);
  try {
    const cases: BenchCase[] = [];
    if (quick) {
      // 8 s: long enough for two segments with the default segment length, so the merge is exercised.
      const clip = await makeNoiseClip(tmp, { name: 'noise-720p30-8s', seconds: 8, width: 1280, height: 720, fps: 30, noise });
      cases.push({ label: 'generated 720p30 noise 8 s, h264', source: clip, codec: 'h264' });
    } else {
      log('generating clips...');
      const bbb = resolve(repo, '../shared/media/bbb_720p24_30s_vp8_vorbis.webm');
      if (wanted('h264')) {
        const long = await makeNoiseClip(tmp, { name: 'noise-720p30-60s', seconds: 60, width: 1280, height: 720, fps: 30, noise });
        cases.push({ label: 'generated 720p30 noise 60 s, h264', source: long, codec: 'h264' });
      }
      if (wanted('bbb')) {
        if (existsSync(bbb)) cases.push({ label: 'bbb_720p24_30s_vp8_vorbis.webm, h264', source: bbb, codec: 'h264' });
        else log(`(skipping ${bbb}: not found)`);
      }
      if (wanted('vp9') || wanted('hevc')) {
        const short = await makeNoiseClip(tmp, { name: 'noise-720p30-10s', seconds: 10, width: 1280, height: 720, fps: 30, noise });
        if (wanted('vp9')) cases.push({ label: 'generated 720p30 noise 10 s, vp9', source: short, codec: 'vp9' });
        if (wanted('hevc')) cases.push({ label: 'generated 720p30 noise 10 s, hevc', source: short, codec: 'hevc' });
      }
    }
    const results: CaseResult[] = [];
    for (const [i, c] of cases.entries()) results.push(await runCase(c, tmp, i));
    let corpus: string | undefined;
    if (!quick && wanted('corpus')) {
      log("\n## shared corpus: shardcast defaults vs the judge's one-pass reference, judged by verify_output.py");
      corpus = corpusReport(repo, tmp, log);
    }
    let ladder: string | undefined;
    if (!quick && wanted('ladder')) {
      const bbb = resolve(repo, '../shared/media/bbb_720p24_30s_vp8_vorbis.webm');
      const lc: LadderCase[] = [];
      if (existsSync(bbb)) lc.push({ label: 'bbb_720p24_30s_vp8_vorbis.webm', source: bbb });
      lc.push({
        label: 'generated 720p30 noise 60 s',
        source: await makeNoiseClip(tmp, { name: 'noise-720p30-60s', seconds: 60, width: 1280, height: 720, fps: 30, noise }),
      });
      ladder = await ladderReport(join(repo, 'bin/shardcast.js'), lc, tmp, runs, cores, log);
    }
    let cluster: string | undefined;
    if (!quick && wanted('cluster')) {
      const long = await makeNoiseClip(tmp, { name: 'noise-720p30-60s', seconds: 60, width: 1280, height: 720, fps: 30, noise });
      cluster = await clusterReport(join(repo, 'bin/shardcast.js'), long, 'generated 720p30 noise 60 s, h264', tmp, runs, log);
    }
    let scenes: string | undefined;
    if (!quick && only?.has('scenecuts')) {
      log('\n## scene-aware cuts: a fixed-GOP source, with and without the scene scan, against the one-pass reference');
      scenes = sceneCutsReport(repo, tmp, log);
    }
    let target: string | undefined;
    if (!quick && only?.has('target')) {
      log('\n## quality target per segment: shardcast --target-quality against one-pass at the matching CRF');
      target = await targetQualityReport(repo, tmp, log);
    }
    let early: string | undefined;
    if (!quick && only?.has('publish-early')) {
      const clip = await makeNoiseClip(tmp, { name: 'noise-720p30-30s', seconds: 30, width: 1280, height: 720, fps: 30, noise });
      const args = ['--ladder', '720,360', '--workers', String(cores)];
      early = await publishEarlyReport(join(repo, 'bin/shardcast.js'), clip, 'generated 720p30 noise 30 s', args, tmp, runs, log);
    }
    if (wanted('throttle')) {
      log('\n## throttling: 160 segments x 30 s, Map MaxConcurrency 40, fewer free Lambda slots (queue model, seeded)');
      throttleReport(JSON.parse(readFileSync(resolve(repo, 'infra/workflow.asl.json'), 'utf8')), log);
    }
    log(`\nload average at end: ${loadavg()}`);
    if (results.length) log(`\n${report(results)}`);
    if (ladder) log(`\n${ladder}`);
    if (cluster) log(`\n${cluster}`);
    if (scenes) log(`\nScene-aware cuts on a fixed-GOP source (36 s, 640x360, a keyframe every 2 s)\n\n${scenes}`);
    if (target) log(`\nQuality target per segment (video bytes only; one column per source)\n\n${target}`);
    if (early) log(`\nPlay while it transcodes (medians; a ladder of 720p and 360p, the default preset)\n\n${early}`);
    if (corpus) log(`\nFidelity on the shared corpus (video bytes and mean PSNR against the source)\n\n${corpus}`);
  } finally {
    if (process.env.BENCH_KEEP === '1') log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
