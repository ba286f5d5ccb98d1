// `{{name}}` placeholders in user templates (an email subject, a webhook's JSON body). Names are
// checked when the config is validated, so a typo fails before the export, not in a message.
import { formatBytes, formatDuration, ConfigError } from '@hyperexport/core';
import { messageSummary, messageText, messageTitle } from './message-format.ts';
import type { NotifyMessage } from './message.ts';

/** Every placeholder and what it holds (the README lists the same). */
export const TEMPLATE_PLACEHOLDERS = {
  event: 'started, progress, completed or failed',
  status: 'started, running, succeeded, failed or cancelled',
  vm: 'the VM name',
  host: 'the machine running the export',
  jobId: 'the job id',
  format: 'ova or ovf',
  baseName: 'the export name',
  startedAt: 'ISO 8601 start time',
  finishedAt: 'ISO 8601 end time (empty before the end)',
  durationMs: 'milliseconds so far',
  duration: 'human duration, e.g. 3 min 2 s',
  bytesRead: 'bytes read from the source',
  read: 'human size read, e.g. 1.2 GiB',
  storedBytes: 'bytes stored (empty before the end)',
  stored: 'human size stored',
  throughput: 'human read rate, e.g. 95.3 MiB/s',
  percent: 'progress percentage (empty when unknown)',
  locations: 'destinations, comma-separated',
  error: 'the error message (empty on success)',
  hint: 'what to do about the error',
  warnings: 'warnings, separated by "; "',
  tags: 'tags, comma-separated',
  title: 'e.g. Export of web01 succeeded',
  summary: 'one sentence about the outcome',
  text: 'the whole message as plain text',
  message: 'the whole message as a JSON object (JSON templates, outside quotes)',
} as const;

export type TemplatePlaceholder = keyof typeof TEMPLATE_PLACEHOLDERS;

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/**
 * Whether `name` is a placeholder. An own property, not `in`: `{{toString}}` or
 * `{{constructor}}` would otherwise pass, inherited from Object.prototype, and render a function.
 */
function isPlaceholder(name: string): name is TemplatePlaceholder {
  return Object.hasOwn(TEMPLATE_PLACEHOLDERS, name);
}

/** The placeholder names `template` uses that do not exist. */
export function unknownPlaceholders(template: string): string[] {
  const unknown = new Set<string>();
  for (const [, name = ''] of template.matchAll(PLACEHOLDER)) if (!isPlaceholder(name)) unknown.add(name);
  return [...unknown];
}

/** Throws a ConfigError when `template` uses an unknown placeholder. `what` names the option. */
export function checkTemplate(template: string, what: string): void {
  const unknown = unknownPlaceholders(template);
  if (unknown.length > 0) {
    throw new ConfigError(`${what} uses unknown placeholder${unknown.length === 1 ? '' : 's'} ${unknown.map((name) => `{{${name}}}`).join(', ')}`, {
      hint: `available: ${Object.keys(TEMPLATE_PLACEHOLDERS)
        .map((name) => `{{${name}}}`)
        .join(' ')}`,
    });
  }
}

/** The value of every placeholder for `message`, as text. */
export function templateValues(message: NotifyMessage): Record<TemplatePlaceholder, string> {
  return {
    event: message.event,
    status: message.status,
    vm: message.vm,
    host: message.host,
    jobId: message.jobId,
    format: message.format,
    baseName: message.baseName ?? '',
    startedAt: message.startedAt,
    finishedAt: message.finishedAt ?? '',
    durationMs: String(message.durationMs),
    duration: formatDuration(message.durationMs),
    bytesRead: String(message.bytesRead),
    read: formatBytes(message.bytesRead),
    storedBytes: message.storedBytes === undefined ? '' : String(message.storedBytes),
    stored: message.storedBytes === undefined ? '' : formatBytes(message.storedBytes),
    throughput: message.bytesPerSecond === undefined ? '' : `${formatBytes(message.bytesPerSecond)}/s`,
    percent: message.percent === undefined ? '' : message.percent.toFixed(1),
    locations: message.locations.join(', '),
    error: message.error?.message ?? '',
    hint: message.error?.hint ?? '',
    warnings: message.warnings.join('; '),
    tags: message.tags.join(', '),
    title: messageTitle(message),
    summary: messageSummary(message),
    text: messageText(message),
    message: JSON.stringify(message),
  };
}

// Placeholders whose value is a number in a JSON template (outside quotes); empty means null.
const NUMERIC: ReadonlySet<TemplatePlaceholder> = new Set(['durationMs', 'bytesRead', 'storedBytes', 'percent']);

/**
 * Fills a JSON template. Inside a string literal (`"Export of {{vm}}"`) a value is escaped as
 * string content; outside (`"vm": {{vm}}`, `"bytes": {{bytesRead}}`) it becomes a JSON value of
 * its own: a quoted string, a number, `null` when empty, or for {{message}} the whole object. So
 * no value can break the document, whatever characters it holds.
 */
export function fillJsonTemplate(template: string, message: NotifyMessage): string {
  const values = templateValues(message);
  let out = '';
  let inString = false;
  for (let index = 0; index < template.length;) {
    const char = template[index]!;
    if (char === '{' && template[index + 1] === '{') {
      const match = /^\{\{\s*([A-Za-z]+)\s*\}\}/.exec(template.slice(index, index + 40));
      const name = match?.[1];
      if (match && name !== undefined && isPlaceholder(name)) {
        out += inString ? jsonStringContent(values[name]) : jsonValue(name, values, message);
        index += match[0].length;
        continue;
      }
    }
    if (inString && char === '\\') {
      out += template.slice(index, index + 2);
      index += 2;
      continue;
    }
    if (char === '"') inString = !inString;
    out += char;
    index += 1;
  }
  return out;
}

function jsonValue(name: TemplatePlaceholder, values: Record<TemplatePlaceholder, string>, message: NotifyMessage): string {
  if (name === 'message') return JSON.stringify(message);
  const value = values[name];
  if (NUMERIC.has(name)) return value === '' ? 'null' : value;
  return JSON.stringify(value);
}

/**
 * Fills `template`; each value passes through `escape` (JSON string escaping for a JSON body,
 * nothing for a subject line). Unknown placeholders are left as they are (checkTemplate reports them).
 */
export function fillTemplate(template: string, message: NotifyMessage, escape: (value: string) => string = (value) => value): string {
  const values = templateValues(message);
  return template.replace(PLACEHOLDER, (whole, name: string) => (isPlaceholder(name) ? escape(values[name]) : whole));
}

/** Escapes a value for the inside of a JSON string literal ("…{{vm}}…"). */
export function jsonStringContent(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
