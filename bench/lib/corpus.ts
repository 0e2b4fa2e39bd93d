/**
 * The fidelity part of the bench: every real file in ../shared/media that has video, transcoded by shardcast
 * with the defaults and with one-second segments, and by the shared judge's one-pass reference command, then
 * judged by ../shared/tools/verify_output.py. Prints video bytes and PSNR against the source, shardcast beside
 * plain.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { judgeReferenceArgs } from './plain-args.js';
import { fmt, markdownTable } from './stats.js';

/** Files of the corpus shardcast refuses on purpose (no video, truncated, corrupt). */
const REFUSED = new Set(['audio_only_2x_aac51.mp4', 'broken_truncated_after_moov.mp4', 'broken_vp9_invalid_bitstream.webm']);

interface Verdict {
  ok?: boolean;
  checks?: Record<string, { ok: boolean; detail: string }>;
  figures?: { psnr_vs_source?: number; reference_psnr_vs_source?: number; video_size_ratio?: number };
}

/**
 * The modes each file is transcoded in: the defaults; one-second segments asked for (the planner lengthens them
 * where their cuts would cost more than 5% of the bytes); and one-second segments kept whatever they cost, seams
 * in every short file, which the timing checks must pass at any cut length.
 */
const MODES: Array<[name: string, args: string[]]> = [
  ['defaults', []],
  ['--segment-seconds 1', ['--segment-seconds', '1']],
  ['--segment-seconds 1 --accept-cut-cost', ['--segment-seconds', '1', '--accept-cut-cost']],
];

export function corpusReport(repo: string, tmp: string, log: (s: string) => void): string {
  const media = resolve(repo, '../shared/media');
  const judge = resolve(repo, '../shared/tools/verify_output.py');
  if (!existsSync(media) || !existsSync(judge)) return `(no corpus: ${media} or ${judge} not found)`;
  const rows: string[][] = [];
  for (const file of readdirSync(media).sort()) {
    if (file.endsWith('.md') || REFUSED.has(file)) continue;
    const src = join(media, file);
    const ref = join(tmp, `corpus-${file}.ref.mp4`);
    spawnSync('ffmpeg', judgeReferenceArgs(src, ref));
    for (const [i, [mode, args]] of MODES.entries()) {
      const out = join(tmp, `corpus-${file}-${i}.mp4`);
      const s = spawnSync(
        process.execPath,
        [join(repo, 'bin/shardcast.js'), 'transcode', src, out, '--json', '--no-progress', '-y', ...args],
        {
          encoding: 'utf8',
          env: { ...process.env, SHARDCAST_HOME: join(tmp, 'corpus-state') },
        },
      );
      if (s.status !== 0) {
        rows.push([file, mode, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', `shardcast failed: ${s.stderr.trim().split('\n').pop() ?? ''}`]);
        log(`  ${rows[rows.length - 1]!.join(' | ')}`);
        continue;
      }
      let plan = 'n/a';
      try {
        const job = JSON.parse(s.stdout) as { segmentsTotal: number; options: { segmentSeconds: number }; planNotices?: string[] };
        plan = `${job.segmentsTotal} (${job.options.segmentSeconds} s${job.planNotices?.length ? ', lengthened' : ''})`;
      } catch {
        /* n/a */
      }
      const j = spawnSync('python3', [judge, src, out, ref], { encoding: 'utf8' });
      let v: Verdict = {};
      try {
        v = JSON.parse(j.stdout.trim().split('\n').pop() ?? '{}') as Verdict;
      } catch {
        /* reported as n/a below */
      }
      const f = v.figures ?? {};
      const failed = Object.entries(v.checks ?? {})
        .filter(([, c]) => !c.ok)
        .map(([k, c]) => `${k} (${c.detail})`);
      const row = [
        file,
        mode,
        plan,
        fmt(f.video_size_ratio, 4),
        fmt(f.psnr_vs_source, 3),
        fmt(f.reference_psnr_vs_source, 3),
        fmt(
          f.psnr_vs_source !== undefined && f.reference_psnr_vs_source !== undefined
            ? f.psnr_vs_source - f.reference_psnr_vs_source
            : undefined,
          3,
        ),
        v.ok ? 'pass' : `fail: ${failed.join('; ') || 'no verdict'}`,
      ];
      log(`  ${row.join(' | ')}`);
      rows.push(row);
    }
  }
  return markdownTable(
    ['file', 'mode', 'segments (planned length)', 'video bytes / plain', 'PSNR shardcast dB', 'PSNR plain dB', 'PSNR diff dB', 'judge'],
    rows,
  );
}
