// `hyperexport report`: figures over a set of history entries, rendered as text, Markdown or JSON.
import { formatBytes, formatDuration } from '@hyperexport/core';
import type { JobStatus } from '@hyperexport/core';
import type { HistoryEntry } from './entry.ts';
import { formatPercent, formatRate, formatTime, renderMarkdownTable, renderTable } from './format.ts';

export type ReportFormat = 'text' | 'markdown' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'markdown', 'json'];

export interface VmSummary {
  readonly vm: string;
  readonly exports: number;
  readonly succeeded: number;
  /** Failed and cancelled exports. */
  readonly failures: number;
  readonly lastStatus: JobStatus;
  readonly lastFinishedAt: string;
  readonly lastSuccessAt: string | undefined;
}

export interface Report {
  readonly version: 1;
  readonly generatedAt: string;
  /** The filters the report was made with, as given. */
  readonly filters: Readonly<Record<string, string>>;
  /** First start and last finish of the exports covered. */
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly exports: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** succeeded / exports, 0..1; null when there were none. */
  readonly successRate: number | null;
  readonly bytesRead: number;
  readonly bytesStored: number;
  /** Over successful exports; null when there were none. */
  readonly averageDurationMs: number | null;
  /** Bytes read per second over the time successful exports took; null when unmeasured. */
  readonly averageBytesPerSecond: number | null;
  readonly vms: readonly VmSummary[];
}

/** The report of `entries` (oldest first, as read). */
export function buildReport(entries: readonly HistoryEntry[], filters: Record<string, string> = {}, now: Date = new Date()): Report {
  const count = (status: JobStatus) => entries.filter((entry) => entry.status === status).length;
  const successes = entries.filter((entry) => entry.status === 'succeeded');
  const successMs = successes.reduce((sum, entry) => sum + entry.durationMs, 0);
  const successBytes = successes.reduce((sum, entry) => sum + entry.bytesRead, 0);
  const byVm = new Map<string, HistoryEntry[]>();
  for (const entry of entries) {
    const list = byVm.get(entry.vm) ?? [];
    list.push(entry);
    byVm.set(entry.vm, list);
  }
  const vms = [...byVm.entries()]
    .map(([vm, list]): VmSummary => {
      const last = latest(list)!;
      const lastSuccess = latest(list.filter((entry) => entry.status === 'succeeded'));
      const succeeded = list.filter((entry) => entry.status === 'succeeded').length;
      return {
        vm,
        exports: list.length,
        succeeded,
        failures: list.length - succeeded,
        lastStatus: last.status,
        lastFinishedAt: last.finishedAt,
        lastSuccessAt: lastSuccess?.finishedAt,
      };
    })
    .sort((a, b) => a.vm.localeCompare(b.vm));
  const starts = entries.map((entry) => entry.startedAt).sort();
  const ends = entries.map((entry) => entry.finishedAt).sort();
  return {
    version: 1,
    generatedAt: now.toISOString(),
    filters,
    from: starts[0],
    to: ends.at(-1),
    exports: entries.length,
    succeeded: successes.length,
    failed: count('failed'),
    cancelled: count('cancelled'),
    successRate: entries.length === 0 ? null : successes.length / entries.length,
    bytesRead: entries.reduce((sum, entry) => sum + entry.bytesRead, 0),
    bytesStored: entries.reduce((sum, entry) => sum + entry.bytesStored, 0),
    averageDurationMs: successes.length === 0 ? null : Math.round(successMs / successes.length),
    averageBytesPerSecond: successMs > 0 && successBytes > 0 ? Math.round((successBytes * 1000) / successMs) : null,
    vms,
  };
}

function latest(entries: readonly HistoryEntry[]): HistoryEntry | undefined {
  let found: HistoryEntry | undefined;
  for (const entry of entries) if (!found || entry.finishedAt >= found.finishedAt) found = entry;
  return found;
}

/** `.md`/`.markdown` → markdown, `.json` → json, anything else → text. */
export function formatFromFileName(file: string): ReportFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.md') || lower.endsWith('.markdown')) return 'markdown';
  if (lower.endsWith('.json')) return 'json';
  return 'text';
}

export function renderReport(report: Report, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  return format === 'markdown' ? renderMarkdown(report) : renderText(report);
}

function summaryRows(report: Report): [string, string][] {
  const statuses = [`${report.succeeded} succeeded`, `${report.failed} failed`, ...(report.cancelled > 0 ? [`${report.cancelled} cancelled`] : [])];
  return [
    ['Period', report.from ? `${formatTime(report.from)} to ${formatTime(report.to)}` : '-'],
    ['Exports', `${report.exports} (${statuses.join(', ')})`],
    ['Success rate', report.exports === 0 ? '-' : `${formatPercent(report.succeeded, report.exports)} (${report.succeeded} of ${report.exports})`],
    ['Bytes stored', formatBytes(report.bytesStored)],
    ['Bytes read', formatBytes(report.bytesRead)],
    ['Average duration', report.averageDurationMs === null ? '-' : formatDuration(report.averageDurationMs)],
    ['Average throughput', report.averageBytesPerSecond === null ? '-' : formatRate(report.averageBytesPerSecond, 1000)],
  ];
}

const VM_HEADER = ['VM', 'EXPORTS', 'SUCCEEDED', 'FAILURES', 'LAST STATUS', 'LAST SUCCESS'];
const VM_NUMBERS = new Set([1, 2, 3]);

function vmRows(report: Report): string[][] {
  return report.vms.map((vm) => [
    vm.vm,
    String(vm.exports),
    String(vm.succeeded),
    String(vm.failures),
    vm.lastStatus,
    vm.lastSuccessAt ? formatTime(vm.lastSuccessAt) : 'never',
  ]);
}

function filterText(report: Report): string | undefined {
  const parts = Object.entries(report.filters).map(([name, value]) => `${name} ${value}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function renderText(report: Report): string {
  const lines = [`HyperExport report, ${formatTime(report.generatedAt)}`];
  const filters = filterText(report);
  if (filters) lines.push(`Filters: ${filters}`);
  lines.push('');
  const rows = summaryRows(report);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) lines.push(`${`${label}:`.padEnd(width + 1)}  ${value}`);
  if (report.vms.length > 0) lines.push('', renderTable(VM_HEADER, vmRows(report), VM_NUMBERS));
  return `${lines.join('\n')}\n`;
}

function renderMarkdown(report: Report): string {
  const lines = ['# HyperExport report', '', `Generated ${formatTime(report.generatedAt)}.`];
  const filters = filterText(report);
  if (filters) lines.push('', `Filters: ${filters}.`);
  lines.push('', '## Summary', '', renderMarkdownTable(['Metric', 'Value'], summaryRows(report)));
  lines.push('', '## Per VM', '');
  lines.push(report.vms.length > 0 ? renderMarkdownTable(VM_HEADER.map(titleCase), vmRows(report), VM_NUMBERS) : 'No exports.');
  return `${lines.join('\n')}\n`;
}

function titleCase(header: string): string {
  return header === 'VM' ? header : header.charAt(0) + header.slice(1).toLowerCase();
}
