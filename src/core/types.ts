/**
 * Data shapes shared by every layer. Pure data: no classes, no I/O.
 * Times are seconds (floating point) unless the name ends in `Ms` (milliseconds) or `At` (epoch ms).
 *
 * Over 300 lines on purpose: the records every layer shares (job, task, analysis, plan, profile, result) in one
 * place, so a reader finds a field where its record is.
 */

export type VideoCodec = 'h264' | 'hevc' | 'vp9' | 'av1';
export type AudioCodec = 'aac' | 'opus' | 'copy' | 'none';
export type Container = 'mp4' | 'mkv' | 'webm' | 'mov';
export type Backend = 'local' | 'aws' | 'aws-emulated' | 'cluster';

/** A fully specified encode profile: what every segment and the audio task are encoded with. */
export interface EncodeProfile {
  videoCodec: VideoCodec;
  crf: number;
  preset: string;
  /** Target size; undefined keeps the source size. With one of them set the other keeps the aspect ratio. */
  width?: number;
  height?: number;
  /**
   * `--max-height`: scale down to this height where the source is taller (keeping the aspect ratio); a shorter
   * source keeps its size. Not with width/height.
   */
  maxHeight?: number;
  audioCodec: AudioCodec;
  audioBitrateKbps: number;
  container: Container;
  /**
   * Output pixel format, when the user chose one (`--pix-fmt`). Absent: the source's bit depth and chroma where
   * the encoder can hold them (core/output-format.ts). Jobs made before that rule have 'yuv420p' here.
   */
  pixelFormat?: string;
  /** `--bit-depth`: the source's chroma at this depth. */
  bitDepth?: number;
  /** `--deinterlace`: an interlaced source's frames made progressive (bwdif, one picture per frame). */
  deinterlace?: boolean;
  /** An HLS (and DASH) ladder of fMP4 renditions instead of one file: an output path ending in `.m3u8`. */
  ladder?: LadderSpec;
  /** `--target-quality`: every segment gets its own CRF, searched and checked against this (core/crf-search.ts). */
  target?: QualityTarget;
}

export type QualityMetric = 'vmaf' | 'ssim' | 'psnr';

/** How a segment's frame scores make its score: their mean, their lowest, or a low percentile (`p5`: the 5th). */
export type QualityPool = 'mean' | 'min' | `p${number}`;

/** A quality every segment must reach: `--target-quality METRIC:VALUE` and the options that bound it. */
export interface QualityTarget {
  metric: QualityMetric;
  /** The score each segment's frames' mean should land on. */
  value: number;
  /** Half the band around `value` a segment may land in (`--quality-band`; defaults per metric). */
  band: number;
  /** `--min-quality VALUE[:POOL]`: a floor no segment's pooled score may fall under (default pool p5). */
  floor?: { value: number; pool: QualityPool };
  /** `--min-crf` / `--max-crf`: the CRFs the search may use. */
  minCrf: number;
  maxCrf: number;
  /** libvmaf 1.x builds: the model file (`--vmaf-model`, SHARDCAST_VMAF_MODEL); 2.x builds have it built in. */
  vmafModel?: string;
}

/**
 * One encode of a segment that was scored: a cheap probe (a faster preset, every n-th frame) or an encode at
 * the job's own settings, kept as the segment's output when it lands in the band.
 */
export interface QualityTrial {
  kind: 'probe' | 'encode';
  crf: number;
  /** The frames' mean score. */
  score: number;
  /** The floor's pooled score (with `floor`). */
  floorScore?: number;
  bytes: number;
  frames: number;
  ms: number;
  cpuSeconds: number;
}

/** A targeted segment's search, as far as it went: written as each trial ends, so a resumed task re-uses them. */
export interface SegmentQuality {
  metric: QualityMetric;
  target: number;
  band: number;
  trials: QualityTrial[];
  /** The kept encode's CRF and score, once the task is done. */
  crf?: number;
  score?: number;
  floorScore?: number;
  /** Whether the kept encode is within the band (and over the floor). */
  inBand?: boolean;
  /** Why a kept encode is outside the band (the CRF range ran out, the trials ran out). */
  reason?: string;
}

