// The base name of an export from a template, so exports meant for rotation get distinct names:
// `--name "{vm}-{date}"` → `web01-2026-11-25`. Without a template the name is the VM's, as
// before. Dates are the job's start in local time ({timestamp} is UTC, and sorts).
import { ConfigError } from './errors.ts';

const PLACEHOLDERS = ['vm', 'date', 'time', 'timestamp'] as const;

export function expandNameTemplate(template: string, values: { vm: string; startedAt: Date }): string {
  const at = values.startedAt;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const expansions: Record<(typeof PLACEHOLDERS)[number], string> = {
    vm: values.vm,
    date: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`,
    time: `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`,
    timestamp: at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z'),
  };
  return template.replace(/\{([^{}]*)\}/g, (_, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new ConfigError(`unknown placeholder {${name}} in the export name "${template}"`, { hint: `use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}` });
    }
    return expansions[name as (typeof PLACEHOLDERS)[number]];
  });
}

/**
 * Checks a name template as the user wrote it: placeholders known, and a plain file name once
 * expanded. A path (`../x`, `a/b`) is refused, not flattened into `.._x`: the export would not be
 * where the user expects it.
 */
export function checkNameTemplate(template: string): void {
  const expanded = expandNameTemplate(template, { vm: 'vm', startedAt: new Date() }).trim();
  if (/[\\/]/.test(template)) {
    throw new ConfigError(`the export name "${template}" has a path separator in it`, {
      hint: 'give a plain file name with --name; the folder is --output DIR',
    });
  }
  if (/[\u0000-\u001f\u007f]/.test(template)) {
    throw new ConfigError(`the export name ${JSON.stringify(template)} has control characters in it`, { hint: 'give a plain file name with --name' });
  }
  if (expanded === '' || expanded === '.' || expanded === '..') {
    throw new ConfigError(`the export name "${template}" is not a file name`, {
      hint: 'give a name such as --name "{vm}-{date}", or leave --name out (the export is named after its VM)',
    });
  }
}
