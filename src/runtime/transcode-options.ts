/**
 * Normalizes transcode options (CLI flags, HTTP fields, library options, all as strings) once, with a schema, into a fully specified TranscodeOptions.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { containerFromPath, resolveProfile } from '../core/profile.js';
import { tailThreadsFor } from '../core/segment-threads.js';
import type { TranscodeOptions } from '../core/types.js';

const intFlag = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be from ${min} to ${max}`);

export const transcodeFlagsSchema = z.object({
  videoCodec: z.enum(['h264', 'hevc', 'vp9', 'av1'], { message: '--video-codec must be one of h264, hevc, vp9, av1' }).optional(),
  crf: intFlag('--crf', 0, 63).optional(),
  preset: z.string().regex(/^[a-z0-9]+$/, '--preset must be a preset name or number').optional(),
  height: intFlag('--height', 16, 8192).optional(),
  width: intFlag('--width', 16, 8192).optional(),
  audioCodec: z.enum(['aac', 'opus', 'copy', 'none'], { message: '--audio-codec must be one of aac, opus, copy, none' }).optional(),
  audioBitrate: intFlag('--audio-bitrate', 16, 512).optional(),
  segmentSeconds: z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--segment-seconds must be a number of seconds')
    .transform(Number)
    .refine((n) => n >= 0.5 && n <= 3600, '--segment-seconds must be from 0.5 to 3600')
    .optional(),
  pixFmt: z.string().regex(/^[a-z0-9]+$/, '--pix-fmt must be a pixel format name such as yuv420p10le').optional(),
  bitDepth: z.enum(['8', '10', '12'], { message: '--bit-depth must be 8, 10 or 12' }).transform(Number).optional(),
  workers: intFlag('--workers', 1, 256).optional(),
  maxAttempts: intFlag('--max-attempts', 1, 20).optional(),
  verify: z.boolean().default(true),
  qualityReport: z.boolean().default(false),
});

export type TranscodeFlags = z.input<typeof transcodeFlagsSchema>;

export function parseTranscodeOptions(flags: Record<string, unknown>, output: string): TranscodeOptions {
  const r = transcodeFlagsSchema.safeParse(flags);
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid options');
  const f = r.data;
  const cores = availableParallelism();
  const workers = f.workers ?? cores;
  const profile = resolveProfile({
    container: containerFromPath(output),
    ...(f.videoCodec ? { videoCodec: f.videoCodec } : {}),
    ...(f.crf !== undefined ? { crf: f.crf } : {}),
    ...(f.preset ? { preset: f.preset } : {}),
    ...(f.width !== undefined ? { width: f.width } : {}),
    ...(f.height !== undefined ? { height: f.height } : {}),
    ...(f.audioCodec ? { audioCodec: f.audioCodec } : {}),
    ...(f.audioBitrate !== undefined ? { audioBitrateKbps: f.audioBitrate } : {}),
    ...(f.pixFmt !== undefined ? { pixelFormat: f.pixFmt } : {}),
    ...(f.bitDepth !== undefined ? { bitDepth: f.bitDepth } : {}),
  });
  const opts: TranscodeOptions = {
    profile,
    workers,
    threadsPerWorker: Math.max(1, Math.floor(cores / workers)),
    tailThreads: tailThreadsFor(cores, workers),
    maxAttempts: f.maxAttempts ?? 3,
    verify: f.verify,
  };
  if (f.segmentSeconds !== undefined) opts.segmentSeconds = f.segmentSeconds;
  if (f.qualityReport) opts.qualityReport = true;
  return opts;
}