/** One rendition of a ladder: its height (the short side, for a portrait source) and its bitrate cap. */
export interface LadderRung {
  height: number;
  /** VBV cap (`-maxrate`, with `-bufsize` twice it): from `--ladder 720:3000k` or the built-in table. */
  maxrateKbps: number;
}

export interface LadderSpec {
  /** Requested rungs, highest first; rungs above the source are dropped at analysis (never upscaled). */
  rungs: LadderRung[];
  /** Target media-segment duration (`--segment-duration`): a segment starts at the first frame at or after k × this. */
  segmentSeconds: number;
  /** Also write `manifest.mpd` over the same files. */
  dash: boolean;
  /** Presentation time (s) of the container's start in the renditions (core/ladder.ts ladderTimeline); set at analysis. */
  timelineStart?: number;
  /** How long (s) before its first frame is shown every task's video decode starts (ladderTimeline). */
  decodeLead?: number;
  /**
   * Silence (s) put before each audio track, in the order of the analysis's audio: how long after the video's first
   * frame the track begins (0 for one that begins with it or before), so no rendition has a hole where the video
   * starts (ladderTimeline; set at analysis; absent in jobs planned before, which pad nothing).
   */
  audioPads?: number[];
}

/** Where a task's media segments start: the ladder's segment numbers and first frames inside the task. */
export interface TaskMediaSegments {
  /** Number of the task's first media segment in every rendition (0-based). */
  first: number;
  /** First frame of each of the task's media segments, counted from the task's first frame (starts[0] = 0). */
  starts: number[];
}

/** One rendition of a finished ladder, as measured from its segments. */
export interface RenditionResult {
  kind: 'video' | 'audio' | 'subtitles';
  /** Folder name in the output (`v720`, `a0`, `s0`), and its playlist. */
  name: string;
  playlist: string;
  codecs?: string;
  width?: number;
  height?: number;
  language?: string;
  channels?: number;
  segments: number;
  bytes: number;
  durationSeconds: number;
  /** Peak over one media segment, and the average over the rendition (bits per second). */
  peakBitrate: number;
  averageBitrate: number;
  frames?: number;
}

export interface StreamInfo {
  index: number;
  type: 'video' | 'audio' | 'subtitle' | 'data' | 'attachment';
  codec: string;
  /** Subtitle streams: text-based codecs can be converted between containers, bitmap ones cannot. */
  language?: string;
  channels?: number;
  sampleRate?: number;
  startTime?: number;
  duration?: number;
  /** End of the last packet (pts + duration), from the packet scan. */
  endTime?: number;
  isAttachedPic?: boolean;
}

export interface ColorInfo {
  range?: string;
  primaries?: string;
  transfer?: string;
  space?: string;
}

/** HDR10 static metadata: chromaticities as CIE 1931 x/y, luminance in cd/m². */
export interface HdrMetadata {
  masteringDisplay?: {
    red: [number, number];
    green: [number, number];
    blue: [number, number];
    whitePoint: [number, number];
    minLuminance: number;
    maxLuminance: number;
  };
  contentLight?: { maxCll: number; maxFall: number };
}

export interface VideoInfo {
  streamIndex: number;
  codec: string;
  width: number;
  height: number;
  pixelFormat: string;
  /** Rotation in degrees from the display matrix (0, 90, 180, 270). */
  rotation: number;
  color: ColorInfo;
  fieldOrder?: string;
  /** Nominal rate as "num/den" (r_frame_rate) and the average rate. */
  frameRate: string;
  avgFrameRate: string;
  /** 'cfr' when all frame intervals match within 1%, else 'vfr'. */
  frameRateMode: 'cfr' | 'vfr';
  timeBase: string;
  /** Presentation times of all frames, sorted, in seconds (source timeline). */
  frameTimes: number[];
  /** Indices into frameTimes of the frames flagged as keyframes. */
  keyframeIndices: number[];
  /** Duration of the last frame (from its packet, else the average interval). */
  lastFrameDuration: number;
  /** What one extra keyframe costs, in seconds of the source's bitrate (probe-parse.ts keyframeCostSeconds). */
  keyframeCostSeconds?: number;
  /**
   * Indices into frameTimes of the scene changes found at analysis (scene-cuts.ts), where the planner prefers to
   * cut; absent where the scan did not run or failed. A few per minute of film, so it stays in the head.
   */
  sceneCuts?: number[];
  /** HDR10 static metadata, from the stream or its first frames. */
  hdr?: HdrMetadata;
  /** The stream carries Dolby Vision (a configuration record or RPU side data). */
  dolbyVision?: boolean;
}

