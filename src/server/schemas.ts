/**
 * JSON Schemas of the API: request validation (fastify/ajv) and the OpenAPI document come from these.
 */
import { JOB_ID_PATTERN } from '../core/task-keys.js';

export const jobIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: JOB_ID_PATTERN.source, description: 'job id' } },
} as const;

export const segmentParams = {
  type: 'object',
  required: ['id', 'index'],
  additionalProperties: false,
  properties: {
    id: jobIdParams.properties.id,
    index: { type: 'integer', minimum: 0, maximum: 1_000_000 },
  },
} as const;

export const tokenQuery = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 512, description: 'the API token, for clients that cannot send headers' } },
} as const;

export const segmentQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { kind: { type: 'string', enum: ['video', 'audio'], default: 'video' }, token: tokenQuery.properties.token },
} as const;

/** The encode options accepted by POST /api/jobs (JSON properties or multipart fields). */
export const jobOptionsProperties = {
  container: {
    type: 'string',
    enum: ['mp4', 'mkv', 'webm', 'mov', 'hls'],
    description:
      'default mp4, or what the template makes; hls: an HLS ladder (master.m3u8 and its renditions), see ladder/dash/segmentDuration',
  },
  template: {
    type: 'string',
    pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
    description: "a template's name (GET /api/templates): its options under the ones given here",
  },
  videoCodec: {
    type: 'string',
    enum: ['h264', 'hevc', 'vp9', 'av1', 'h265', 'x265', 'libx265', 'avc', 'x264', 'libx264', 'libvpx-vp9', 'svtav1', 'libsvtav1'],
    description: 'h264, hevc, vp9 or av1; h265/x265 name hevc, avc/x264 h264, svtav1 av1 (as the CLI)',
  },
  deinterlace: {
    type: 'boolean',
    description: "an interlaced source's frames made progressive pictures (bwdif, one per frame); default: encoded as they are",
  },
  crf: { type: 'integer', minimum: 0, maximum: 63 },
  preset: { type: 'string', pattern: '^[a-z0-9]{1,20}$' },
  height: { type: 'integer', minimum: 16, maximum: 8192 },
  width: { type: 'integer', minimum: 16, maximum: 8192 },
  maxHeight: { type: 'integer', minimum: 16, maximum: 8192 },
  audioCodec: { type: 'string', enum: ['aac', 'opus', 'copy', 'none'] },
  audioBitrate: { type: 'integer', minimum: 16, maximum: 512 },
  segmentSeconds: { type: 'number', minimum: 0.5, maximum: 3600 },
  acceptCutCost: {
    type: 'boolean',
    description: 'keep segmentSeconds even where its cuts would cost more than 5% of the video bytes',
  },
  workers: { type: 'integer', minimum: 1, maximum: 256 },
  maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
  ladder: {
    type: 'string',
    pattern: '^[0-9]{2,4}(:[0-9.]+[kKmM]?)?(,[0-9]{2,4}(:[0-9.]+[kKmM]?)?){0,11}$',
    description: 'with container hls: rungs, e.g. 1080,720:3000k,480',
  },
  dash: { type: 'boolean', description: 'with container hls: also manifest.mpd (default false, or the template says)' },
  publishEarly: {
    type: 'boolean',
    description: 'with container hls: publish the playlists as the first segments are done (EVENT playlists), the VOD ones at the end',
  },
  segmentDuration: { type: 'number', minimum: 1, maximum: 30, description: 'with container hls: media segment duration (s)' },
  targetQuality: {
    type: 'string',
    pattern: '^(vmaf|ssim|psnr|VMAF|SSIM|PSNR):[0-9]+(\\.[0-9]+)?$',
    description:
      "a quality every segment reaches with its own CRF: vmaf:93, ssim:0.985, psnr:42 (VMAF needs an ffmpeg with libvmaf; a 1.x build reads the model named by the server's SHARDCAST_VMAF_MODEL)",
  },
  qualityBand: { type: 'number', exclusiveMinimum: 0, maximum: 25, description: 'with targetQuality: how far a segment may land from it' },
  minQuality: {
    type: 'string',
    pattern: '^[0-9]+(\\.[0-9]+)?(:(mean|min|p[0-9]{1,2}))?$',
    description: 'with targetQuality: a floor per segment, VALUE[:POOL] (mean, min, pN; default p5)',
  },
  minCrf: { type: 'number', minimum: 0, maximum: 63, description: 'with targetQuality: the lowest CRF the search may use' },
  maxCrf: { type: 'number', minimum: 0, maximum: 63, description: 'with targetQuality: the highest CRF the search may use' },
  verify: { type: 'boolean', description: 'check the output (default true, or the template says)' },
  qualityReport: { type: 'boolean', description: 'measure PSNR/SSIM against the source (default false, or the template says)' },
  notify: {
    type: 'array',
    minItems: 1,
    maxItems: 10,
    items: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    description:
      "webhook URLs (one string or a list) told of the job's start, end and failure, signed with the server's SHARDCAST_WEBHOOK_SECRET",
  },
  notifySecretEnv: {
    type: 'string',
    pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
    description: "with notify: the server's environment variable holding the signing secret",
  },
  thumbnails: {
    type: 'number',
    minimum: 0.5,
    maximum: 3600,
    description: 'a thumbnail every so many seconds, a poster, a sprite sheet and its WebVTT map (GET /api/jobs/{id}/thumbnails/{file})',
  },
  thumbnailWidth: { type: 'integer', minimum: 16, maximum: 1920, description: 'with thumbnails: their width (default 160)' },
} as const;

