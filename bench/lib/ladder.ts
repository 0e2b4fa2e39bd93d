/**
 * The ladder bench (issue 13): shardcast's HLS ladder (`transcode SRC DIR/master.m3u8`, default rungs) against
 * one plain ffmpeg process making the same ladder (split filter, one encoder per rung, same preset, CRF, caps
 * and forced keyframes every segment duration), side by side in one run; and, for the choice of task unit,
 * the same rungs made by one plain ffmpeg process per rung (each decoding the source again), as a task per
 * segment × rung would. Figures per rung: bytes of the video and PSNR against the source scaled to the rung.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCapKbps, rungSize, STANDARD_RUNGS, DEFAULT_MEDIA_SEGMENT_SECONDS } from '../../src/core/ladder.js';
import { runChecked, runTimed, type TimedRun } from './exec.js';
import { fmt, markdownTable, median } from './stats.js';

export interface LadderCase {
  label: string;
  source: string;
}

interface Rung {
  /** The rung (short side), which names its folder (`v<rung>`). */
  rung: number;
  height: number;
  width: number;
  capKbps: number;
}

async function displaySize(source: string): Promise<{ width: number; height: number }> {
  const { stdout } = await runChecked('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    source,
  ]);
  const [w, h] = stdout.trim().split(',').map(Number);
  return { width: w!, height: h! };
}

/** shardcast's default rungs for this source (core/ladder.ts resolveRungs: the source and the standard ones below). */
function rungsOf(size: { width: number; height: number }): Rung[] {
  const short = Math.min(size.width, size.height);
  const heights = [short, ...STANDARD_RUNGS.map((r) => r.height).filter((h) => h < short)];
  return heights.map((h) => ({ rung: h, ...rungSize({ ...size, rotation: 0 }, h), capKbps: defaultCapKbps(h, 'h264') }));
}

const encoder = (r: Rung) => [
  '-fps_mode',
  'passthrough',
  '-enc_time_base',
  '-1',
  '-c:v',
  'libx264',
  '-preset',
  'medium',
  '-crf',
  '23',
  '-maxrate',
  `${r.capKbps}k`,
  '-bufsize',
  `${r.capKbps * 2}k`,
  '-forced-idr',
  '1',
  '-force_key_frames',
  `expr:gte(t,n_forced*${DEFAULT_MEDIA_SEGMENT_SECONDS})`,
];

/** One process: decode once, split, one encoder per rung, audio once. */
export function plainLadderArgs(source: string, rungs: Rung[], dir: string): string[] {
  const graph = [
    `[0:v]split=${rungs.length}${rungs.map((_, k) => `[s${k}]`).join('')}`,
    ...rungs.map((r, k) => `[s${k}]scale=w=${r.width}:h=${r.height},setsar=1,format=yuv420p[o${k}]`),
  ];
  return [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-v',
    'error',
    '-y',
    '-i',
    `file:${source}`,
    '-filter_complex',
    graph.join(';'),
    ...rungs.flatMap((r, k) => ['-map', `[o${k}]`, ...encoder(r), '-an', join(dir, `plain-v${r.rung}.mp4`)]),
    '-map',
    '0:a:0?',
    '-vn',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    join(dir, 'plain-a0.m4a'),
  ];
}

/** One rung alone (its own decode of the source), as a task per segment × rung would make it. */
function plainRungArgs(source: string, r: Rung, dir: string): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-v',
    'error',
    '-y',
    '-i',
    `file:${source}`,
    '-map',
    '0:v:0',
    '-vf',
    `scale=w=${r.width}:h=${r.height},setsar=1,format=yuv420p`,
    ...encoder(r),
    '-an',
    join(dir, `alone-v${r.rung}.mp4`),
  ];
}

async function videoBytes(path: string): Promise<number> {
  const { stdout } = await runChecked('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=size',
    '-of',
    'csv=p=0',
    path,
  ]);
  return stdout
    .trim()
    .split('\n')
    .reduce((a, l) => a + (Number(l) || 0), 0);
}

/**
 * PSNR of a rendition against the source scaled to its size (what the encode itself lost), frames paired by
 * index as the shared judge pairs them (a timestamp pairing mismatches frames of a 1/1000 time-base source).
 */
async function rungPsnr(output: string, source: string, r: Rung): Promise<number> {
  const byIndex = 'settb=1/25,setpts=N';
  const { stderr } = await runChecked('ffmpeg', [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-i',
    output,
    '-i',
    `file:${source}`,
    '-lavfi',
    `[0:v]${byIndex}[a];[1:v]scale=w=${r.width}:h=${r.height},setsar=1,format=yuv420p,${byIndex}[b];[a][b]psnr`,
    '-f',
    'null',
    '-',
  ]);
  const m = /PSNR .*average:([0-9.]+|inf)/.exec(stderr);
  return m ? (m[1] === 'inf' ? Infinity : Number(m[1])) : NaN;
}

function shardRungBytes(dir: string, r: Rung): number {
  const d = join(dir, `v${r.rung}`);
  return readdirSync(d)
    .filter((f) => f.endsWith('.m4s'))
    .reduce((a, f) => a + statSync(join(d, f)).size, 0);
}

