// `hyperexport history`: the last exports, newest last, as a table or NDJSON.
import { Command, ExitCode, Option, withPlaceholder, formatBytes, formatDuration, t } from '@hyperexport/core';
import type { HistoryEntry } from '../entry.ts';
import { formatRate, formatTime, renderTable, truncate } from '../format.ts';
import { FilteredHistoryCommand } from './history-file-command.ts';

export class HistoryCommand extends FilteredHistoryCommand {
  static override paths = [['history']];

  static override usage = Command.Usage({
    description: 'show the exports that ran, succeeded, failed or were cancelled',
    details: `
      Every export is recorded by the history plugin (built in) when it ends, in a JSON Lines file:
      the plugin's \`path\` option, else $HYPEREXPORT_HISTORY, else ~/.hyperexport/history.jsonl.

      Shows the last 20 exports (\`--last N\`, or \`--all\`) that match the filters, oldest first, with
      their start time, VM, status, size stored, duration and throughput. \`--vm\` matches part of
      the VM name in any case (\`--vm =NAME\` matches exactly). \`--since\` and \`--until\` take an ISO
      date or date-time, or an age such as \`7d\`, \`12h\` or \`30m\`.

      \`--json\` prints the entries as they are stored, one JSON object per line. Lines of the file
      that cannot be read are skipped with a warning on stderr.
    `,
    examples: [
      ['The last 20 exports', '$0 history'],
      ['Failed exports of the last week', '$0 history --status failed --since 7d'],
      ['Every export of web01 in May 2026, as NDJSON', '$0 history --vm =web01 --since 2026-05-01 --until 2026-05-31 --all --json'],
      ['Read another history file', '$0 history --history /srv/backup/history.jsonl'],
    ],
  });

  override json = Option.Boolean('--json', false, { description: 'Print the entries as NDJSON, one stored entry per line' });
  last = withPlaceholder(
    'N',
    Option.String('--last,-n', {
      description: 'How many of the latest matching exports to show (default 20)',
      validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
    }),
  );
  all = Option.Boolean('--all', false, { description: 'Show every matching export' });

  async run(): Promise<number> {
    const { path, read, entries } = await this.filteredEntries('history');
    const shown = this.all ? entries : entries.slice(-(this.last ?? 20));
    if (this.json) {
      for (const entry of shown) this.context.stdout.write(`${JSON.stringify(entry)}\n`);
      return ExitCode.OK;
    }
    if (shown.length === 0) {
      const why = !read.exists ? 'no history yet' : read.entries.length === 0 ? 'the history is empty' : 'no export matches';
      this.context.stdout.write(`${why} (${path})\n`);
      return ExitCode.OK;
    }
    this.context.stdout.write(`${renderHistoryTable(shown)}\n`);
    if (shown.length < entries.length) {
      this.context.stdout.write(`(${shown.length} of ${entries.length} matching exports; --last N or --all for more)\n`);
    }
    return ExitCode.OK;
  }
}

export function renderHistoryTable(entries: readonly HistoryEntry[]): string {
  const withErrors = entries.some((entry) => entry.error);
  const header = ['TIME', 'VM', 'STATUS', 'SIZE', 'DURATION', 'THROUGHPUT', ...(withErrors ? ['ERROR'] : [])];
  const rows = entries.map((entry) => [
    formatTime(entry.startedAt),
    entry.vm,
    entry.status,
    entry.status === 'succeeded' || entry.bytesStored > 0 ? formatBytes(entry.bytesStored) : '-',
    formatDuration(entry.durationMs),
    formatRate(entry.bytesRead, entry.durationMs),
    ...(withErrors ? [entry.error ? truncate(entry.error.message, 80) : ''] : []),
  ]);
  return renderTable(header, rows, new Set([3, 4, 5]));
}
