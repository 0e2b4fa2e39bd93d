/**
 * The HLS playlists (RFC 8216) and the DASH manifest (ISO/IEC 23009-1, live profile with SegmentTimeline) of a
 * ladder, written from the measured media segments: every duration is the segments' own (their sample
 * durations), BANDWIDTH is the peak over one segment and AVERAGE-BANDWIDTH the whole rendition's. Pure.
 */

export interface MediaSegmentEntry {
  /** 0-based number in the rendition; the file is mediaSegmentName(number). */
  number: number;
  file: string;
  /** Decode time of its first sample, and the sum of its sample durations (timescale ticks). */
  start: number;
  duration: number;
  bytes: number;
  frames: number;
  /** A video segment's keyframes, for its I-frame playlist (core/iframe-playlist.ts); absent in older manifests. */
  keyframes?: KeyframeRange[];
}

/** A keyframe in a media segment: its bytes (its fragment's moof through its own sample) and presentation time. */
export interface KeyframeRange {
  /** Byte offset of its fragment in the segment file, and the length from there to the end of the keyframe's sample. */
  offset: number;
  length: number;
  /** Presentation time (timescale ticks, the rendition's timeline). */
  time: number;
}

export interface RenditionIndex {
  kind: 'video' | 'audio';
  name: string;
  timescale: number;
  codecs: string;
  width?: number;
  height?: number;
  channels?: number;
  sampleRate?: number;
  language?: string;
  init: string;
  segments: MediaSegmentEntry[];
  /** Ticks from a segment's decode time (`start`) to its first frame shown: the video's decode lead; 0 for audio. */
  presentationOffset?: number;
}

export interface SubtitleIndex {
  name: string;
  file: string;
  language?: string;
  durationSeconds: number;
  bytes?: number;
  /**
   * The same cues on the DASH period's timeline (dashPeriodStart; the MPD's presentationTimeOffset is not applied to
   * text).
   */
  dashFile?: string;
}

export interface LadderIndex {
  video: RenditionIndex[];
  audio: RenditionIndex[];
  subtitles: SubtitleIndex[];
  /** The source's average frame rate (frames per second). */
  frameRate: number;
  /** Presentation time (s) of the source's start in the renditions; the DASH period starts there or later. */
  timelineStart: number;
}

export interface Bitrates {
  peak: number;
  average: number;
  bytes: number;
  seconds: number;
}

/**
 * Peak and average bit rate (bits per second, rounded up). The peak is RFC 8216's peak segment bit rate: the
 * largest rate of any run of consecutive segments lasting 0.5 to 1.5 times the target duration (so a one-frame
 * last segment does not set it alone); a rendition too short for any such run takes its whole average.
 */
export function bitratesOf(r: RenditionIndex): Bitrates {
  const secs = r.segments.map((s) => s.duration / r.timescale);
  const bytes = r.segments.reduce((a, s) => a + s.bytes, 0);
  const seconds = secs.reduce((a, x) => a + x, 0);
  const average = seconds > 0 ? Math.ceil((bytes * 8) / seconds) : 0;
  const td = targetDuration(secs);
  let peak = 0;
  for (let i = 0; i < r.segments.length; i++) {
    let b = 0;
    let d = 0;
    for (let j = i; j < r.segments.length && d < 1.5 * td; j++) {
      b += r.segments[j]!.bytes;
      d += secs[j]!;
      if (d >= 0.5 * td && d <= 1.5 * td) peak = Math.max(peak, (b * 8) / d);
    }
  }
  return { peak: peak > 0 ? Math.ceil(peak) : average, average, bytes, seconds };
}

/** EXT-X-TARGETDURATION: every EXTINF rounded to the nearest integer is at most it (RFC 8216 4.3.3.1). */
export function targetDuration(durations: number[]): number {
  return Math.max(1, ...durations.map((d) => Math.round(d)));
}

const q = (s: string) => `"${s.replace(/["\r\n]/g, '')}"`;

/**
 * A rendition's media playlist: VOD (the whole rendition, ENDLIST), or EVENT (a job publishing early: the segments
 * done so far, no ENDLIST, so a player reloads it; core/early-publish.ts). The target duration of an EVENT
 * playlist is given (it may not change while the playlist grows: RFC 8216 6.2.1), else measured.
 */
export function mediaPlaylist(r: RenditionIndex, type: 'VOD' | 'EVENT' = 'VOD', target?: number): string {
  const secs = r.segments.map((s) => s.duration / r.timescale);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target ?? targetDuration(secs)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    `#EXT-X-PLAYLIST-TYPE:${type}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI=${q(r.init)}`,
  ];
  r.segments.forEach((s, i) => lines.push(`#EXTINF:${secs[i]!.toFixed(6)},`, s.file));
  if (type === 'VOD') lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

