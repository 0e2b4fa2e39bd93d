/**
 * `shardcast templates`: the templates a `--template NAME` may name (built-in and the project's), with what each
 * makes; a wrong config file is refused here as it would be before a job.
 */
import type { Command } from 'commander';
import { listTemplates } from '../runtime/templates.js';
import { loadTemplateCatalog } from '../runtime/template-files.js';
import { print, type GlobalFlags } from './commands.js';

export async function templatesCommand(flags: GlobalFlags & { config?: string }): Promise<void> {
  const catalog = await loadTemplateCatalog({ ...(flags.config ? { explicit: flags.config } : {}), env: process.env, cwd: process.cwd() });
  const list = listTemplates(catalog);
  const width = Math.max(...list.map((t) => t.name.length));
  const text = [
    ...list.map(
      (t) =>
        `${t.name.padEnd(width)}  ${t.makes}${t.from === 'built-in' ? '  (built-in)' : ''}${t.description ? `\n${' '.repeat(width + 2)}${t.description}` : ''}`,
    ),
    catalog.source
      ? `templates from ${catalog.source} and the built-ins`
      : 'built-in templates only: add your own in shardcast.config.yaml (see the README)',
  ].join('\n');
  print(flags, { source: catalog.source ?? null, templates: list }, text);
}

/**
 * The flags a person gave (and globals), without the values commander filled in as defaults: a template's
 * options go under what was asked for, not under `--no-verify`'s default.
 */
export function givenFlags(cmd: Command): Record<string, unknown> {
  const flags = cmd.optsWithGlobals();
  for (const o of cmd.options) {
    const key = o.attributeName();
    if (cmd.getOptionValueSource(key) === 'default') delete flags[key];
  }
  return flags;
}
