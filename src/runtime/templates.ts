/**
 * Templates as a config file holds them (version 1, a `templates` map; template-files.ts reads the files): every
 * template checked when read (its fields by schema, then its options as the flags they are), so a wrong one is
 * refused with the field and the reason before any job exists; a request naming `template` gets the template's
 * options under its own (applyTemplate). No file I/O here: the AWS functions use it with the stack's templates.
 */
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import {
  BUILTIN_TEMPLATES,
  describeTemplateOutput,
  outputKindOfPath,
  TEMPLATE_OPTION_NAMES,
  TEMPLATE_OUTPUTS,
  type Template,
  type TemplateValue,
} from '../core/templates.js';
import { parseTranscodeOptions } from './transcode-options.js';

export interface TemplateCatalog {
  templates: Template[];
  /** The file or folder the project's templates came from; absent where only the built-ins are. */
  source?: string;
}

export const CONFIG_VERSION = 1;
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const BOOLEAN_OPTIONS = new Set(['deinterlace', 'acceptCutCost', 'dash', 'publishEarly', 'verify', 'qualityReport']);
const LIST_OPTIONS = new Set(['notify']);

const value = (name: string) =>
  BOOLEAN_OPTIONS.has(name)
    ? z.boolean({ message: 'must be true or false' })
    : LIST_OPTIONS.has(name)
      ? z.union([z.string(), z.array(z.string())], { message: 'must be a URL or a list of URLs' })
      : z.union([z.string(), z.number()], { message: 'must be a number or a word' });

const templateShape = z
  .object({
    description: z.string({ message: 'must be text' }).optional(),
    output: z.enum(TEMPLATE_OUTPUTS as [string, ...string[]], { message: `must be one of ${TEMPLATE_OUTPUTS.join(', ')}` }),
    ...Object.fromEntries(TEMPLATE_OPTION_NAMES.map((n) => [n, value(n).optional()])),
  })
  .strict();

export const fileShape = z
  .object({
    version: z.literal(CONFIG_VERSION, { message: `must be ${CONFIG_VERSION} (the version of the template format this shardcast reads)` }),
    templates: z.record(z.string(), z.unknown(), { message: 'must be a map of template names to templates' }),
  })
  .strict();

/** `a.b.c: the reason`, from a schema issue under `prefix`. */
function issueText(where: string, prefix: string[], issue: z.core.$ZodIssue): string {
  const path = [...prefix, ...issue.path.map(String)];
  const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const field = [...path, ...(key ? [key] : [])].join('.');
  const reason =
    issue.code === 'unrecognized_keys'
      ? `is not a template field (fields: output, description, ${TEMPLATE_OPTION_NAMES.join(', ')})`
      : issue.message;
  return `${where}: ${field || 'the file'} ${reason}`;
}

/** The flags a template's options are: numbers as the text a flag holds, the rest as they are. */
export function templateFlags(t: Template): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t.options)) flags[k] = typeof v === 'number' ? String(v) : v;
  return flags;
}

/** A stand-in output of the kind the template makes, to check its options against. */
function sampleOutput(t: Pick<Template, 'output'>): string {
  return t.output === 'hls' ? 'out/master.m3u8' : `out/output.${t.output}`;
}

/** `--max-height must ...` -> the field `maxHeight`. */
function fieldOfFlagMessage(message: string): { field?: string; reason: string } {
  const m = /^--([a-z][a-z-]*)\s+(.*)$/.exec(message);
  if (!m) return { reason: message };
  return { field: m[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), reason: m[2]! };
}

/** Checks a template's options as the flags they are; throws a UsageError naming the field. */
function checkTemplate(where: string, t: Template): void {
  try {
    parseTranscodeOptions(templateFlags(t), sampleOutput(t));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const { field, reason } = fieldOfFlagMessage(err.message);
    throw new UsageError(`${where}: templates.${t.name}${field ? `.${field}` : ''}: ${reason}`);
  }
}

/** One template from its parsed text (a map entry or a file of its own), checked. */
export function parseTemplate(where: string, name: string, raw: unknown, prefix: string[]): Template {
  if (!NAME.test(name))
    throw new UsageError(`${where}: template name "${name}" must be lower-case letters, digits, - and _ (it names folders)`);
  const r = templateShape.safeParse(raw);
  if (!r.success) throw new UsageError(issueText(where, prefix, r.error.issues[0]!));
  const { description, output, ...options } = r.data as { description?: string; output: Template['output'] } & Record<
    string,
    TemplateValue
  >;
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const t: Template = { name, output, options: defined, from: where, ...(description ? { description } : {}) };
  checkTemplate(where, t);
  return t;
}

