/**
 * Templates: named output specifications (pure). A template is a set of transcode options under the flags'
 * own names (camelCase: `videoCodec`, `crf`, `maxHeight`, `ladder`, `thumbnails`, `notify`, ...) and the kind of
 * output it makes (`output`: a container, or `hls` for a ladder), so a template job is the same job as the same
 * flags. The built-in ones are here; a project's own come from `shardcast.config.{json,yaml}` (runtime/templates.ts).
 */
import type { Container, TranscodeOptions } from './types.js';

/** What a template makes: one file in a container, or an HLS (and DASH) ladder in a folder. */
export type TemplateOutput = Container | 'hls';

export const TEMPLATE_OUTPUTS: readonly TemplateOutput[] = ['mp4', 'mkv', 'webm', 'mov', 'hls'];

/** Option values as a file holds them (numbers, booleans, text, a list of URLs). */
export type TemplateValue = string | number | boolean | string[];

export interface Template {
  name: string;
  description?: string;
  output: TemplateOutput;
  /** Transcode options by flag name (camelCase), as the file wrote them. */
  options: Record<string, TemplateValue>;
  /** Where it was defined: `built-in`, or the file. */
  from: string;
}

/** The options a template may set: every transcode flag but those that only make sense for one run. */
export const TEMPLATE_OPTION_NAMES = [
  'videoCodec',
  'crf',
  'preset',
  'height',
  'width',
  'maxHeight',
  'audioCodec',
  'audioBitrate',
  'pixFmt',
  'bitDepth',
  'deinterlace',
  'segmentSeconds',
  'acceptCutCost',
  'workers',
  'maxAttempts',
  'ladder',
  'dash',
  'segmentDuration',
  'publishEarly',
  'targetQuality',
  'qualityBand',
  'minQuality',
  'minCrf',
  'maxCrf',
  'vmafModel',
  'verify',
  'qualityReport',
  'notify',
  'notifySecretEnv',
  'thumbnails',
  'thumbnailWidth',
] as const;

export const BUILTIN_TEMPLATES: readonly Template[] = [
  {
    name: 'web-1080p',
    description: 'an MP4 every browser plays: H.264 8-bit, at most 1080 lines, AAC',
    output: 'mp4',
    options: { videoCodec: 'h264', crf: 23, preset: 'medium', maxHeight: 1080, bitDepth: 8, audioCodec: 'aac', audioBitrate: 128 },
    from: 'built-in',
  },
  {
    name: 'web-720p',
    description: 'a smaller web MP4: H.264 8-bit, at most 720 lines, AAC 96 kb/s',
    output: 'mp4',
    options: { videoCodec: 'h264', crf: 24, preset: 'medium', maxHeight: 720, bitDepth: 8, audioCodec: 'aac', audioBitrate: 96 },
    from: 'built-in',
  },
  {
    name: 'hls-dash',
    description: "an HLS + DASH ladder of the source's height and the standard rungs below it, with thumbnails every 10 s",
    output: 'hls',
    options: { videoCodec: 'h264', preset: 'medium', dash: true, segmentDuration: 4, audioCodec: 'aac', thumbnails: 10 },
    from: 'built-in',
  },
  {
    name: 'archive-hevc-10bit',
    description: "an archive copy: HEVC 10-bit at CRF 20 (slow), the source's size and audio as they are, in MKV",
    output: 'mkv',
    options: { videoCodec: 'hevc', crf: 20, preset: 'slow', bitDepth: 10, audioCodec: 'copy' },
    from: 'built-in',
  },
];

/** The output a template makes for a source, in `dir`: `DIR/NAME.EXT`, or `DIR/NAME/master.m3u8` for a ladder. */
export function templateOutputPath(t: Pick<Template, 'output'>, sourceBase: string, dir: string): string {
  const name = sourceBase.replace(/\.[^./\\]+$/, '') || 'output';
  const sep = dir.endsWith('/') ? '' : '/';
  return t.output === 'hls' ? `${dir}${sep}${name}/master.m3u8` : `${dir}${sep}${name}.${t.output}`;
}

/** The kind of output a path names: its container, `hls` for a playlist, or undefined for neither. */
export function outputKindOfPath(path: string): TemplateOutput | undefined {
  if (/\.m3u8$/i.test(path)) return 'hls';
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  if (ext === 'm4v') return 'mp4';
  return (TEMPLATE_OUTPUTS as readonly string[]).includes(ext ?? '') ? (ext as TemplateOutput) : undefined;
}

/** One line of what a template makes, from the options it resolves to. */
export function describeTemplateOutput(t: Pick<Template, 'output'>, o: TranscodeOptions): string {
  const p = o.profile;
  const size = p.maxHeight
    ? `at most ${p.maxHeight} lines`
    : p.height || p.width
      ? `${p.width ?? '-'}x${p.height ?? '-'}`
      : p.ladder
        ? p.ladder.rungs.length
          ? `rungs ${p.ladder.rungs.map((r) => r.height).join('/')}`
          : "the source's height and the rungs below it"
        : "the source's size";
  const depth = p.bitDepth ? ` ${p.bitDepth}-bit` : p.pixelFormat ? ` ${p.pixelFormat}` : '';
  const rate = p.target ? `${p.target.metric} ${p.target.value}` : p.ladder ? 'capped CRF' : `crf ${p.crf}`;
  const audio = p.audioCodec === 'none' ? 'no audio' : p.audioCodec === 'copy' ? 'audio copied' : `${p.audioCodec} ${p.audioBitrateKbps}k`;
  const what = t.output === 'hls' ? (p.ladder?.dash ? 'HLS + DASH ladder' : 'HLS ladder') : t.output;
  const extras = [
    ...(o.thumbnails ? [`thumbnails every ${o.thumbnails.everySeconds} s`] : []),
    ...(o.notify?.length ? [`notifies ${o.notify.length} webhook${o.notify.length > 1 ? 's' : ''}`] : []),
  ];
  return [`${what}: ${p.videoCodec}${depth} ${rate} ${p.preset}, ${size}, ${audio}`, ...extras].join('; ');
}