export interface MediaAnalysis {
  formatName: string;
  /** Container start time (ffmpeg subtracts it from every stream on output). */
  startTime: number;
  /** Container duration, or the scanned duration where the container has none. */
  duration: number;
  durationFromContainer: boolean;
  sizeBytes: number;
  video: VideoInfo;
  audio: StreamInfo[];
  subtitles: StreamInfo[];
  others: StreamInfo[];
}

/** The analysis without the frame list: what one segment's encode needs besides its own read window. */
export type VideoHead = Omit<VideoInfo, 'frameTimes' | 'keyframeIndices'>;
export type AnalysisHead = Omit<MediaAnalysis, 'video'> & { video: VideoHead };

/**
 * How a video segment is read from the source, worked out from the frame list at planning time so that the
 * encode of one segment never needs the whole list (on DynamoDB: hundreds of KB per read for a long source).
 */
export interface SegmentRead {
  /** `-ss` of a seek read (to the cut); none for the first segment. */
  seekSeconds?: number;
  /** `-ss` of a pre-roll read (before the third flagged keyframe); none near the start. */
  prerollSeekSeconds?: number;
  /** The trim filter that keeps the segment's frames by source time (`trim=start=..:end=..`, or `null`). */
  trim: string;
  /**
   * The trim also keeps the first frame after the segment: the segment's last frame lasts unlike the one before
   * it (a VFR gap), and an encoder that weighs frames by how long they show must see when it ends
   * (`tailFrameEncodeArgs`). Absent where the last frame lasts as the one before (CFR) and on the last segment.
   */
  tailFrame?: true;
}

/** One planned video segment: frames [startFrame, startFrame + frameCount) of the source. */
export interface PlannedSegment {
  index: number;
  startFrame: number;
  frameCount: number;
  /** Presentation time of the first frame and of the first frame after the segment (source timeline). */
  startTime: number;
  endTime: number;
  /** True when the segment starts on a source keyframe (cheap seek). */
  startsOnKeyframe: boolean;
}

export interface SegmentPlan {
  segments: PlannedSegment[];
  targetSeconds: number;
  totalFrames: number;
  /** Indices in the order they should be encoded: longest first. */
  encodeOrder: number[];
  /** What the planner changed from what was asked, and why (app/cut-cost-check.ts). */
  notices?: string[];
}

export type JobStatus = 'created' | 'analyzing' | 'encoding' | 'merging' | 'verifying' | 'done' | 'failed' | 'cancelled';

/** The statuses of a job that something is (or was, until it crashed) working on. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['created', 'analyzing', 'encoding', 'merging', 'verifying'];

export type TaskStatus = 'pending' | 'running' | 'done' | 'failed';
export type TaskKind = 'video' | 'audio';

export interface JobTimings {
  analyzeMs?: number;
  encodeMs?: number;
  mergeMs?: number;
  verifyMs?: number;
  /** The quality report's decode of output and source (only with --quality-report or when asked later). */
  qualityMs?: number;
  totalMs?: number;
  /** `--publish-early`: from the run's start to the first playable prefix's playlists (event job.published). */
  firstPlayableMs?: number;
}

export interface VerifyReport {
  ok: boolean;
  /**
   * How the output was read: every packet (`scan`), or its index plus its first and last packets (`index`,
   * MP4/MOV), or (a ladder) from the boxes of every media segment as the tasks split them (`segments`).
   */
  method?: 'scan' | 'index' | 'segments';
  expectedFrames: number;
  frames: number;
  expectedDuration: number;
  videoDuration: number;
  audioDuration?: number;
  /** Each failed check, in words. */
  failures: string[];
}

export interface JobResult {
  frames: number;
  videoDuration: number;
  audioDuration?: number;
  sizeBytes: number;
  verify?: VerifyReport;
  quality?: QualityReport;
  /** A ladder's renditions (video highest first, then audio and subtitles). */
  renditions?: RenditionResult[];
  thumbnails?: ThumbnailsResult;
}

