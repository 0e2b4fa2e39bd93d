/** The API's JSON shapes, as the dashboard uses them (see /openapi.json). */
export type JobStatus = 'created' | 'analyzing' | 'encoding' | 'merging' | 'verifying' | 'done' | 'failed' | 'cancelled';
export type TaskStatus = 'pending' | 'running' | 'done' | 'failed';

export interface Profile {
  container: string;
  videoCodec: string;
  crf: number;
  preset: string;
  width?: number;
  height?: number;
  audioCodec: string;
  ladder?: { rungs: Array<{ height: number; maxrateKbps: number }>; segmentSeconds: number; dash: boolean };
}

export interface JobListItem {
  id: string;
  status: JobStatus;
  backend: string;
  source: string;
  sourceName: string;
  profile: Profile;
  segmentsDone: number;
  segmentsTotal: number;
  /** While it encodes: frames done of all, the measured rate and the encoding time left. */
  progress?: { frames: number; totalFrames: number; fps?: number; etaSeconds?: number };
  duration?: number;
  wallMs?: number;
  speed?: number;
  sizeBytes?: number;
  running: boolean;
  createdAt: number;
  updatedAt: number;
  error?: string;
  /** A targeted job's target ("psnr 38 ±0.5 dB") and how many of its video segments landed in the band. */
  target?: { metric: QualityMetric; value: number; label: string; segments: number; scored: number; inBand: number };
}

export interface TaskView {
  kind: 'video' | 'audio';
  index: number;
  key: string;
  status: TaskStatus;
  startFrame: number;
  frameCount: number;
  startTime: number;
  endTime: number;
  attempts: number;
  worker?: string;
  startedAt?: number;
  finishedAt?: number;
  wallMs?: number;
  cpuSeconds?: number;
  sizeBytes?: number;
  error?: string;
  /** A running attempt's live figures. */
  progress?: { frames: number; fps?: number; etaSeconds?: number; at: number };
  /** A targeted job's segment (`--target-quality`): its CRF search's trials so far and the kept encode's score. */
  quality?: SegmentQuality;
}

export type QualityMetric = 'vmaf' | 'ssim' | 'psnr';
/** Where a kept encode's score lands against the band (`floor`: in it, but under `--min-quality`). */
export type BandPosition = 'in' | 'above' | 'below' | 'floor';

/** One scored encode of a segment: a cheap probe or an encode at the job's settings. */
export interface QualityTrial {
  kind: 'probe' | 'encode';
  crf: number;
  score: number;
  floorScore?: number;
  bytes: number;
  frames: number;
  ms: number;
  cpuSeconds: number;
}

export interface SegmentQuality {
  metric: QualityMetric;
  target: number;
  band: number;
  trials: QualityTrial[];
  crf?: number;
  score?: number;
  floorScore?: number;
  inBand?: boolean;
  reason?: string;
  /** Absent while the segment searches. */
  position?: BandPosition;
}

/** The job's target and how many of its segments landed in the band. */
export interface TargetView {
  metric: QualityMetric;
  value: number;
  band: number;
  floor?: { value: number; pool: string };
  minCrf: number;
  maxCrf: number;
  /** "vmaf 93 ±1". */
  label: string;
  segments: number;
  scored: number;
  inBand: number;
  outside: Array<{ index: number; position: BandPosition; crf: number; score: number; reason?: string }>;
  /** "3 of 4 segments in band (vmaf 93 ±1)". */
  summary: string;
}

/** One cut as the quality report measured it (PSNR in dB against the source). */
export interface SeamQuality {
  index: number;
  frame: number;
  time: number;
  psnrBefore: number;
  psnrAfter: number;
  psnrAround: number;
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
  worstSeam?: number;
  /** A targeted job's segments: each one's PSNR/SSIM means over its own frames (and its search's result). */
  segments?: Array<{ index: number; psnrMean: number; ssimMean: number }>;
}

export interface JobDetail {
  id: string;
  status: JobStatus;
  backend: string;
  source: string;
  sourceName: string;
  output: string;
  profile: Profile;
  /** `--target-quality`: absent for a job without one. */
  target?: TargetView;
  options: { segmentSeconds?: number; workers: number; maxAttempts: number; verify: boolean; qualityReport: boolean };
  /** Whether the source was analyzed and cut into segments. */
  planned: boolean;
  sourceRefused: boolean;
  error?: string;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  sourceInfo?: { format: string; duration: number; width: number; height: number; codec: string; frames: number };
  frames?: number;
  expectedFrames?: number;
  sizeBytes?: number;
  timings: { analyzeMs?: number; encodeMs?: number; mergeMs?: number; verifyMs?: number; qualityMs?: number; totalMs?: number };
  quality?: QualityReport;
  cpuSeconds: number;
  speed?: number;
  segmentsDone: number;
  segmentsFailed: number;
  segmentsTotal: number;
  /** Frames encoded of all, the measured rate and the encoding time left. */
  progress?: { frames: number; totalFrames: number; fps?: number; etaSeconds?: number; at?: number };
  segments: TaskView[];
  /** The server's host name (worker ids of this host read "this machine"). */
  serverHost?: string;
  running: boolean;
  runningElsewhere: boolean;
  outputAvailable: boolean;
  outputSizeBytes?: number;
  live: Record<string, number>;
  costEstimate?: { usd: number; region: string; pricesAsOf: string; basis: string; search?: { usd: number; share: number } };
  renditions?: Rendition[];
  /** With thumbnails, once done: the files' locations (served by GET /api/jobs/:id/thumbnails/:file). */
  thumbnails?: { count: number; everySeconds: number; width: number; height: number; poster: string; sprites: string[]; vtt: string };
}

/** One rendition of a ladder job (HLS/DASH), as measured from its segments. */
export interface Rendition {
  kind: 'video' | 'audio' | 'subtitles';
  name: string;
  playlist: string;
  codecs?: string;
  width?: number;
  height?: number;
  channels?: number;
  language?: string;
  segments: number;
  bytes: number;
  durationSeconds: number;
  peakBitrate: number;
  averageBitrate: number;
  frames?: number;
}

export interface TaskRecord extends TaskView {
  jobId: string;
  outputKey: string;
  args?: string[];
  exitCode?: number;
  stderrTail?: string;
  checksum?: string;
  heartbeatAt?: number;
}

export interface JobEvent {
  jobId: string;
  seq: number;
  at: number;
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

/** A cluster worker as GET /api/workers gives it. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  tasks: string[];
  heartbeatAt: number;
  startedAt: number;
  ffmpeg: string;
  store: string;
  draining?: boolean;
}

/** A template as GET /api/templates gives it. */
export interface TemplateInfo {
  name: string;
  from: string;
  output: 'mp4' | 'mkv' | 'webm' | 'mov' | 'hls';
  description?: string;
  makes: string;
  options: Record<string, unknown>;
}

/** A `shardcast watch` process as GET /api/watches gives it. */
export interface WatcherInfo {
  dir: string;
  outDir: string;
  template: string;
  watcher: string;
  alive: boolean;
  startedAt: number;
  heartbeatAt?: number;
  done: number;
  failed: number;
  skipped: number;
  running?: { jobId: string; file: string };
  lastError?: string;
}