export function subtitlePlaylist(s: SubtitleIndex): string {
  return (
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      `#EXT-X-TARGETDURATION:${targetDuration([s.durationSeconds])}`,
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      `#EXTINF:${s.durationSeconds.toFixed(6)},`,
      s.file,
      '#EXT-X-ENDLIST',
    ].join('\n') + '\n'
  );
}

const AUDIO_GROUP = 'audio';
const SUBTITLE_GROUP = 'subs';

/**
 * The master playlist: one EXT-X-STREAM-INF per video rendition, the audio and subtitles as EXT-X-MEDIA groups,
 * and an EXT-X-I-FRAME-STREAM-INF per entry of `iframes` (core/iframe-playlist.ts).
 */
export function masterPlaylist(l: LadderIndex, iframes: string[] = []): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  l.audio.forEach((a, i) => {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=${q(AUDIO_GROUP)},NAME=${q(`${a.language ?? 'audio'} ${i + 1}`)}${a.language ? `,LANGUAGE=${q(a.language)}` : ''},DEFAULT=${i === 0 ? 'YES' : 'NO'},AUTOSELECT=YES${a.channels ? `,CHANNELS=${q(String(a.channels))}` : ''},URI=${q(`${a.name}/index.m3u8`)}`,
    );
  });
  l.subtitles.forEach((s, i) => {
    lines.push(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=${q(SUBTITLE_GROUP)},NAME=${q(`${s.language ?? 'subtitles'} ${i + 1}`)}${s.language ? `,LANGUAGE=${q(s.language)}` : ''},DEFAULT=NO,AUTOSELECT=YES,URI=${q(`${s.name}/index.m3u8`)}`,
    );
  });
  const audioRates = l.audio.map(bitratesOf);
  const audioPeak = Math.max(0, ...audioRates.map((b) => b.peak));
  const audioAverage = Math.max(0, ...audioRates.map((b) => b.average));
  const audioCodecs = [...new Set(l.audio.map((a) => a.codecs))];
  for (const v of l.video) {
    const b = bitratesOf(v);
    const attrs = [
      `BANDWIDTH=${b.peak + audioPeak}`,
      `AVERAGE-BANDWIDTH=${b.average + audioAverage}`,
      `CODECS=${q([v.codecs, ...audioCodecs].join(','))}`,
      `RESOLUTION=${v.width}x${v.height}`,
      `FRAME-RATE=${l.frameRate.toFixed(3)}`,
      ...(l.audio.length ? [`AUDIO=${q(AUDIO_GROUP)}`] : []),
      ...(l.subtitles.length ? [`SUBTITLES=${q(SUBTITLE_GROUP)}`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, `${v.name}/index.m3u8`);
  }
  lines.push(...iframes);
  return lines.join('\n') + '\n';
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** ISO 8601 duration, as MPD attributes take it. */
export function isoDuration(seconds: number): string {
  return `PT${seconds.toFixed(3)}S`;
}

/** SegmentTimeline: runs of equal, contiguous segments as one S with a repeat count; `t` wherever a gap or overlap is. */
function segmentTimeline(r: RenditionIndex): string {
  const out: string[] = [];
  let expect: number | undefined;
  let run: { t?: number; d: number; r: number } | undefined;
  const flush = () => {
    if (run) out.push(`<S${run.t !== undefined ? ` t="${run.t}"` : ''} d="${run.d}"${run.r ? ` r="${run.r}"` : ''}/>`);
  };
  // S@t is a segment's earliest presentation time: its first frame's (a closed GOP starts with it).
  const off = r.presentationOffset ?? 0;
  for (const s of r.segments) {
    const t = s.start + off;
    const contiguous = expect === t;
    if (run && contiguous && run.d === s.duration) run.r++;
    else {
      flush();
      run = { ...(contiguous ? {} : { t }), d: s.duration, r: 0 };
    }
    expect = t + s.duration;
  }
  flush();
  return `<SegmentTimeline>${out.join('')}</SegmentTimeline>`;
}

function representation(r: RenditionIndex, periodStart: number, extra: string, inner = ''): string {
  const b = bitratesOf(r);
  const pto = Math.round(periodStart * r.timescale);
  const template = `<SegmentTemplate timescale="${r.timescale}"${pto ? ` presentationTimeOffset="${pto}"` : ''} initialization="${xml(`${r.name}/${r.init}`)}" media="${xml(`${r.name}/seg_$Number%05d$.m4s`)}" startNumber="1">${segmentTimeline(r)}</SegmentTemplate>`;
  return `      <Representation id="${xml(r.name)}" bandwidth="${b.peak}" codecs="${xml(r.codecs)}"${extra}>${inner}${template}</Representation>`;
}

/**
 * Where the DASH period starts on the renditions' timeline (s): where the video's first frame is shown (the
 * source's start, `timelineStart`, when there is no video). A player starts at the period's start, and its
 * append window drops what comes before it:
 * - video begun after it leaves a hole there, and dash.js never starts playing over one (bbb's webm, whose video
 *   begins 3 ms after its audio, waited for ever);
 * - video begun before it loses the frames before it, its keyframe among them: nothing decodes until the next
 *   segment, the same stall.
 * So the period starts on the video's first frame. Audio begun earlier loses only what comes before it (the
 * encoder's priming, a few milliseconds of a source whose audio leads); audio begun later is a short hole in
 * audio alone, which dash.js plays over (39 ms on the corpus MKV).
 */
export function dashPeriodStart(l: Pick<LadderIndex, 'video' | 'timelineStart'>): number {
  const firsts = l.video.flatMap((r) => (r.segments[0] ? [(r.segments[0].start + (r.presentationOffset ?? 0)) / r.timescale] : []));
  return firsts.length ? Math.min(...firsts) : l.timelineStart;
}

/**
 * A DASH manifest that grows (a job publishing early): `type="dynamic"`, the period anchored at
 * `availabilityStartTime`, reloaded every `minimumUpdatePeriod` seconds; no time-shift limit, so every segment
 * published stays in it (HLS's EVENT). Times are ISO 8601 (UTC), given: core reads no clock.
 */
export interface DynamicMpd {
  availabilityStartTime: string;
  publishTime: string;
  minimumUpdatePeriod: number;
}

/** The DASH manifest over the same init and media segment files as the HLS playlists; static unless `dynamic`. */
export function dashManifest(l: LadderIndex, dynamic?: DynamicMpd): string {
  const periodStart = dashPeriodStart(l);
  const end = Math.max(
    0,
    ...[...l.video, ...l.audio].map((r) => {
      const last = r.segments[r.segments.length - 1];
      return last ? (last.start + (r.presentationOffset ?? 0) + last.duration) / r.timescale - periodStart : 0;
    }),
  );
  const maxSegment = Math.max(1, ...[...l.video, ...l.audio].flatMap((r) => r.segments.map((s) => s.duration / r.timescale)));
  const fps = Number(l.frameRate.toFixed(3));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    dynamic
      ? `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic" availabilityStartTime="${dynamic.availabilityStartTime}" publishTime="${dynamic.publishTime}" minimumUpdatePeriod="${isoDuration(dynamic.minimumUpdatePeriod)}" minBufferTime="${isoDuration(Math.ceil(maxSegment))}">`
      : `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="${isoDuration(end)}" minBufferTime="${isoDuration(Math.ceil(maxSegment))}">`,
    '  <Period id="0" start="PT0S">',
  ];
  if (l.video.length) {
    lines.push(
      `    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" frameRate="${fps}">`,
    );
    for (const v of l.video) lines.push(representation(v, periodStart, ` width="${v.width}" height="${v.height}" sar="1:1"`));
    lines.push('    </AdaptationSet>');
  }
  l.audio.forEach((a, i) => {
    lines.push(
      `    <AdaptationSet id="${i + 1}" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1"${a.language ? ` lang="${xml(a.language)}"` : ''}>`,
    );
    const channels = a.channels
      ? `<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${a.channels}"/>`
      : '';
    lines.push(representation(a, periodStart, a.sampleRate ? ` audioSamplingRate="${a.sampleRate}"` : '', channels));
    lines.push('    </AdaptationSet>');
  });
  l.subtitles.forEach((s, i) => {
    lines.push(
      `    <AdaptationSet id="${l.audio.length + i + 1}" contentType="text" mimeType="text/vtt"${s.language ? ` lang="${xml(s.language)}"` : ''}>`,
    );
    lines.push(
      `      <Representation id="${xml(s.name)}" bandwidth="256"><BaseURL>${xml(`${s.name}/${s.file}`)}</BaseURL></Representation>`,
    );
    lines.push('    </AdaptationSet>');
  });
  lines.push('  </Period>', '</MPD>');
  return lines.join('\n') + '\n';
}
