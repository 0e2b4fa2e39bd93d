/**
 * `npm run bench -- publish-early`: one ladder job with and without `--publish-early`, timed from the CLI's start
 * to the first time master.m3u8 is in the output folder (a player can load it from then on: with the flag an EVENT
 * ladder of the done prefix, without it the finished VOD ladder) and to the job's end. Also the job's own
 * timings.firstPlayableMs (from its run's start, without the CLI's start-up).
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, markdownTable, median } from './stats.js';

interface EarlyRun {
  masterSeconds: number;
  wallSeconds: number;
  firstPlayableMs?: number;
  totalMs?: number;
}

async function runOnce(bin: string, source: string, dir: string, args: string[]): Promise<EarlyRun> {
  const out = join(dir, 'hls');
  rmSync(out, { recursive: true, force: true });
  const master = join(out, 'master.m3u8');
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'transcode', source, master, '--json', '--no-progress', ...args], {
    env: { ...process.env, SHARDCAST_HOME: join(dir, 'state') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let masterSeconds: number | undefined;
  const poll = setInterval(() => {
    if (masterSeconds === undefined && existsSync(master)) masterSeconds = (performance.now() - t0) / 1000;
  }, 20);
  const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? 1)));
  clearInterval(poll);
  const wallSeconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`shardcast failed: ${stderr.slice(-1500)}`);
  const job = JSON.parse(stdout) as { timings?: { firstPlayableMs?: number; totalMs?: number } };
  return {
    masterSeconds: masterSeconds ?? wallSeconds,
    wallSeconds,
    ...(job.timings?.firstPlayableMs !== undefined ? { firstPlayableMs: job.timings.firstPlayableMs } : {}),
    ...(job.timings?.totalMs !== undefined ? { totalMs: job.timings.totalMs } : {}),
  };
}

/** Runs the pairs (order flipped each pair) and returns a markdown table of the medians. */
export async function publishEarlyReport(
  bin: string,
  source: string,
  label: string,
  ladderArgs: string[],
  tmp: string,
  runs: number,
  log: (s: string) => void,
): Promise<string> {
  const dir = join(tmp, 'publish-early');
  const modes = { vod: [] as EarlyRun[], early: [] as EarlyRun[] };
  log(`\n## publish early: ${label}, shardcast transcode ... ${ladderArgs.join(' ')} [--publish-early]`);
  for (let i = 0; i < runs; i++) {
    for (const mode of i % 2 === 0 ? (['vod', 'early'] as const) : (['early', 'vod'] as const)) {
      const r = await runOnce(bin, source, dir, mode === 'early' ? [...ladderArgs, '--publish-early'] : ladderArgs);
      modes[mode].push(r);
      log(
        `  pair ${i + 1} ${mode === 'early' ? '--publish-early' : 'without      '}: master.m3u8 after ${fmt(r.masterSeconds)} s, done after ${fmt(r.wallSeconds)} s${r.firstPlayableMs !== undefined ? ` (job: first playable ${fmt(r.firstPlayableMs / 1000)} s of ${fmt((r.totalMs ?? 0) / 1000)} s)` : ''}`,
      );
    }
  }
  const row = (name: string, rs: EarlyRun[]) => [
    name,
    fmt(median(rs.map((r) => r.masterSeconds))),
    fmt(median(rs.map((r) => r.wallSeconds))),
    fmt(median(rs.map((r) => r.masterSeconds / r.wallSeconds)) * 100, 0) + '%',
  ];
  return markdownTable(
    ['mode', 'master.m3u8 playable after (s)', 'job done after (s)', 'playable at'],
    [row('without --publish-early', modes.vod), row('--publish-early', modes.early)],
  );
}