/** What `--thumbnails` made, beside the output: locations (paths or s3:// URIs) and the thumbnails' size. */
export interface ThumbnailsResult {
  count: number;
  everySeconds: number;
  width: number;
  height: number;
  poster: string;
  sprites: string[];
  vtt: string;
}

/** One cut between two segments, as the quality report measured it (PSNR in dB against the source). */
export interface SeamQuality {
  /** The segment that starts at this cut. */
  index: number;
  /** Its first frame (source index) and that frame's time on the source timeline. */
  frame: number;
  time: number;
  /** PSNR of the last frame before the cut and of the first frame after it. */
  psnrBefore: number;
  psnrAfter: number;
  /** Mean PSNR of the frames around the cut (core/quality-report.ts SEAM_WINDOW_FRAMES each side). */
  psnrAround: number;
  /** How far the worse of the two falls below psnrAround (0 when neither does). */
  dipDb: number;
  ssimBefore: number;
  ssimAfter: number;
}

export interface QualityReport {
  frames: number;
  psnrMean: number;
  psnrMin: number;
  psnrMinFrame: number;
  ssimMean: number;
  ssimMin: number;
  seams: SeamQuality[];
  /** Index (segment) of the seam with the largest dip; absent for a one-segment job. */
  worstSeam?: number;
  /** A targeted job's (`--target-quality`) video segments: each one's own figures, in segment order. */
  segments?: SegmentScore[];
}

/** One video segment in a targeted job's quality report: its search's result (from its task) and its frames' means. */
export interface SegmentScore {
  index: number;
  startFrame: number;
  frameCount: number;
  /** The mean of the report's own per-frame values over the segment's frames. */
  psnrMean: number;
  ssimMean: number;
  /** From the task's SegmentQuality (absent where the task has none, e.g. it ran before the target was set). */
  metric?: QualityMetric;
  target?: number;
  band?: number;
  crf?: number;
  score?: number;
  inBand?: boolean;
  reason?: string;
  bytes?: number;
}

export interface TranscodeOptions {
  profile: EncodeProfile;
  segmentSeconds?: number;
  /**
   * Keep an asked-for `segmentSeconds` even where its cuts cost more than REQUEST_CUT_BUDGET of the video's bytes
   * (core/cut-cost.ts); without it such a request is lengthened, with a notice.
   */
  acceptCutCost?: boolean;
  workers: number;
  threadsPerWorker: number;
  /**
   * Encoder threads of the last `workers` segments in encode order (see core/segment-threads.ts). Absent in
   * jobs created before it existed: they use threadsPerWorker for every segment.
   */
  tailThreads?: number;
  maxAttempts: number;
  verify: boolean;
  /** Measure PSNR/SSIM against the source, per seam and whole (one more decode of both); absent = no. */
  qualityReport?: boolean;
  /** The template (`--template NAME`) the job's options came from, for display; the options are the job's own. */
  template?: string;
  /** Webhooks told of the job's start, end and failure (`--notify URL`, templates, the API). */
  notify?: NotifyTarget[];
  /** `--thumbnails SECONDS`: a poster, a thumbnail every so many seconds, a sprite sheet and its WebVTT map. */
  thumbnails?: ThumbnailSpec;
  /**
   * `--publish-early` (ladders only): segments encoded in timeline order and the playlists published as EVENT
   * playlists of the done prefix while the job runs (core/early-publish.ts), so a player can start before the end.
   */
  publishEarly?: boolean;
}

/**
 * A webhook: every delivery is POSTed as JSON and signed with HMAC-SHA256 under the secret held in the
 * environment variable `secretEnv` (default SHARDCAST_WEBHOOK_SECRET) of the process that sends it. The
 * secret itself is never written to the ledger.
 */
export interface NotifyTarget {
  url: string;
  secretEnv?: string;
}

/** Thumbnails made inside the segments' encodes (no second decode of the source). */
export interface ThumbnailSpec {
  /** A thumbnail every so many seconds of the source, from its start. */
  everySeconds: number;
  /** Their width in pixels (the height keeps the picture's aspect ratio, rounded to even). */
  width: number;
}

