// Wording shared by every notifier, so a Slack message, an email and a Teams card say the same
// things: a title, a one-line summary and labelled facts. Renderers only escape and lay out.
import { formatBytes, formatDuration } from '@hyperexport/core';
import type { NotifyMessage } from './message.ts';

export interface Fact {
  readonly label: string;
  readonly value: string;
  /** Long or multi-line (destinations, the error): renderers give it a full row. */
  readonly wide?: boolean;
}

/** A status at a glance, for chat titles (email subjects stay plain). */
export const STATUS_ICON: Record<NotifyMessage['status'], string> = {
  started: '▶️',
  running: '⏳',
  succeeded: '✅',
  failed: '❌',
  cancelled: '⚠️',
};

const STATUS_WORD: Record<NotifyMessage['status'], string> = {
  started: 'started',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'FAILED',
  cancelled: 'cancelled',
};

/** "Export of web01 succeeded", "Export of web01 FAILED", "Export of web01: 50 %". */
export function messageTitle(message: NotifyMessage): string {
  if (message.status === 'running') {
    return `Export of ${message.vm}: ${message.percent === undefined ? formatBytes(message.bytesRead) : `${Math.floor(message.percent)} %`}`;
  }
  return `Export of ${message.vm} ${STATUS_WORD[message.status]}`;
}

/** One sentence: what happened, how much, how long, or why it failed. */
export function messageSummary(message: NotifyMessage): string {
  switch (message.status) {
    case 'started':
      return `HyperExport started exporting ${message.vm} as ${message.format.toUpperCase()} on ${message.host}.`;
    case 'running':
      return `${formatBytes(message.bytesRead)} read in ${formatDuration(message.durationMs)}${message.bytesPerSecond ? ` (${formatBytes(message.bytesPerSecond)}/s)` : ''}.`;
    case 'succeeded':
      return `${message.vm} was exported as ${message.format.toUpperCase()}: ${formatBytes(message.bytesRead)} read in ${formatDuration(message.durationMs)}${message.bytesPerSecond ? ` (${formatBytes(message.bytesPerSecond)}/s)` : ''}.`;
    case 'failed':
    case 'cancelled':
      return `The export of ${message.vm} ${message.status === 'failed' ? 'failed' : 'was cancelled'} after ${formatDuration(message.durationMs)}: ${message.error?.message ?? 'no reason given'}`;
  }
}

/** Labelled facts, in display order; empty ones are left out. */
export function messageFacts(message: NotifyMessage): Fact[] {
  const facts: Fact[] = [
    { label: 'VM', value: message.vm },
    { label: 'Status', value: message.status },
    { label: 'Host', value: message.host },
    { label: 'Format', value: message.format.toUpperCase() },
  ];
  if (message.percent !== undefined) facts.push({ label: 'Progress', value: `${message.percent.toFixed(1)} %` });
  if (message.status !== 'started') facts.push({ label: 'Duration', value: formatDuration(message.durationMs) });
  if (message.bytesRead > 0) facts.push({ label: 'Read', value: formatBytes(message.bytesRead) });
  if (message.storedBytes !== undefined)
    facts.push({ label: 'Stored', value: `${formatBytes(message.storedBytes)} in ${message.files.length} file${message.files.length === 1 ? '' : 's'}` });
  if (message.bytesPerSecond !== undefined) facts.push({ label: 'Throughput', value: `${formatBytes(message.bytesPerSecond)}/s` });
  if (message.locations.length > 0)
    facts.push({ label: message.locations.length === 1 ? 'Destination' : 'Destinations', value: message.locations.join('\n'), wide: true });
  if (message.error) {
    facts.push({ label: 'Error', value: message.error.message, wide: true });
    if (message.error.hint) facts.push({ label: 'Hint', value: message.error.hint, wide: true });
  }
  if (message.warnings.length > 0)
    facts.push({
      label: `Warnings (${message.warnings.length})`,
      value: message.warnings.slice(0, 5).join('\n') + (message.warnings.length > 5 ? `\n… and ${message.warnings.length - 5} more` : ''),
      wide: true,
    });
  if (message.tags.length > 0) facts.push({ label: 'Tags', value: message.tags.join(', ') });
  facts.push({ label: 'Job', value: message.jobId });
  return facts;
}

/** The whole message as plain text: title, summary, then `Label: value` lines. */
export function messageText(message: NotifyMessage): string {
  const lines = [messageTitle(message), '', messageSummary(message), ''];
  for (const fact of messageFacts(message)) {
    const [first = '', ...rest] = fact.value.split('\n');
    lines.push(`${fact.label}: ${first}`, ...rest.map((line) => `  ${line}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Clips text to a service's field limit, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