export async function ladderReport(
  bin: string,
  cases: LadderCase[],
  tmp: string,
  runs: number,
  cores: number,
  log: (s: string) => void,
): Promise<string> {
  const util = (r: TimedRun) => r.cpuSeconds / r.wallSeconds / cores;
  const main: string[][] = [];
  const perRung: string[][] = [];
  const unit: string[][] = [];
  for (const [n, c] of cases.entries()) {
    const size = await displaySize(c.source);
    const rungs = rungsOf(size);
    const dir = join(tmp, `ladder-${n}`);
    const out = join(dir, 'hls', 'master.m3u8');
    log(`\n## ladder: ${c.label} (${rungs.map((r) => `${r.rung}p cap ${r.capKbps}k`).join(', ')})`);
    await runChecked('mkdir', ['-p', dir]);
    const plainArgs = plainLadderArgs(c.source, rungs, dir);
    log(`plain: ffmpeg ${plainArgs.join(' ')}`);
    const shard: TimedRun[] = [];
    const plain: TimedRun[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ['shardcast', 'plain'] : ['plain', 'shardcast'];
      for (const who of order) {
        if (who === 'shardcast') {
          const r = await runTimed(process.execPath, [bin, 'transcode', c.source, out, '--json', '--no-progress', '-y'], {
            tmpDir: tmp,
            env: { ...process.env, SHARDCAST_HOME: join(dir, 'state') },
          });
          if (r.exitCode !== 0) throw new Error(`shardcast ladder failed on ${c.label}: ${r.stderr.slice(-1500)}`);
          const job = JSON.parse(r.stdout) as {
            segmentsTotal?: number;
            cpuSeconds?: number;
            timings?: { encodeMs?: number; mergeMs?: number };
          };
          shard.push(r);
          log(
            `  pair ${i + 1} shardcast: ${fmt(r.wallSeconds)} s wall, ${fmt(r.cpuSeconds)} s CPU (${fmt(util(r) * 100, 0)}%); ${job.segmentsTotal} tasks, task CPU ${fmt(job.cpuSeconds)} s, encode ${job.timings?.encodeMs} ms, playlists ${job.timings?.mergeMs} ms`,
          );
        } else {
          const r = await runTimed('ffmpeg', plainArgs, { tmpDir: tmp });
          if (r.exitCode !== 0) throw new Error(`plain ladder failed on ${c.label}: ${r.stderr.slice(-1500)}`);
          plain.push(r);
          log(`  pair ${i + 1} plain:     ${fmt(r.wallSeconds)} s wall, ${fmt(r.cpuSeconds)} s CPU (${fmt(util(r) * 100, 0)}%)`);
        }
      }
      ratios.push(shard[i]!.wallSeconds / plain[i]!.wallSeconds);
      log(`  pair ${i + 1} ratio shardcast/plain: ${fmt(ratios[i], 3)}`);
    }
    // One process per rung, once: the CPU a segment × rung task unit would spend (each decodes the source).
    let aloneCpu = 0;
    let aloneWall = 0;
    for (const r of rungs) {
      const t = await runTimed('ffmpeg', plainRungArgs(c.source, r, dir), { tmpDir: tmp });
      if (t.exitCode !== 0) throw new Error(`plain rung failed: ${t.stderr.slice(-800)}`);
      aloneCpu += t.cpuSeconds;
      aloneWall += t.wallSeconds;
    }
    const decode = await runTimed('ffmpeg', ['-nostdin', '-v', 'error', '-i', `file:${c.source}`, '-map', '0:v:0', '-f', 'null', '-'], {
      tmpDir: tmp,
    });
    main.push([
      c.label,
      String(runs),
      fmt(median(shard.map((s) => s.wallSeconds))),
      fmt(median(plain.map((p) => p.wallSeconds))),
      fmt(median(ratios), 3),
      fmt(median(shard.map((s) => s.cpuSeconds)), 1),
      fmt(median(plain.map((p) => p.cpuSeconds)), 1),
    ]);
    unit.push([
      c.label,
      fmt(median(plain.map((p) => p.cpuSeconds)), 1),
      fmt(aloneCpu, 1),
      fmt(aloneWall, 1),
      fmt(decode.cpuSeconds, 2),
      `${((aloneCpu / median(plain.map((p) => p.cpuSeconds)) - 1) * 100).toFixed(1)}%`,
    ]);
    for (const r of rungs) {
      const sb = shardRungBytes(join(dir, 'hls'), r);
      const pb = await videoBytes(join(dir, `plain-v${r.rung}.mp4`));
      const sp = await rungPsnr(join(dir, 'hls', `v${r.rung}`, 'index.m3u8'), c.source, r);
      const pp = await rungPsnr(join(dir, `plain-v${r.rung}.mp4`), c.source, r);
      perRung.push([
        c.label,
        `${r.width}x${r.height}`,
        String(r.capKbps),
        (sb / 1e6).toFixed(3),
        (pb / 1e6).toFixed(3),
        `${sb >= pb ? '+' : ''}${(((sb - pb) / pb) * 100).toFixed(1)}%`,
        fmt(sp, 3),
        fmt(pp, 3),
        fmt(sp - pp, 3),
      ]);
    }
  }
  return [
    'Ladder: shardcast vs one plain ffmpeg process making the same rungs (wall and CPU seconds; medians of the pairs)',
    '',
    markdownTable(['case', 'pairs', 'shardcast wall s', 'plain wall s', 'ratio', 'shardcast CPU s', 'plain CPU s'], main),
    '',
    'Per rung (last run): video bytes (shardcast: its media segments; plain: its video packets) and PSNR against the source scaled to the rung',
    '',
    markdownTable(
      ['case', 'rung', 'cap kb/s', 'shardcast MB', 'plain MB', 'bytes diff', 'PSNR shardcast dB', 'PSNR plain dB', 'PSNR diff dB'],
      perRung,
    ),
    '',
    'Task unit: CPU of every rung from one decode (the plain ladder process) against one process per rung, each decoding the source (a task per segment × rung)',
    '',
    markdownTable(
      [
        'case',
        'one decode, all rungs: CPU s',
        'one process per rung: CPU s (sum)',
        'wall s (sum, one after another)',
        'one decode of the source: CPU s',
        'extra CPU, one process per rung',
      ],
      unit,
    ),
  ].join('\n');
}
