/**
 * Templates from files: `shardcast.config.json` / `.yaml` (version 1, a `templates` map) or a folder of template
 * files (each `NAME.json` / `NAME.yaml`, one template), found at `--config PATH`, else SHARDCAST_CONFIG, else
 * `shardcast.config.{json,yaml,yml}` in the working folder.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../core/errors.js';
import { BUILTIN_TEMPLATES, type Template } from '../core/templates.js';
import { catalogOf, CONFIG_VERSION, parseTemplate, withBuiltins, type TemplateCatalog } from './templates.js';

export const CONFIG_FILE_NAMES = ['shardcast.config.json', 'shardcast.config.yaml', 'shardcast.config.yml'];

/** Reads a config file's or folder's templates (built-ins included); throws a UsageError for any wrong one. */
export async function readTemplateCatalog(path: string): Promise<TemplateCatalog> {
  const full = resolve(path);
  const info = await stat(full).catch(() => undefined);
  if (!info) throw new UsageError(`no template file or folder at ${full}`);
  const own: Template[] = [];
  if (info.isDirectory()) {
    const files = (await readdir(full)).filter((f) => /\.(json|ya?ml)$/i.test(f)).sort();
    for (const f of files) {
      // Each file is one template: its name is the file's.
      const where = join(full, f);
      const raw = await parseFile(where);
      const { version, ...rest } = (raw ?? {}) as Record<string, unknown>;
      if (version !== CONFIG_VERSION)
        throw new UsageError(`${where}: version must be ${CONFIG_VERSION} (the version of the template format this shardcast reads)`);
      own.push(parseTemplate(where, basename(f).replace(/\.(json|ya?ml)$/i, ''), rest, []));
    }
  } else {
    return catalogOf(full, await parseFile(full));
  }
  return withBuiltins(own, full);
}

async function parseFile(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The catalog where `explicit`, SHARDCAST_CONFIG or the working folder's config file says; the built-ins alone else. */
export async function loadTemplateCatalog(opts: { explicit?: string; env: NodeJS.ProcessEnv; cwd: string }): Promise<TemplateCatalog> {
  const path = opts.explicit ?? (opts.env.SHARDCAST_CONFIG || undefined);
  if (path) return readTemplateCatalog(resolve(opts.cwd, path));
  for (const name of CONFIG_FILE_NAMES) {
    const p = join(opts.cwd, name);
    if (await stat(p).catch(() => undefined)) return readTemplateCatalog(p);
  }
  return { templates: [...BUILTIN_TEMPLATES] };
}
