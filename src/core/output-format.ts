/**
 * What the output's pictures are: pixel format (bit depth, chroma), range, and the HDR static metadata the
 * encoder writes. By default the source's own: a 10-bit source stays 10-bit, 4:2:2 stays 4:2:2, full range
 * stays full in values and tags, HDR10 mastering display and content light level go into the bitstream where
 * the encoder can write them. What cannot be kept is named in `notices` (one line each, for the job's events).
 * Pure: the analysis and the profile in, data out.
 */
import { UsageError } from './errors.js';
import type { EncodeProfile, HdrMetadata, VideoCodec, VideoHead } from './types.js';

type Chroma = '420' | '422' | '440' | '444';

/** What each encoder takes in Debian's ffmpeg 5.1 (`ffmpeg -h encoder=X`; checked by an integration test). */
export const ENCODER_FORMATS: Record<VideoCodec, { chroma: Chroma[]; depths: number[] }> = {
  h264: { chroma: ['420', '422', '444'], depths: [8, 10] },
  hevc: { chroma: ['420', '422', '444'], depths: [8, 10, 12] },
  vp9: { chroma: ['420', '422', '440', '444'], depths: [8, 10, 12] },
  av1: { chroma: ['420'], depths: [8, 10] },
};

/** Every pixel format name an encoder takes from shardcast (`--pix-fmt` must be one of them). */
export function pixelFormatsFor(codec: VideoCodec): string[] {
  const f = ENCODER_FORMATS[codec];
  return f.depths.flatMap((d) => f.chroma.map((c) => pixelFormatName(c, d)));
}

function pixelFormatName(chroma: Chroma, depth: number): string {
  return `yuv${chroma}p${depth > 8 ? `${depth}le` : ''}`;
}

export interface SourcePixels {
  /** 'rgb' for RGB and other non-YUV layouts, which are encoded as YUV. */
  chroma: Chroma | 'rgb' | 'gray';
  depth: number;
  alpha: boolean;
  /** The format name itself says full range (the deprecated `yuvj*` formats). */
  fullRangeFormat: boolean;
}

/** Semi-planar and packed YUV formats (hardware decoders' output): chroma and bits per component. */
const SEMI_PLANAR: Record<string, [Chroma, number]> = {
  nv12: ['420', 8],
  nv21: ['420', 8],
  p010: ['420', 10],
  p012: ['420', 12],
  p016: ['420', 16],
  nv16: ['422', 8],
  nv20: ['422', 10],
  p210: ['422', 10],
  p216: ['422', 16],
  y210: ['422', 10],
  nv24: ['444', 8],
  nv42: ['444', 8],
  p410: ['444', 10],
  p416: ['444', 16],
  xv30: ['444', 10],
  xv36: ['444', 12],
  ayuv64: ['444', 16],
};

/** Reads bit depth, chroma subsampling and alpha from an ffmpeg pixel format name. */
export function describePixelFormat(name: string): SourcePixels {
  const depthOf = (s: string | undefined) => (s ? Number(s) : 8);
  let m: RegExpExecArray | null = /^yuv(j)?(a)?(420|422|440|444|411|410)p(\d+)?(le|be)?$/.exec(name);
  if (m) {
    const sub = m[3] as string;
    const chroma: Chroma = sub === '411' || sub === '410' ? '420' : (sub as Chroma);
    return { chroma, depth: depthOf(m[4]), alpha: !!m[2], fullRangeFormat: !!m[1] };
  }
  const semi = SEMI_PLANAR[name.replace(/(le|be)$/, '')];
  if (semi) return { chroma: semi[0], depth: semi[1], alpha: name.startsWith('ayuv'), fullRangeFormat: false };
  m = /^gray(a)?(\d+)?(le|be)?$/.exec(name) ?? /^ya(8|16)(le|be)?$/.exec(name);
  if (m)
    return {
      chroma: 'gray',
      depth: depthOf(name.startsWith('ya') ? m[1] : m[2]),
      alpha: name.startsWith('ya') || !!m[1],
      fullRangeFormat: false,
    };
  // rgb24, bgr0, rgba, gbrp10le, rgb48le, x2rgb10le, pal8 ...: the depth per component where the name tells it.
  const planar = /^gbra?p(\d+)/.exec(name);
  const depth = planar ? Number(planar[1]) : /(48|64)(le|be)?$/.test(name) ? 16 : /^x2(rgb|bgr)10/.test(name) ? 10 : 8;
  return { chroma: 'rgb', depth, alpha: /(rgba|bgra|argb|abgr|gbrap)/.test(name), fullRangeFormat: false };
}

