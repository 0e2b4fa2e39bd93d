/** Formatting for people: durations, sizes, speeds, times. */

export function clock(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = String(Math.floor(s % 60)).padStart(2, '0');
  return h ? `${h}:${String(m % 60).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function seconds(s: number | undefined): string {
  return s === undefined ? '–' : clock(s * 1000);
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : v < 10 ? 2 : 1)} ${units[i]}`;
}

export function speed(x: number | undefined): string {
  return x === undefined ? '–' : `${x.toFixed(x < 10 ? 2 : 1)}×`;
}

export function time(at: number | undefined): string {
  return at === undefined ? '–' : new Date(at).toLocaleTimeString();
}

export function dateTime(at: number): string {
  return new Date(at).toLocaleString();
}

/** An argument list as one copyable command line (POSIX quoting for display only; nothing runs it). */
export function commandLine(tool: string, args: string[]): string {
  const q = (a: string) => (/^[A-Za-z0-9_./:=,+@%-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [tool, ...args.map(q)].join(' ');
}

export function usd(n: number | undefined): string {
  if (n === undefined) return '–';
  return n >= 0.01 ? `$${n.toFixed(2)}` : `$${n.toPrecision(2)}`;
}

/** Time left, rounded up to whole seconds: "8 s", "1:05", "1:02:03". */
export function eta(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '–';
  const whole = Math.max(0, Math.ceil(s));
  return whole < 60 ? `${whole} s` : clock(whole * 1000);
}

/** Frames a second: "42 fps", "3.5 fps". */
export function fps(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return `${x.toFixed(x < 10 ? 1 : 0)} fps`;
}

/**
 * A worker id in plain words: `host:pid/start` of the server's host is "this machine (pid N)", of another
 * host "host (pid N)"; a Lambda invocation "Lambda (request abcd1234)".
 */
export function workerLabel(id: string | undefined, serverHost?: string): string {
  if (!id) return '–';
  const lambda = /^lambda:(.+)$/.exec(id);
  if (lambda) return `Lambda (request ${lambda[1]!.slice(0, 8)})`;
  const m = /^(.*):(\d+)(?:\/\d+)?$/.exec(id);
  if (!m) return id;
  return m[1] === serverHost ? `this machine (pid ${m[2]})` : `${m[1]} (pid ${m[2]})`;
}

/** What a job makes: "HLS ladder", "HLS + DASH ladder", or its container ("mp4"). */
export function outputKind(p: { container: string; ladder?: { dash: boolean } }): string {
  return p.ladder ? (p.ladder.dash ? 'HLS + DASH ladder' : 'HLS ladder') : p.container;
}
