/**
 * The ffprobe/ffmpeg command lines that read media without writing any: the probe, the packet and frame scans
 * of the analysis, the check of a finished segment, the scans that verify an output. Pure: argument arrays.
 */
import { inputArgs, literalInput, probeInput } from './ffmpeg-args.js';

export function buildProbeArgs(location: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...probeInput(location)];
}

/**
 * Lists every stream's packets (no decode): times, durations and keyframe flags; all of them, or those of one
 * interval (`from` seeks to the keyframe at or before it; `to` ends the read a second after the boundary).
 */
export function buildPacketScanArgs(location: string, interval?: { from?: number; to?: number }): string[] {
  const range = interval
    ? [
        '-read_intervals',
        `${interval.from !== undefined ? interval.from.toFixed(6) : ''}%${interval.to !== undefined ? (interval.to + 1).toFixed(6) : ''}`,
      ]
    : [];
  return [
    '-v',
    'error',
    ...range,
    '-show_entries',
    'packet=stream_index,pts_time,dts_time,duration_time,size,flags',
    '-of',
    'compact=p=0',
    ...probeInput(location),
  ];
}

/**
 * Lists the decoded frames of one stream (decodes it): for codecs whose packets are not one frame each. Only
 * timestamps and flags are read, so the deblocking filter is skipped (VP8, H.264; a third faster on a VP8
 * 720p clip, same frame list).
 */
export function buildFrameScanArgs(location: string, streamIndex: number): string[] {
  return [
    '-v',
    'error',
    '-threads',
    '0',
    '-skip_loop_filter',
    'all',
    '-select_streams',
    String(streamIndex),
    '-show_entries',
    'frame=best_effort_timestamp_time,pkt_duration_time,duration_time,pkt_size,key_frame',
    '-of',
    'compact=p=0',
    ...probeInput(location),
  ];
}

/**
 * Decodes one stream until its first frame comes out and prints that frame's time (`-f framecrc`, on the source's
 * timeline and time base): for a source whose earliest frame is no keyframe (a capture or an HLS segment begun
 * mid-GOP), where the frames before the first that decodes are not frames at all.
 */
export function buildFirstDecodedArgs(location: string, streamIndex: number): string[] {
  return [
    '-nostdin',
    '-v',
    'error',
    '-copyts',
    ...inputArgs(location),
    '-map',
    `0:${streamIndex}`,
    '-frames:v',
    '1',
    // -vsync, not -fps_mode: the npm-shipped 4.x build has only the old name.
    '-vsync',
    'passthrough',
    '-enc_time_base',
    '-1',
    '-f',
    'framecrc',
    '-',
  ];
}

/** The time (s) of the frame `buildFirstDecodedArgs` printed; undefined when none decoded. */
export function parseFirstDecoded(text: string): number | undefined {
  const tb = /^#tb 0: (\d+)\/(\d+)$/m.exec(text);
  const frame = /^0,\s*(-?\d+),/m.exec(text);
  if (!tb || !frame) return undefined;
  return (Number(frame[1]) * Number(tb[1])) / Number(tb[2]);
}

/** The side data of the first frames of one stream (a few packets decoded): HDR10 SEI, Dolby Vision RPU. */
export function buildFirstFramesArgs(location: string, streamIndex: number): string[] {
  return [
    '-v',
    'error',
    '-select_streams',
    String(streamIndex),
    '-read_intervals',
    '%+#4',
    '-show_entries',
    'frame=side_data_list:frame_side_data',
    '-of',
    'json',
    ...probeInput(location),
  ];
}

/**
 * Decodes a finished segment and counts its frames (errors go to stderr). The deblocking filter is skipped
 * (H.264/HEVC; other decoders ignore the option): it cannot fail, and skipping it makes the check about 20%
 * cheaper, while every macroblock is still parsed and reconstructed.
 */
export function buildSegmentCheckArgs(path: string): string[] {
  return [
    '-v',
    'error',
    '-threads',
    '1',
    '-skip_loop_filter',
    'all',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    literalInput(path),
  ];
}

/** Packet list of every stream of the output (no decode), for verification. */
export function buildVerifyScanArgs(path: string): string[] {
  return [
    '-v',
    'error',
    '-show_entries',
    'packet=stream_index,pts_time,duration_time:stream=index,codec_type,start_time,duration',
    '-of',
    'json',
    literalInput(path),
  ];
}

/** The head an index verification reads, and the tail before the expected end. */
export const VERIFY_HEAD_SECONDS = 2;
export const VERIFY_TAIL_SECONDS = 3;

/**
 * For an MP4/MOV output, whose index (the moov box) holds every sample: the streams with their sample counts,
 * and the packets of the first 2 s and of the last ones from `tailFrom` (a seek by that index), a bounded read
 * whatever the length. A file cut short ends its packets early (the tail shows it), and its partial last
 * samples are reported on stderr.
 */
export function buildVerifyIndexArgs(path: string, tailFrom: number): string[] {
  return [
    '-v',
    'error',
    '-read_intervals',
    `%+${VERIFY_HEAD_SECONDS},${Math.max(0, tailFrom).toFixed(3)}%`,
    '-show_entries',
    'packet=stream_index,pts_time,duration_time:stream=index,codec_type,nb_frames,start_time,duration',
    '-of',
    'json',
    literalInput(path),
  ];
}