export interface OutputFormat {
  pixelFormat: string;
  /** The interlaced source's frames are deinterlaced (`--deinterlace`; core/ffmpeg-args.ts DEINTERLACE). */
  deinterlace?: boolean;
  /** Full-range values, kept full (in the pixels and in the tags). */
  fullRange: boolean;
  /** HDR10 static metadata the encoder writes into the bitstream, when it can. */
  hdr?: HdrMetadata;
  /** What the source has and the output does not, one line each. */
  notices: string[];
}

function pick(supported: number[], want: number): number {
  return supported.find((d) => d >= want) ?? supported[supported.length - 1]!;
}

/** Encoders that write HDR10 static metadata into the bitstream here (x264 and libvpx-vp9 in 5.1 cannot). */
const WRITES_HDR10: VideoCodec[] = ['hevc', 'av1'];

/**
 * `--deinterlace`: bwdif, one progressive picture per frame (the frame count and times stay those of the source),
 * every frame (an interlaced source's flags are not always set per frame). Its first and last frame in each
 * segment see no neighbour frame, as at the ends of a one-pass encode.
 */
export const DEINTERLACE = 'bwdif=mode=send_frame:parity=auto:deint=all';

/** `422` as people write it: 4:2:2. */
const chromaName = (chroma: string) => chroma.replace(/(\d)(\d)(\d)/, '$1:$2:$3');

/** ffprobe's field orders in words. */
const FIELD_ORDER: Record<string, string> = {
  tt: 'top field first',
  bb: 'bottom field first',
  tb: 'top field coded first',
  bt: 'bottom field coded first',
};

export function chooseOutputFormat(video: VideoHead, profile: EncodeProfile): OutputFormat {
  const codec = profile.videoCodec;
  const enc = ENCODER_FORMATS[codec];
  const src = describePixelFormat(video.pixelFormat);
  const notices: string[] = [];
  const fullRange = video.color.range === 'pc' || (video.color.range === undefined && src.fullRangeFormat);
  let pixelFormat: string;
  if (profile.pixelFormat) {
    pixelFormat = profile.pixelFormat;
  } else {
    const wantDepth = profile.bitDepth ?? src.depth;
    const depth = pick(enc.depths, wantDepth);
    if (depth < wantDepth)
      notices.push(`${codec} output holds at most ${depth}-bit here: the ${wantDepth}-bit source is encoded at ${depth} bits`);
    let chroma: Chroma = '420';
    if (src.chroma === 'rgb') notices.push(`the RGB source (${video.pixelFormat}) is encoded as YUV 4:2:0, as players expect`);
    else if (src.chroma === 'gray') chroma = '420';
    else if (enc.chroma.includes(src.chroma)) chroma = src.chroma;
    else notices.push(`${codec} output cannot hold ${chromaName(src.chroma)} chroma here: encoded as 4:2:0`);
    if (src.alpha) notices.push(`the source's alpha channel (${video.pixelFormat}) is dropped`);
    pixelFormat = pixelFormatName(chroma, depth);
  }
  const out: OutputFormat = { pixelFormat, fullRange, notices };
  // Choices plain ffmpeg makes too, kept, but said: a user would want to know, and how to choose otherwise.
  const made = describePixelFormat(pixelFormat);
  if (codec === 'h264' && !profile.pixelFormat && !profile.bitDepth && (made.depth > 8 || made.chroma !== '420')) {
    const chroma = chromaName(made.chroma);
    const h264Profile = made.chroma === '420' ? 'High 10' : made.chroma === '422' ? 'High 4:2:2' : 'High 4:4:4';
    const fix = made.chroma === '420' ? '--bit-depth 8' : '--pix-fmt yuv420p';
    notices.push(
      `the source's ${made.depth}-bit ${chroma} pictures give ${made.depth}-bit ${chroma} H.264 (${h264Profile}), as plain ffmpeg does, which most browsers and phones cannot play: ${fix} gives an output that plays everywhere`,
    );
  }
  if (video.fieldOrder) {
    if (profile.deinterlace) out.deinterlace = true;
    else
      notices.push(
        `the source is interlaced (${FIELD_ORDER[video.fieldOrder] ?? `field order ${video.fieldOrder}`}): its frames are encoded as they are, as progressive pictures, as plain ffmpeg does (combing shows on motion); --deinterlace makes each frame a progressive picture (bwdif)`,
      );
  } else if (profile.deinterlace) {
    notices.push('--deinterlace: the source is not interlaced (ffprobe reports progressive or no field order): nothing is deinterlaced');
  }
  if (video.hdr && (video.hdr.masteringDisplay || video.hdr.contentLight)) {
    if (WRITES_HDR10.includes(codec)) out.hdr = video.hdr;
    else
      notices.push(
        `HDR10 static metadata (mastering display, content light level) cannot be written by the ${codec} encoder here: dropped (the PQ/BT.2020 color tags are kept)`,
      );
  }
  if (video.dolbyVision)
    notices.push('Dolby Vision metadata (RPU) cannot be re-encoded: dropped; the base layer is encoded with its color tags');
  return out;
}