export interface JobRecord {
  id: string;
  status: JobStatus;
  backend: Backend;
  /** Where the source and the output live: an absolute path, or an s3:// URI. */
  source: string;
  output: string;
  options: TranscodeOptions;
  analysis?: MediaAnalysis;
  plan?: SegmentPlan;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  /**
   * `input`: the job failed because its source or request cannot be used as they are (an InputError: not media,
   * no video, truncated before its first frame); a retry would fail the same way, so none is offered.
   */
  errorKind?: 'input';
  timings: JobTimings;
  result?: JobResult;
  /** The process (worker id, `host:pid`) that last started driving the job locally: a job-level lease. */
  runner?: string;
  /**
   * Why segments of a job planned for `seek` are read by pre-roll: set by the first segment whose seek read came
   * out short (core/cut-policy.ts cutMethodFor).
   */
  cutFallback?: string;
}

export interface TaskRecord {
  jobId: string;
  kind: TaskKind;
  index: number;
  /** Fixed, deterministic key: `<jobId>/v00012` or `<jobId>/a00000`. */
  key: string;
  startFrame: number;
  frameCount: number;
  startTime: number;
  endTime: number;
  status: TaskStatus;
  attempts: number;
  worker?: string;
  startedAt?: number;
  finishedAt?: number;
  /** Refreshed while running; a running task whose heartbeat is stale belongs to a dead worker. */
  heartbeatAt?: number;
  /** A running attempt's progress, written with its heartbeat; only a `running` task carries it. */
  progress?: TaskLiveProgress;
  cpuSeconds?: number;
  wallMs?: number;
  args?: string[];
  exitCode?: number;
  stderrTail?: string;
  /** Blob key of the finished output; fixed at planning time. */
  outputKey: string;
  /** Video tasks: how the segment is read (from the plan; tasks planned before it existed have none). */
  read?: SegmentRead;
  /** Video tasks of a ladder: the media segments the task makes. */
  media?: TaskMediaSegments;
  sizeBytes?: number;
  checksum?: string;
  error?: string;
  /** A targeted job's video tasks: the CRF search's trials and the kept encode's score (survives retries). */
  quality?: SegmentQuality;
  /** Video tasks of a job with thumbnails: the ones this segment's encode also writes (core/thumbnails.ts). */
  thumbnails?: TaskThumbnails;
}

/** A segment's thumbnails: numbers from `first`, their frames and the poster's (counted from the segment's first). */
export interface TaskThumbnails {
  first: number;
  frames: number[];
  poster?: number;
}

/** How far a running encode is: frames out of the task's frameCount, its rate, when it was read. */
export interface TaskLiveProgress {
  frames: number;
  /** Frames a second of this attempt so far (frames / seconds since it started). */
  fps?: number;
  /** Epoch ms of the reading. */
  at: number;
}

/**
 * A job as one task reads it: without the frame list (analysis.video.frameTimes, keyframeIndices) and without
 * the segment list (plan.segments, encodeOrder), which grow with the source; each task carries its own range
 * and read window. `Ledger.getJobHead`.
 */
export type JobHead = Omit<JobRecord, 'analysis' | 'plan'> & {
  analysis?: AnalysisHead;
  plan?: Omit<SegmentPlan, 'segments' | 'encodeOrder'>;
};

/** A job past its analysis: its analysis and plan are there (core/job-head.ts `analyzed` narrows to it). */
export type AnalyzedJob = JobRecord & { analysis: MediaAnalysis; plan: SegmentPlan };

/** The head of a job past its analysis. */
export type AnalyzedJobHead = JobHead & { analysis: AnalysisHead; plan: Omit<SegmentPlan, 'segments' | 'encodeOrder'> };

/** The options of a ladder job: its ladder is there. */
export type LadderProfile = EncodeProfile & { ladder: LadderSpec };

export interface JobEvent {
  jobId: string;
  seq: number;
  at: number;
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface JobSummary {
  id: string;
  status: JobStatus;
  backend: Backend;
  source: string;
  output: string;
  createdAt: number;
  updatedAt: number;
  segmentsDone: number;
  segmentsTotal: number;
  error?: string;
}
