/**
 * The scene-cut part of the bench (`npm run bench -- scenecuts`, never in the default run): a 36 s 640x360 source
 * with a fixed GOP (a keyframe every 2 s, `-sc_threshold 0`, as broadcast streams have them) made of six shots
 * of two shared files, transcoded by shardcast with its scene scan and without it (an ffmpeg that fails the scan,
 * so the job plans as before, with its notice), at the default length and at 10 s. Each output is judged by
 * ../shared/tools/verify_output.py against the judge's one-pass reference; per seam, the loss against that
 * reference (frames paired by index, PSNR against the source, the 12 frames either side of the cut) and whether
 * the one-pass encode has an I-frame on the cut's frame.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { judgeReferenceArgs } from './plain-args.js';
import { fmt, markdownTable } from './stats.js';

const SHOTS: Array<[input: 0 | 1, from: number, to: number]> = [
  [0, 0, 7.3],
  [1, 0, 4.8],
  [0, 7.3, 14.8],
  [1, 4.8, 10.2],
  [0, 14.8, 21.5],
  [1, 10.2, 14.5],
];

/** Frames either side of a cut whose loss against the reference is taken. */
const AROUND = 12;

const run = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) =>
  spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...(env ? { env } : {}) });

function makeSource(bbb: string, real: string, out: string): void {
  const filters = SHOTS.map(
    ([i, a, b], k) => `[${i}:v]trim=start=${a}:end=${b},setpts=PTS-STARTPTS,${i === 0 ? 'scale=640:360,' : ''}fps=24,format=yuv420p[s${k}]`,
  );
  const graph = `${filters.join(';')};${SHOTS.map((_, k) => `[s${k}]`).join('')}concat=n=${SHOTS.length}:v=1:a=0[v]`;
  const r = run('ffmpeg', [
    ...['-nostdin', '-v', 'error', '-y', '-i', bbb, '-i', real, '-filter_complex', graph, '-map', '[v]'],
    ...['-c:v', 'libx264', '-preset', 'medium', '-crf', '18', '-g', '48', '-keyint_min', '48', '-sc_threshold', '0', out],
  ]);
  if (r.status !== 0) throw new Error(`making the fixed-GOP source failed: ${r.stderr}`);
}

/** Per-frame luma PSNR of `path` against `source`, frames paired by index. */
function framePsnr(path: string, source: string): number[] {
  const r = run('ffmpeg', [
    ...['-nostdin', '-v', 'error', '-i', path, '-i', source, '-lavfi'],
    '[0:v]settb=1/25,setpts=N[a];[1:v]settb=1/25,setpts=N[b];[a][b]psnr=stats_file=-',
    ...['-f', 'null', '-'],
  ]);
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('psnr_y:'))
    .map((l) => {
      const y = /psnr_y:(\S+)/.exec(l)![1]!;
      return y === 'inf' ? 99 : Number(y);
    });
}

/**
 * Frame indices (presentation order) of the I-frames of a file's video: x264 codes a scene change within
 * min-keyint of the last IDR as an I-frame that is not flagged a keyframe, and a cut there costs as little.
 */
function intraFramesOf(path: string): Set<number> {
  const r = run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pict_type', '-of', 'csv=p=0', path]);
  const types = r.stdout
    .split('\n')
    .map((l) => l.replace(/,$/, '').trim())
    .filter(Boolean);
  return new Set(types.flatMap((t, i) => (t === 'I' ? [i] : [])));
}

interface Job {
  segmentsTotal: number;
  options: { segmentSeconds?: number };
  segments: Array<{ startFrame: number }>;
  quality?: { worstSeam?: number; seams: Array<{ index: number; dipDb: number }> };
}

