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
    timestamp: at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z'),
  };
  return template.replace(/\{([^{}]*)\}/g, (_, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new ConfigError(`unknown placeholder {${name}} in the export name "${template}"`, { hint: `use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}` });
    }
    return expansions[name as (typeof PLACEHOLDERS)[number]];
  });
}
