/**
 * Where the server keeps a job's files under the state dir, all named from the (validated) job id and never
 * from user input: `uploads/<id>/source.<ext>` (+ `meta.json` with the upload's display name) and
 * `outputs/<id>/output.<container>`. Also the check that a JSON-submitted source lies under a root.
 */
import { realpathSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { InputError, UsageError } from '../core/errors.js';
import { JOB_ID_PATTERN } from '../core/task-keys.js';
import type { Container } from '../core/types.js';
import { HttpError } from './http-errors.js';

const SOURCE_EXTENSIONS = new Set([
  'mp4',
  'm4v',
  'mov',
  'mkv',
  'webm',
  'avi',
  'ts',
  'mts',
  'm2ts',
  'mpg',
  'mpeg',
  'flv',
  'wmv',
  '3gp',
  'ogv',
  'y4m',
  'mxf',
]);

/** The extension kept for an upload: a known video extension of the client's file name, else `bin`. */
export function safeExtension(fileName: string | undefined): string {
  const m = /\.([A-Za-z0-9]{1,5})$/.exec(fileName ?? '');
  const ext = m?.[1]?.toLowerCase();
  return ext && SOURCE_EXTENSIONS.has(ext) ? ext : 'bin';
}

/** A display name: the client's base name, printable characters only, at most 200. */
export function displayName(fileName: string | undefined): string {
  const base = (fileName ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^\p{L}\p{N} ._()-]/gu, '_').slice(0, 200);
  return clean || 'upload';
}

export class JobFiles {
  readonly uploadsRoot: string;
  readonly outputsRoot: string;

  constructor(stateDir: string) {
    this.uploadsRoot = join(resolve(stateDir), 'uploads');
    this.outputsRoot = join(resolve(stateDir), 'outputs');
  }

  private checkId(id: string): string {
    if (!JOB_ID_PATTERN.test(id)) throw new UsageError(`invalid job id: ${JSON.stringify(id)}`);
    return id;
  }

  uploadDir(id: string): string {
    return join(this.uploadsRoot, this.checkId(id));
  }

  outputDir(id: string): string {
    return join(this.outputsRoot, this.checkId(id));
  }

  /** The server's output for a job: `output.<container>`, or for a ladder (`hls`) its folder's master playlist. */
  outputPath(id: string, container: Container | 'hls'): string {
    return join(this.outputDir(id), container === 'hls' ? 'master.m3u8' : `output.${container}`);
  }

  async prepareUpload(id: string): Promise<string> {
    const dir = this.uploadDir(id);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async prepareOutput(id: string): Promise<void> {
    await mkdir(this.outputDir(id), { recursive: true });
  }

  async writeMeta(id: string, meta: { name: string }): Promise<void> {
    await writeFile(join(this.uploadDir(id), 'meta.json'), JSON.stringify(meta));
  }

  /** The upload's display name for a source under uploads/, else the source's base name. */
  async sourceName(id: string, source: string): Promise<string> {
    if (source.startsWith(this.uploadDir(id) + sep)) {
      try {
        const meta = JSON.parse(await readFile(join(this.uploadDir(id), 'meta.json'), 'utf8')) as { name?: unknown };
        if (typeof meta.name === 'string') return meta.name;
      } catch {
        /* no meta: fall through */
      }
    }
    return basename(source);
  }

  /** Removes the files the server made for a job (never a CLI job's own output elsewhere). */
  async remove(id: string): Promise<void> {
    await rm(this.uploadDir(id), { recursive: true, force: true });
    await rm(this.outputDir(id), { recursive: true, force: true });
  }

  /** Whether a path is a file this server wrote (so DELETE may remove it). */
  owns(path: string): boolean {
    const p = resolve(path);
    return p.startsWith(this.uploadsRoot + sep) || p.startsWith(this.outputsRoot + sep);
  }
}

/**
 * Resolves a JSON-submitted source path (links followed) and checks that it lies under one of `roots`.
 * Relative paths are taken relative to the first root.
 */
export function resolveUnderRoots(source: string, roots: string[]): string {
  if (roots.length === 0)
    throw new HttpError(403, 'forbidden', 'this server reads no local paths (start it with --root <dir>); upload the file instead');
  if (source.includes('\0')) throw new UsageError('invalid source path');
  const outside = () => new HttpError(403, 'forbidden', 'source is outside the folders this server may read (see --root)');
  const under = (p: string, root: string) => p.startsWith(root.endsWith(sep) ? root : root + sep);
  const candidate = resolve(roots[0]!, source);
  // Lexically first (so nothing is learned about paths outside the roots), then with links resolved.
  if (!roots.some((r) => under(candidate, resolve(r)))) throw outside();
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    throw new InputError(`source not found: ${source}`);
  }
  const realRoots = roots.flatMap((r) => {
    try {
      return [realpathSync(r)];
    } catch {
      return [];
    }
  });
  if (!realRoots.some((r) => under(real, r))) throw outside();
  return real;
}
