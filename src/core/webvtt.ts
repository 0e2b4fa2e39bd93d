/**
 * Moves the cues of a WebVTT file on the time axis (pure): every cue timing line is shifted by `seconds`; a cue
 * that would start before 0 starts at 0, one that would end by 0 is dropped. ffmpeg cannot do it for a cue at the
 * start: with a negative -itsoffset its WebVTT muxer either moves every cue back to start at 0 or writes a negative
 * time no player reads.
 */
const TIMING = /^((?:\d+:)?\d{2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{2}:\d{2}\.\d{3})(.*)$/;

function parseTime(s: string): number {
  const parts = s.split(':').map(Number);
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

/** A WebVTT cue time, `HH:MM:SS.mmm`; with `hours: 'when-needed'` the hours only from the first hour on. */
export function vttTime(t: number, hours: 'always' | 'when-needed' = 'always'): string {
  const ms = Math.round(t * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  const mmss = `${String(m).padStart(2, '0')}:${sec.toFixed(3).padStart(6, '0')}`;
  return h || hours === 'always' ? `${String(h).padStart(2, '0')}:${mmss}` : mmss;
}

const formatTime = (t: number): string => vttTime(t, 'when-needed');

export function shiftWebvtt(text: string, seconds: number): string {
  if (Math.abs(seconds) < 0.0005) return text;
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  const out: string[] = [];
  for (const block of blocks) {
    const lines = block.split('\n');
    const i = lines.findIndex((l) => TIMING.test(l));
    if (i < 0) {
      out.push(block);
      continue;
    }
    const [, from, to, rest] = TIMING.exec(lines[i]!)!;
    const start = parseTime(from!) + seconds;
    const end = parseTime(to!) + seconds;
    if (end <= 0) continue;
    lines[i] = `${formatTime(Math.max(0, start))} --> ${formatTime(end)}${rest}`;
    out.push(lines.join('\n'));
  }
  return out.join('\n\n');
}
