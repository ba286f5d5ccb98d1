// What `hyperexport export` prints at the end: a result per job, a batch summary table, and
// the report of --validate-only. With --json each is one JSON line.
import type { BaseContext } from 'clipanion';
import type { JobResult, ValidationIssue } from '../model.ts';
import type { TargetProblem } from './export-targets.ts';
import { formatBytes, formatDuration } from './format.ts';

export function printResult(context: BaseContext, json: boolean, result: JobResult, origin?: string): void {
  if (json) {
    context.stdout.write(`${JSON.stringify({ type: 'result', ...(origin ? { origin } : {}), ...result })}\n`);
    return;
  }
  if (result.status !== 'succeeded') {
    const error = result.error;
    // Each thing once: "error: web01: export failed: [source-vsphere] ...", and without a VM name
    // "error: export failed: ..." (not "export: export failed"); a CancelledError's message
    // already starts with "export cancelled".
    const outcome = `export ${result.status}`;
    const message = error?.message ?? 'unknown error';
    const name = result.vmName ?? origin;
    context.stderr.write(`error: ${name ? `${name}: ` : ''}${message.startsWith(outcome) ? message : `${outcome}: ${message}`}\n`);
    if (error?.hint) context.stderr.write(`hint: ${error.hint}\n`);
    return;
  }
  const seconds = result.durationMs / 1000;
  const rate = seconds > 0 ? `${formatBytes(result.bytesRead / seconds)}/s` : '';
  context.stdout.write(`exported ${result.vmName ?? result.baseName} in ${formatDuration(result.durationMs)}${rate ? ` (${rate})` : ''}\n`);
  for (const location of result.locations) context.stdout.write(`  ${location}\n`);
  for (const file of result.files) context.stdout.write(`    ${file.name}  ${formatBytes(file.size)}  sha256:${file.sha256}\n`);
}

export function printBatchSummary(
  context: BaseContext,
  json: boolean,
  entries: ReadonlyArray<{ label: string; result: JobResult }>,
  problems: readonly TargetProblem[],
): void {
  const succeeded = entries.filter((entry) => entry.result.status === 'succeeded').length;
  if (json) {
    context.stdout.write(
      `${JSON.stringify({
        type: 'summary',
        total: entries.length,
        succeeded,
        failed: entries.length - succeeded,
        problems,
        results: entries.map(({ label, result }) => ({
          vm: label,
          status: result.status,
          bytes: result.files.reduce((sum, file) => sum + file.size, 0),
          durationMs: result.durationMs,
          error: result.error?.message,
        })),
      })}\n`,
    );
    return;
  }
  const rows = entries.map(({ label, result }) => [
    label,
    result.status,
    result.status === 'succeeded' ? formatBytes(result.files.reduce((sum, file) => sum + file.size, 0)) : '-',
    formatDuration(result.durationMs),
    // The STATUS column says "cancelled" already: the ERROR column gives only the reason.
    (result.error?.message.split('\n')[0] ?? '').replace(/^export (?:cancelled|failed): /, ''),
  ]);
  for (const problem of problems) rows.push([problem.origin, 'skipped', '-', '-', problem.message]);
  const header = ['VM', 'STATUS', 'SIZE', 'TIME', 'ERROR'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => Math.min(row[column]!.length, column === 4 ? 80 : 200))));
  context.stdout.write('\n');
  for (const row of [header, ...rows]) {
    context.stdout.write(
      `${row
        .map((cell, column) => (column === 4 ? cell.slice(0, 120) : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
  context.stdout.write(`\n${succeeded} of ${entries.length} exported${problems.length > 0 ? `, ${problems.length} line(s) skipped` : ''}\n`);
}

export function printValidation(context: BaseContext, json: boolean, label: string, issues: readonly ValidationIssue[]): void {
  const errors = issues.filter((issue) => issue.level === 'error');
  if (json) {
    context.stdout.write(`${JSON.stringify({ type: 'validation', vm: label, ok: errors.length === 0, issues })}\n`);
    return;
  }
  context.stdout.write(`${label}: ${errors.length === 0 ? 'ready to export' : `${errors.length} problem(s)`}\n`);
  for (const issue of issues) context.stdout.write(`  ${issue.level === 'error' ? 'error  ' : 'warning'} ${issue.check}: ${issue.message}\n`);
}