export function withBuiltins(own: Template[], source: string): TemplateCatalog {
  const names = new Set(own.map((t) => t.name));
  return { templates: [...BUILTIN_TEMPLATES.filter((t) => !names.has(t.name)), ...own], source };
}

/** The catalog of a config file's parsed content (version 1, a `templates` map), built-ins included; `where` names it in errors. */
export function catalogOf(where: string, raw: unknown): TemplateCatalog {
  const r = fileShape.safeParse(raw);
  if (!r.success) throw new UsageError(issueText(where, [], r.error.issues[0]!));
  return withBuiltins(
    Object.entries(r.data.templates).map(([name, t]) => parseTemplate(where, name, t, ['templates', name])),
    where,
  );
}

/** A catalog as a config file's JSON (version 1), the project's templates only: what a deployment carries. */
export function catalogJson(catalog: TemplateCatalog): string {
  const own = catalog.templates.filter((t) => t.from !== 'built-in');
  return JSON.stringify({
    version: CONFIG_VERSION,
    templates: Object.fromEntries(
      own.map((t) => [t.name, { output: t.output, ...(t.description ? { description: t.description } : {}), ...t.options }]),
    ),
  });
}

export function findTemplate(catalog: TemplateCatalog, name: string): Template {
  const t = catalog.templates.find((x) => x.name === name);
  if (!t) {
    throw new UsageError(
      `no template "${name}"${catalog.source ? ` in ${catalog.source} or the built-ins` : ''}; \`shardcast templates\` lists them (${catalog.templates.map((x) => x.name).join(', ')})`,
    );
  }
  return t;
}

/** Options one of which replaces the others of its group when a request gives it over a template. */
const OVERRIDDEN_TOGETHER: readonly string[][] = [
  ['width', 'height', 'maxHeight'],
  ['pixFmt', 'bitDepth'],
];

const listOf = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/** What a template's output must be named like, for messages. */
function outputWords(t: Template): string {
  return t.output === 'hls' ? 'an HLS ladder: name DIR/master.m3u8' : `a .${t.output} file: name an output ending in .${t.output}`;
}

/**
 * A request's options with its template's under them (`options.template` names it; the request's own values win),
 * checked against the output it names. Without a template the request is returned as it is.
 */
export function applyTemplate<R extends { options: Record<string, unknown>; output: string }>(req: R, catalog: TemplateCatalog): R {
  const name = req.options.template;
  if (name === undefined) return req;
  if (typeof name !== 'string' || !name) throw new UsageError('--template must name a template');
  const t = findTemplate(catalog, name);
  if (outputKindOfPath(req.output) !== t.output) throw new UsageError(`template ${t.name} makes ${outputWords(t)}`);
  const own = Object.fromEntries(Object.entries(req.options).filter(([, v]) => v !== undefined));
  const base = templateFlags(t);
  // Options that go together are overridden together: a request's --height replaces the template's size whole.
  for (const group of OVERRIDDEN_TOGETHER) if (group.some((k) => k in own)) for (const k of group) delete base[k];
  // A request's webhooks are told beside the template's (a caller cannot silence the template's own).
  const notify = [...new Set([...listOf(base.notify), ...listOf(own.notify)])];
  return { ...req, options: { ...base, ...own, ...(notify.length ? { notify } : {}), template: t.name } };
}

export interface TemplateListing {
  name: string;
  from: string;
  output: Template['output'];
  description?: string;
  /** What it makes, in one line (codec, size, rate, audio, extras). */
  makes: string;
  options: Record<string, TemplateValue>;
}

export function listTemplates(catalog: TemplateCatalog): TemplateListing[] {
  return catalog.templates.map((t) => ({
    name: t.name,
    from: t.from,
    output: t.output,
    ...(t.description ? { description: t.description } : {}),
    makes: describeTemplateOutput(t, parseTranscodeOptions(templateFlags(t), sampleOutput(t))),
    options: t.options,
  }));
}
