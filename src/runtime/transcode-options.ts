/**
 * Normalizes transcode options (CLI flags, HTTP fields, library options, all as strings) once, with a schema, into a fully specified TranscodeOptions.
 */
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { containerFromPath, parseVideoCodec, resolveProfile } from '../core/profile.js';
import { tailThreadsFor } from '../core/segment-threads.js';
import type { QualityTarget, TranscodeOptions, VideoCodec } from '../core/types.js';
import { buildQualityTarget } from '../core/crf-search.js';
import { DEFAULT_MEDIA_SEGMENT_SECONDS, isLadderOutput, LADDER_CODECS, parseLadderRungs } from '../core/ladder.js';

const intFlag = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be from ${min} to ${max}`);

export const transcodeFlagsSchema = z.object({
  videoCodec: z
    .string()
    .transform((name, ctx) => {
      const codec = parseVideoCodec(name);
      if (!codec) ctx.addIssue({ code: 'custom', message: '--video-codec must be one of h264 (avc, x264), hevc (h265, x265), vp9, av1' });
      return codec ?? z.NEVER;
    })
    .optional(),
  crf: intFlag('--crf', 0, 63).optional(),
  preset: z
    .string()
    .regex(/^[a-z0-9]+$/, '--preset must be a preset name or number')
    .optional(),
  height: intFlag('--height', 16, 8192).optional(),
  width: intFlag('--width', 16, 8192).optional(),
  maxHeight: intFlag('--max-height', 16, 8192).optional(),
  audioCodec: z.enum(['aac', 'opus', 'copy', 'none'], { message: '--audio-codec must be one of aac, opus, copy, none' }).optional(),
  audioBitrate: intFlag('--audio-bitrate', 16, 512).optional(),
  segmentSeconds: z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--segment-seconds must be a number of seconds')
    .transform(Number)
    .refine((n) => n >= 0.5 && n <= 3600, '--segment-seconds must be from 0.5 to 3600')
    .optional(),
  pixFmt: z
    .string()
    .regex(/^[a-z0-9]+$/, '--pix-fmt must be a pixel format name such as yuv420p10le')
    .optional(),
  bitDepth: z.enum(['8', '10', '12'], { message: '--bit-depth must be 8, 10 or 12' }).transform(Number).optional(),
  workers: intFlag('--workers', 1, 256).optional(),
  maxAttempts: intFlag('--max-attempts', 1, 20).optional(),
  ladder: z.string().optional(),
  dash: z.boolean().optional(),
  segmentDuration: z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--segment-duration must be a number of seconds')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 30, '--segment-duration must be from 1 to 30 seconds')
    .optional(),
  acceptCutCost: z.boolean().optional(),
  deinterlace: z.boolean().optional(),
  targetQuality: z.string().optional(),
  qualityBand: z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--quality-band must be a number (e.g. 1 for VMAF, 0.005 for SSIM, 0.5 for PSNR)')
    .transform(Number)
    .optional(),
  minQuality: z.string().optional(),
  minCrf: z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--min-crf must be a number')
    .transform(Number)
    .optional(),
  maxCrf: z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--max-crf must be a number')
    .transform(Number)
    .optional(),
  vmafModel: z.string().min(1).optional(),
  template: z.string().optional(),
  notify: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(
      z.array(
        z
          .string()
          .url('--notify must be an http:// or https:// URL')
          .regex(/^https?:\/\//i, '--notify must be an http:// or https:// URL'),
      ),
    )
    .optional(),
  notifySecretEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, '--notify-secret-env must be an environment variable name')
    .optional(),
  thumbnails: z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--thumbnails must be a number of seconds between thumbnails')
    .transform(Number)
    .refine((n) => n >= 0.5 && n <= 3600, '--thumbnails must be from 0.5 to 3600 seconds')
    .optional(),
  thumbnailWidth: intFlag('--thumbnail-width', 16, 1920).optional(),
  publishEarly: z.boolean().optional(),
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
  const ladder = isLadderOutput(output);
  if (!ladder) {
    if (f.ladder !== undefined) throw new UsageError('--ladder needs an HLS output: a path ending in .m3u8 (e.g. out/master.m3u8)');
    if (f.dash) throw new UsageError('--dash needs an HLS output: a path ending in .m3u8 (the manifest.mpd is written beside it)');
    if (f.segmentDuration !== undefined) throw new UsageError('--segment-duration needs an HLS output: a path ending in .m3u8');
    if (f.publishEarly)
      throw new UsageError('--publish-early needs an HLS output: a path ending in .m3u8 (a single file plays only once whole)');
  } else {
    if (f.width !== undefined || f.height !== undefined || f.maxHeight !== undefined)
      throw new UsageError('--width, --height and --max-height do not apply to a ladder: list the rendition heights with --ladder');
    if (f.videoCodec && !(LADDER_CODECS as readonly string[]).includes(f.videoCodec))
      throw new UsageError(`a ladder is encoded with ${LADDER_CODECS.join(' or ')} (fMP4 renditions players take), not ${f.videoCodec}`);
    if (f.qualityReport)
      throw new UsageError('--quality-report measures one output file, not a ladder: run verify_output on a rendition playlist instead');
    if (f.audioCodec === 'copy')
      throw new UsageError('--audio-codec copy does not apply to a ladder: its audio rendition is encoded (aac, opus) or left out (none)');
  }
  const profile = resolveProfile({
    container: ladder ? 'mp4' : containerFromPath(output),
    ...(f.videoCodec ? { videoCodec: f.videoCodec } : {}),
    ...(f.crf !== undefined ? { crf: f.crf } : {}),
    ...(f.preset ? { preset: f.preset } : {}),
    ...(f.width !== undefined ? { width: f.width } : {}),
    ...(f.height !== undefined ? { height: f.height } : {}),
    ...(f.maxHeight !== undefined ? { maxHeight: f.maxHeight } : {}),
    ...(f.audioCodec ? { audioCodec: f.audioCodec } : {}),
    ...(f.audioBitrate !== undefined ? { audioBitrateKbps: f.audioBitrate } : {}),
    ...(f.pixFmt !== undefined ? { pixelFormat: f.pixFmt } : {}),
    ...(f.bitDepth !== undefined ? { bitDepth: f.bitDepth } : {}),
    ...(f.deinterlace ? { deinterlace: true } : {}),
  });
  const target = parseTargetQuality(f, profile.videoCodec);
  if (target) {
    if (ladder)
      throw new UsageError(
        "--target-quality applies to single-file outputs (.mp4, .mkv, .webm, .mov); a ladder's rungs are set by --ladder caps",
      );
    profile.target = target;
  } else if ([f.qualityBand, f.minQuality, f.minCrf, f.maxCrf, f.vmafModel].some((v) => v !== undefined)) {
    throw new UsageError('--quality-band, --min-quality, --min-crf, --max-crf and --vmaf-model go with --target-quality METRIC:VALUE');
  }
  if (ladder) {
    profile.ladder = {
      rungs: parseLadderRungs(f.ladder, profile.videoCodec) ?? [],
      segmentSeconds: f.segmentDuration ?? DEFAULT_MEDIA_SEGMENT_SECONDS,
      dash: f.dash === true,
    };
  }
  const opts: TranscodeOptions = {
    profile,
    workers,
    threadsPerWorker: Math.max(1, Math.floor(cores / workers)),
    tailThreads: tailThreadsFor(cores, workers),
    maxAttempts: f.maxAttempts ?? 3,
    verify: f.verify,
  };
  if (f.segmentSeconds !== undefined) opts.segmentSeconds = f.segmentSeconds;
  if (f.acceptCutCost) {
    if (f.segmentSeconds === undefined) throw new UsageError('--accept-cut-cost keeps an asked-for --segment-seconds: give one');
    opts.acceptCutCost = true;
  }
  if (f.qualityReport) opts.qualityReport = true;
  if (f.template !== undefined) opts.template = f.template;
  if (f.notify?.length) opts.notify = f.notify.map((url) => ({ url, ...(f.notifySecretEnv ? { secretEnv: f.notifySecretEnv } : {}) }));
  else if (f.notifySecretEnv !== undefined) throw new UsageError('--notify-secret-env goes with --notify URL');
  if (f.thumbnails !== undefined) opts.thumbnails = { everySeconds: f.thumbnails, width: f.thumbnailWidth ?? 160 };
  else if (f.thumbnailWidth !== undefined) throw new UsageError('--thumbnail-width goes with --thumbnails SECONDS');
  if (f.publishEarly) opts.publishEarly = true;
  return opts;
}

/**
 * The job's quality target from its flags (`--target-quality` and the options that bound it), or undefined
 * without one. The VMAF model file is `--vmaf-model`, else SHARDCAST_VMAF_MODEL, made absolute here: the
 * encodes read it on this machine (or on workers that mount the same path).
 */
export function parseTargetQuality(
  f: { targetQuality?: string; qualityBand?: number; minQuality?: string; minCrf?: number; maxCrf?: number; vmafModel?: string },
  codec: VideoCodec,
): QualityTarget | undefined {
  if (f.targetQuality === undefined) return undefined;
  const model = f.vmafModel ?? (/^vmaf:/i.test(f.targetQuality.trim()) ? process.env.SHARDCAST_VMAF_MODEL || undefined : undefined);
  return buildQualityTarget(
    {
      targetQuality: f.targetQuality,
      ...(f.qualityBand !== undefined ? { qualityBand: f.qualityBand } : {}),
      ...(f.minQuality !== undefined ? { minQuality: f.minQuality } : {}),
      ...(f.minCrf !== undefined ? { minCrf: f.minCrf } : {}),
      ...(f.maxCrf !== undefined ? { maxCrf: f.maxCrf } : {}),
      ...(model !== undefined ? { vmafModel: resolvePath(model) } : {}),
    },
    codec,
    (m) => new UsageError(m),
  );
}