export const jobOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: jobOptionsProperties,
} as const;

export const createJobJsonBody = {
  type: 'object',
  required: ['source'],
  additionalProperties: false,
  properties: {
    source: { type: 'string', minLength: 1, maxLength: 4096, description: 'a path under one of the server roots (--root)' },
    ...jobOptionsProperties,
  },
} as const;

export const createJobMultipartBody = {
  type: 'object',
  required: ['file'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'the source video (streamed to disk; size capped by --max-upload-mb)' },
    ...jobOptionsProperties,
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

export const looseObject = (description: string, properties: Record<string, unknown> = {}) =>
  ({ type: 'object', description, additionalProperties: true, properties }) as const;

export const taskViewSchema = looseObject('one task (a video segment or the audio track)', {
  kind: { type: 'string', enum: ['video', 'audio'] },
  index: { type: 'integer' },
  key: { type: 'string' },
  status: { type: 'string', enum: ['pending', 'running', 'done', 'failed'] },
  startTime: { type: 'number' },
  endTime: { type: 'number' },
  attempts: { type: 'integer' },
  worker: { type: 'string' },
  wallMs: { type: 'number' },
  sizeBytes: { type: 'number' },
  progress: looseObject("a running attempt's live figures", {
    frames: { type: 'integer', description: 'frames encoded so far' },
    fps: { type: 'number', description: 'frames a second of this attempt' },
    etaSeconds: { type: 'number', description: 'seconds left at that rate' },
    at: { type: 'number', description: 'epoch ms of the reading' },
  }),
});

export const jobViewSchema = looseObject('a job with its segments and totals', {
  id: { type: 'string' },
  status: { type: 'string', enum: ['created', 'analyzing', 'encoding', 'merging', 'verifying', 'done', 'failed', 'cancelled'] },
  source: { type: 'string' },
  sourceName: { type: 'string' },
  running: { type: 'boolean', description: 'whether this server process runs the job now' },
  segmentsDone: { type: 'integer' },
  segmentsTotal: { type: 'integer' },
  planned: { type: 'boolean', description: 'whether the source was analyzed and cut into segments (false: failed or still in analysis)' },
  sourceRefused: {
    type: 'boolean',
    description: 'it failed on its source (not media, no video stream): resume and retry would fail the same way and are refused',
  },
  speed: { type: 'number', description: 'source duration over wall time; only for a done job' },
  sizeBytes: { type: 'number', description: "the output's bytes (a ladder: every rendition's)" },
  outputSizeBytes: { type: 'number', description: 'bytes of the output on disk (a ladder: playlists, manifests and every rendition)' },
  progress: looseObject('encoding progress: frames done of all, measured frames a second, seconds of encoding left', {
    frames: { type: 'integer' },
    totalFrames: { type: 'integer' },
    fps: { type: 'number' },
    etaSeconds: { type: 'number' },
    at: { type: 'number' },
  }),
  segments: { type: 'array', items: taskViewSchema },
  thumbnails: looseObject('with thumbnails, once done: what was made and where (files: GET /api/jobs/{id}/thumbnails/{file})', {
    count: { type: 'integer' },
    everySeconds: { type: 'number' },
    width: { type: 'integer' },
    height: { type: 'integer' },
    poster: { type: 'string' },
    sprites: { type: 'array', items: { type: 'string' } },
    vtt: { type: 'string' },
  }),
  renditions: {
    type: 'array',
    description: "a ladder's renditions, measured from their segments",
    items: looseObject('one rendition', {
      kind: { type: 'string', enum: ['video', 'audio', 'subtitles'] },
      name: { type: 'string' },
      playlist: { type: 'string' },
      width: { type: 'integer' },
      height: { type: 'integer' },
      codecs: { type: 'string' },
      segments: { type: 'integer' },
      bytes: { type: 'integer' },
      peakBitrate: { type: 'integer' },
      averageBitrate: { type: 'integer' },
    }),
  },
});

export const jobListItemSchema = looseObject('a job in the list', {
  id: { type: 'string' },
  status: { type: 'string' },
  source: { type: 'string' },
  sourceName: { type: 'string' },
  segmentsDone: { type: 'integer' },
  segmentsTotal: { type: 'integer' },
  progress: looseObject('while it encodes: frames done of all, measured frames a second, seconds of encoding left', {
    frames: { type: 'integer' },
    totalFrames: { type: 'integer' },
    fps: { type: 'number' },
    etaSeconds: { type: 'number' },
  }),
  duration: { type: 'number', description: 'source duration, seconds' },
  speed: { type: 'number', description: 'source duration divided by wall time; only for a done job' },
  target: looseObject('a --target-quality job: its target and how many of its video segments landed in the band', {
    metric: { type: 'string', enum: ['vmaf', 'ssim', 'psnr'] },
    value: { type: 'number' },
    label: { type: 'string' },
    segments: { type: 'integer' },
    scored: { type: 'integer' },
    inBand: { type: 'integer' },
  }),
});

export const segmentDetailSchema = looseObject('a task record: ffmpeg arguments, exit code, stderr tail, checksum', {
  key: { type: 'string' },
  args: { type: 'array', items: { type: 'string' } },
  exitCode: { type: 'integer' },
  stderrTail: { type: 'string' },
  checksum: { type: 'string' },
  outputKey: { type: 'string' },
});

export const workerSchema = looseObject('a cluster worker as it reports itself', {
  id: { type: 'string' },
  host: { type: 'string' },
  pid: { type: 'integer' },
  concurrency: { type: 'integer' },
  tasks: { type: 'array', items: { type: 'string' }, description: 'keys of the tasks it encodes now' },
  heartbeatAt: { type: 'number', description: 'epoch ms of its last presence update' },
  startedAt: { type: 'number' },
  ffmpeg: { type: 'string' },
  store: { type: 'string' },
  draining: { type: 'boolean' },
});

export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
} as const;

export const deliverySchema = looseObject('one webhook delivery of a job: an event to one URL, with its attempts so far', {
  id: { type: 'string', description: 'stable: <jobId>.<event seq>.<target index>, sent as Shardcast-Delivery' },
  type: { type: 'string', enum: ['job.started', 'job.done', 'job.failed'] },
  url: { type: 'string' },
  status: { type: 'string', enum: ['pending', 'retrying', 'sent', 'gave-up', 'refused'] },
  attempts: { type: 'integer' },
  httpStatus: { type: 'integer', description: "the last attempt's answer" },
  error: { type: 'string', description: 'why the last attempt got no answer' },
  nextAt: { type: 'number', description: 'epoch ms of the next attempt' },
  lastAt: { type: 'number', description: 'epoch ms of the last attempt' },
});