export function sceneCutsReport(repo: string, tmp: string, log: (s: string) => void): string {
  const media = resolve(repo, '../shared/media');
  const bbb = join(media, 'bbb_720p24_30s_vp8_vorbis.webm');
  const real = join(media, 'real_640x360_40s_noaudio.mp4');
  const judge = resolve(repo, '../shared/tools/verify_output.py');
  if (![bbb, real, judge].every((p) => existsSync(p))) return `(no scene-cut case: ${bbb}, ${real} or ${judge} not found)`;
  const src = join(tmp, 'scenes-fixed-gop.mp4');
  makeSource(bbb, real, src);
  const ref = join(tmp, 'scenes-ref.mp4');
  if (run('ffmpeg', judgeReferenceArgs(src, ref)).status !== 0) throw new Error('the reference encode failed');
  const refIntra = intraFramesOf(ref);
  const refPsnr = framePsnr(ref, src);
  // An ffmpeg that fails the scene scan and runs everything else: the job plans without scene changes.
  const noScan = join(tmp, 'ffmpeg-no-scene-scan.sh');
  writeFileSync(
    noScan,
    '#!/bin/sh\ncase "$*" in *select=gte\\(scene*) echo "scene scan switched off by the bench" >&2; exit 1;; esac\nexec ffmpeg "$@"\n',
  );
  chmodSync(noScan, 0o755);
  const rows: string[][] = [];
  for (const [mode, args] of [
    ['defaults', []],
    ['--segment-seconds 10', ['--segment-seconds', '10']],
  ] as Array<[string, string[]]>) {
    for (const scan of [false, true]) {
      const out = join(tmp, `scenes-${rows.length}.mp4`);
      const env = { ...process.env, SHARDCAST_HOME: join(tmp, 'scenes-state'), ...(scan ? {} : { FFMPEG_PATH: noScan }) };
      const cli = [join(repo, 'bin/shardcast.js'), 'transcode', src, out, '--quality-report', '--json', '--no-progress', '-y', ...args];
      const s = run(process.execPath, cli, env);
      if (s.status !== 0) throw new Error(`shardcast failed: ${s.stderr.slice(-1500)}`);
      const job = JSON.parse(s.stdout) as Job;
      const verdict = JSON.parse(run('python3', [judge, src, out, ref]).stdout) as {
        ok?: boolean;
        figures?: { video_size_ratio?: number };
      };
      const psnr = framePsnr(out, src);
      const cuts = job.segments.map((g) => g.startFrame).filter((f) => f > 0);
      const loss = cuts.map((c) => {
        const d: number[] = [];
        for (let i = Math.max(0, c - AROUND); i < Math.min(psnr.length, c + AROUND); i++) d.push(refPsnr[i]! - psnr[i]!);
        return { mean: d.reduce((a, b) => a + b, 0) / d.length, worst: Math.max(...d), intra: refIntra.has(c) };
      });
      const onIntra = loss.filter((l) => l.intra).length;
      const worstOf = (ls: typeof loss) => (ls.length ? fmt(Math.max(...ls.map((l) => l.worst)), 2) : '-');
      const worstSeam = job.quality?.seams.find((x) => x.index === job.quality?.worstSeam);
      rows.push([
        mode,
        scan ? 'scene-aware' : 'keyframes (scan off)',
        `${job.segmentsTotal} (${job.options.segmentSeconds ?? '?'} s)`,
        `${onIntra} of ${cuts.length}`,
        fmt(verdict.figures?.video_size_ratio, 4),
        worstOf(loss.filter((l) => l.intra)),
        worstOf(loss.filter((l) => !l.intra)),
        fmt(loss.reduce((a, l) => a + l.mean, 0) / Math.max(1, loss.length), 3),
        worstSeam ? fmt(worstSeam.dipDb, 2) : 'n/a',
        verdict.ok ? 'pass' : 'FAIL',
      ]);
      log(`  ${rows[rows.length - 1]!.join(' | ')}`);
    }
  }
  return markdownTable(
    [
      'mode',
      'cuts by',
      'segments (target)',
      'cuts on a one-pass I-frame',
      'video bytes / one-pass',
      'worst frame loss, cuts on an I-frame (dB)',
      'worst frame loss, other cuts (dB)',
      'mean loss ±12 frames (dB)',
      'quality report worstSeam dip (dB)',
      'judge',
    ],
    rows,
  );
}
