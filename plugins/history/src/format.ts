// Terminal and Markdown rendering shared by `history` and `report`.
import { formatBytes } from '@hyperexport/core';

/** Local time as `2026-05-01 14:30:05`: sortable, and what an operator's clock says. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Bytes per second as `85.3 MiB/s`; `-` when nothing was measured. */
export function formatRate(bytes: number, durationMs: number): string {
  if (bytes <= 0 || durationMs <= 0) return '-';
  return `${formatBytes((bytes * 1000) / durationMs)}/s`;
}

/** `50%`, `66.7%`; `-` for no exports. */
export function formatPercent(part: number, whole: number): string {
  if (whole === 0) return '-';
  const percent = (part * 100) / whole;
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}

/** Columns padded to their widest cell, two spaces apart; `right` columns are right-aligned. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (right.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderMarkdownTable(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const escape = (cell: string) => cell.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const lines = [
    `| ${header.map(escape).join(' | ')} |`,
    `|${header.map((_, column) => (right.has(column) ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** Cuts a long text to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
