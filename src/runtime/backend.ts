/**
 * `Backend`: one home for jobs (this machine; the AWS pipeline on emulators; the deployed stack) behind the
 * handful of verbs the entry points use. The CLI commands are written once over it; each home is one
 * implementation (local-backend.ts, workflow-backend.ts, cluster-backend.ts), proven by one contract suite
 * (test/contract/backend-contract.ts). A run verb creates or claims the job, runs it to its end and resolves
 * with the finished job; it rejects with a typed error, the job then holding why.
 */
import type { TaskProgress } from '../app/deps.js';
import type { JobView } from '../app/job-view.js';
import type { Backend as BackendKind, JobEvent, JobRecord, JobSummary, TaskRecord } from '../core/types.js';
import type { Ledger } from '../ports/ledger.js';
import type { MediaTool } from '../ports/media-tool.js';
import type { WorkerInfo } from '../adapters/bullmq/protocol.js';
import { applyTemplate, type TemplateCatalog } from './templates.js';
import { loadTemplateCatalog } from './template-files.js';

export type { BackendKind };

export interface JobRequest {
  /** A local path, or s3:// on the AWS homes. */
  input: string;
  output: string;
  /** Transcode options as strings, as parsed by parseTranscodeOptions (CLI flags, HTTP fields). */
  options: Record<string, unknown>;
  overwrite: boolean;
  /** The job's id, where the caller chose it (the HTTP API names upload folders after it). */
  id?: string;
}

export interface RunHooks {
  signal?: AbortSignal;
  /** Called once the job exists in the ledger, before it runs (progress display, an HTTP 201). */
  onJob?: (jobId: string) => void;
  /** One-line notes for a person (what is uploaded, where the job runs). */
  note?: (line: string) => void;
}

export interface RunResult {
  job: JobRecord;
  /** Where the output was downloaded to, when the job wrote it elsewhere (a local output on AWS). */
  localOutput?: string;
}

export interface JobStatusReport {
  view: JobView;
  events: JobEvent[];
}

export interface Backend {
  readonly kind: BackendKind;
  /** Read side for progress and views: job heads, counters, tasks, events. */
  readonly ledger: Ledger;
  /** Where its jobs live, for messages ("~/.shardcast", "the aws ledger"). */
  readonly where: string;
  submit(req: JobRequest, hooks?: RunHooks): Promise<RunResult>;
  /** Continues a stopped or crashed job: runs only what is not done. */
  resume(jobId: string, hooks?: RunHooks & { force?: boolean }): Promise<RunResult>;
  /** Re-runs only the failed tasks of a failed job. */
  retry(jobId: string, hooks?: RunHooks): Promise<RunResult>;
  /** Measures a done job's output against its source (PSNR/SSIM) and stores the report. */
  quality(jobId: string, hooks?: RunHooks): Promise<JobRecord>;
  status(jobId: string): Promise<JobStatusReport>;
  jobs(limit: number): Promise<JobSummary[]>;
  /**
   * Whether something other than this Backend's own runs works on the job now (a CLI run or another host's
   * worker on the local ledger; an execution on AWS), judged from its records as just read.
   */
  runsElsewhere(job: JobRecord, tasks: TaskRecord[]): boolean;
  /**
   * What `doctor` checks of the home beyond this machine's ffmpeg (a cluster: Redis, the store, every worker);
   * absent where there is nothing more to check from here.
   */
  checks?(): Promise<DoctorReport>;
  /** The cluster's workers (host, pid, tasks, last heartbeat); absent on homes without workers of their own. */
  workers?(): Promise<WorkerInfo[]>;
  /** Removes one job's files and records (never its output). */
  remove(jobId: string): Promise<void>;
  /**
   * Removes the files and records of the jobs `criteria` picks (a number: `olderThanMs`); resolves with their
   * ids. The criteria given all apply: not updated for `olderThanMs`, failed, refused at input.
   */
  gc(criteria: number | GcCriteria): Promise<string[]>;
  close(): Promise<void>;
}

/** Which jobs `gc` removes: those that meet every criterion given (at least one). */
export interface GcCriteria {
  /** Not updated for this long. */
  olderThanMs?: number;
  /** Failed (refused at input or not), whatever their age unless `olderThanMs` is given too. */
  failed?: boolean;
  /** Failed before any segment was planned: the input was refused (see refusedAtInput). */
  refused?: boolean;
}

export interface DoctorReport {
  ok: boolean;
  /** For a person: `PROBLEM: ...` lines say what to fix. */
  lines: string[];
  report: Record<string, unknown>;
}

export interface BackendConfig {
  kind: BackendKind;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** Live frame counts of encodes run in this process. */
  onProgress?: (p: TaskProgress) => void;
  /** Told of each job event the runs of this process append (the webhook notifier); local and cluster homes. */
  onEvent?: (event: JobEvent) => void;
  /** Only the read verbs (status, jobs) will be used: no workers, no emulators' functions. */
  readOnly?: boolean;
  /** The cluster home's Redis and store (flags; SHARDCAST_REDIS_URL, SHARDCAST_STORE, SHARDCAST_S3_ENDPOINT else). */
  cluster?: { redis?: string; store?: string; s3Endpoint?: string; redisWaitSeconds?: string };
  /** Test hook of the local home: wraps the ffmpeg runner (to inject faults). Only tests set it. */
  wrapMedia?: (media: MediaTool) => MediaTool;
  /**
   * Where a request's `template` is looked up: a catalog already read, or the config file or folder to read
   * (`--config`); neither: SHARDCAST_CONFIG, else `shardcast.config.*` in the working folder, read when a request
   * names a template.
   */
  templates?: TemplateCatalog;
  configPath?: string;
}

/**
 * Opens the home `cfg.kind` names. The AWS homes are imported only when asked for: the AWS SDK takes about
 * 0.4 s to load.
 */
export async function openBackend(cfg: BackendConfig): Promise<Backend> {
  return withTemplates(await openHome(cfg), cfg);
}

async function openHome(cfg: BackendConfig): Promise<Backend> {
  if (cfg.kind === 'local') return (await import('./local/local-backend.js')).openLocalBackend(cfg);
  if (cfg.kind === 'cluster') return (await import('./cluster/cluster-backend.js')).openClusterBackend(cfg);
  return (await import('./aws/workflow-backend.js')).openWorkflowBackend(cfg);
}

/**
 * Every home's `submit` takes `options.template`: the template's options go under the request's own, once, here,
 * before the home sees the request (runtime/templates.ts). The catalog is read only when a request names one.
 */
function withTemplates<B extends Backend>(backend: B, cfg: BackendConfig): B {
  const submit = backend.submit.bind(backend);
  return {
    ...backend,
    async submit(req, hooks) {
      if (req.options.template === undefined) return submit(req, hooks);
      const catalog =
        cfg.templates ??
        (await loadTemplateCatalog({ ...(cfg.configPath ? { explicit: cfg.configPath } : {}), env: cfg.env, cwd: process.cwd() }));
      return submit(applyTemplate(req, catalog), hooks);
    },
  };
}