/** Validates `--pix-fmt` / `--bit-depth` for the codec at the edge, so a bad value never creates a job. */
export function checkPixelOptions(codec: VideoCodec, pixelFormat: string | undefined, bitDepth: number | undefined): void {
  if (pixelFormat !== undefined && !pixelFormatsFor(codec).includes(pixelFormat)) {
    throw new UsageError(`--pix-fmt for ${codec} must be one of: ${pixelFormatsFor(codec).join(', ')}`);
  }
  if (bitDepth !== undefined && !ENCODER_FORMATS[codec].depths.includes(bitDepth)) {
    throw new UsageError(`--bit-depth for ${codec} must be one of: ${ENCODER_FORMATS[codec].depths.join(', ')}`);
  }
  if (pixelFormat !== undefined && bitDepth !== undefined) throw new UsageError('give --pix-fmt or --bit-depth, not both');
}

const r4 = (n: number) => Number(n.toFixed(4));

/** Encoder parameters that write the HDR10 static metadata (x265 and SVT-AV1 syntax). */
export function hdrEncoderParams(codec: VideoCodec, hdr: HdrMetadata | undefined): string[] {
  if (!hdr) return [];
  const md = hdr.masteringDisplay;
  const cl = hdr.contentLight;
  if (codec === 'hevc') {
    // x265: chromaticities in 0.00002 units, luminance in 0.0001 cd/m².
    const c = (xy: [number, number]) => `(${Math.round(xy[0] * 50000)},${Math.round(xy[1] * 50000)})`;
    const p = ['hdr10=1'];
    if (md)
      p.push(
        `master-display=G${c(md.green)}B${c(md.blue)}R${c(md.red)}WP${c(md.whitePoint)}L(${Math.round(md.maxLuminance * 10000)},${Math.round(md.minLuminance * 10000)})`,
      );
    if (cl) p.push(`max-cll=${cl.maxCll},${cl.maxFall}`);
    return p;
  }
  if (codec === 'av1') {
    const c = (xy: [number, number]) => `(${r4(xy[0])},${r4(xy[1])})`;
    const p: string[] = [];
    if (md)
      p.push(
        `mastering-display=G${c(md.green)}B${c(md.blue)}R${c(md.red)}WP${c(md.whitePoint)}L(${r4(md.maxLuminance)},${r4(md.minLuminance)})`,
      );
    if (cl) p.push(`content-light=${cl.maxCll},${cl.maxFall}`);
    return p;
  }
  return [];
}
