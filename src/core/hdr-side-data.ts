/**
 * HDR metadata from the side data of a source's first frames (HDR10 mastering display and content light levels,
 * Dolby Vision), where HEVC and AV1 carry it in SEI messages or metadata OBUs rather than in the stream.
 */
import { parseRate } from './probe-parse.js';
import type { HdrMetadata } from './types.js';

export type SideData = Record<string, unknown>;

/** Side data of the first frames (`buildFirstFramesArgs`): where HEVC/AV1 carry HDR10 SEI / metadata OBUs. */
export function parseFirstFrames(text: string): SideData[] {
  try {
    const j = JSON.parse(text) as { frames?: Array<{ side_data_list?: SideData[] }> };
    return (j.frames ?? []).flatMap((f) => f.side_data_list ?? []);
  } catch {
    return [];
  }
}

const ratio = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const n = parseRate(v);
  return Number.isFinite(n) ? n : undefined;
};

/** HDR10 static metadata and Dolby Vision presence from side data (stream-level first, then frames). */
export function hdrFromSideData(lists: SideData[]): { hdr?: HdrMetadata; dolbyVision: boolean } {
  const hdr: HdrMetadata = {};
  let dolbyVision = false;
  for (const sd of lists) {
    const type = typeof sd.side_data_type === 'string' ? sd.side_data_type : '';
    if (/dolby vision|dovi/i.test(type)) dolbyVision = true;
    if (type === 'Mastering display metadata' && !hdr.masteringDisplay) {
      const xy = (k: string): [number, number] | undefined => {
        const x = ratio(sd[`${k}_x`]);
        const y = ratio(sd[`${k}_y`]);
        return x !== undefined && y !== undefined ? [x, y] : undefined;
      };
      const red = xy('red'),
        green = xy('green'),
        blue = xy('blue'),
        whitePoint = xy('white_point');
      const minLuminance = ratio(sd.min_luminance),
        maxLuminance = ratio(sd.max_luminance);
      if (red && green && blue && whitePoint && minLuminance !== undefined && maxLuminance) {
        hdr.masteringDisplay = { red, green, blue, whitePoint, minLuminance, maxLuminance };
      }
    }
    if (type === 'Content light level metadata' && !hdr.contentLight) {
      const maxCll = Number(sd.max_content),
        maxFall = Number(sd.max_average);
      if (Number.isFinite(maxCll) && Number.isFinite(maxFall) && (maxCll > 0 || maxFall > 0)) hdr.contentLight = { maxCll, maxFall };
    }
  }
  return { ...(hdr.masteringDisplay || hdr.contentLight ? { hdr } : {}), dolbyVision };
}
