/**
 * Jobs started by an upload (pure): S3's "Object Created" event as EventBridge delivers it, read into the
 * object it names; the object's key under the watched prefix names the template (`in/<template>/<path>`); the
 * output goes under `out/<template>/` with the same path; and the parts a job id is made from (the bucket, the
 * key and the object's version, else its ETag), so the same upload seen twice makes one job.
 */
import { templateOutputPath, type TemplateOutput } from './templates.js';

/** Where uploads start jobs, and where their outputs go (keys under the stack's bucket). */
export const DEFAULT_WATCH_PREFIX = 'in/';
export const DEFAULT_OUTPUT_PREFIX = 'out/';

export interface CreatedObject {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
}

/** The object of an EventBridge `Object Created` event from S3, or undefined for any other input. */
export function createdObjectOf(event: unknown): CreatedObject | undefined {
  const e = event as {
    source?: unknown;
    'detail-type'?: unknown;
    detail?: { bucket?: { name?: unknown }; object?: Record<string, unknown> };
  };
  if (e?.source !== 'aws.s3' || e['detail-type'] !== 'Object Created') return undefined;
  const bucket = e.detail?.bucket?.name;
  const o = e.detail?.object;
  if (typeof bucket !== 'string' || typeof o?.key !== 'string' || !o.key) return undefined;
  return {
    bucket,
    key: o.key,
    ...(typeof o.size === 'number' ? { size: o.size } : {}),
    ...(typeof o.etag === 'string' ? { etag: o.etag } : {}),
    ...(typeof o['version-id'] === 'string' ? { versionId: o['version-id'] } : {}),
  };
}

export interface TriggeredJob {
  template: string;
  source: string;
  /** The output location for a template that makes `output`. */
  outputFor(output: TemplateOutput): string;
  /** What the job id is made from: the same upload (version, else ETag) gives the same id. */
  idParts: string[];
}

/**
 * The job an uploaded object asks for, or a reason it asks for none: a key outside the prefix, a folder
 * marker, a file at the prefix's top (no template folder), a hidden or partial file.
 */
export function triggeredJobOf(
  o: CreatedObject,
  watchPrefix = DEFAULT_WATCH_PREFIX,
  outputPrefix = DEFAULT_OUTPUT_PREFIX,
): TriggeredJob | { skip: string } {
  if (!o.key.startsWith(watchPrefix)) return { skip: `${o.key} is not under ${watchPrefix}` };
  const rest = o.key.slice(watchPrefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0)
    return { skip: `${o.key}: put uploads under ${watchPrefix}<template>/ (e.g. ${watchPrefix}web-1080p/${rest || 'video.mp4'})` };
  const template = rest.slice(0, slash);
  const path = rest.slice(slash + 1);
  const base = path.split('/').pop() ?? '';
  if (!path || path.endsWith('/')) return { skip: `${o.key} is a folder` };
  if (base.startsWith('.') || /\.(part|tmp|temp)$/i.test(base)) return { skip: `${o.key} is a hidden or partial file` };
  const folder = path.slice(0, path.length - base.length);
  return {
    template,
    source: `s3://${o.bucket}/${o.key}`,
    outputFor: (output) => templateOutputPath({ output }, base, `s3://${o.bucket}/${outputPrefix}${template}/${folder}`),
    idParts: ['s3', o.bucket, o.key, o.versionId ?? o.etag ?? String(o.size ?? '')],
  };
}

/** An s3:// location with its key URL-decoded as S3's event notifications encode keys (`+` for a space, %XX). */
export function decodedS3Uri(uri: string): string {
  const m = /^(s3:\/\/[^/]+\/)(.*)$/.exec(uri);
  if (!m) return uri;
  try {
    return m[1] + decodeURIComponent(m[2]!.replace(/\+/g, ' '));
  } catch {
    return uri;
  }
}

/**
 * Why a watch prefix cannot be used, or undefined: one over (or under) the outputs or the temp files would start a
 * job for every output written, each writing another.
 */
export function watchPrefixProblem(prefix: string, tempPrefix: string): string | undefined {
  for (const [other, what] of [
    [DEFAULT_OUTPUT_PREFIX, 'the outputs'],
    [tempPrefix, 'the temp files'],
  ] as const) {
    if (prefix.startsWith(other) || other.startsWith(prefix))
      return `must not overlap ${other} (${what}): every object written there would start a job`;
  }
  return undefined;
}
