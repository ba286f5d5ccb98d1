// `hyperexport report`: success rate, totals and a per-VM summary of the history.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, ExitCode, Option, withPlaceholder, t } from '@hyperexport/core';
import { REPORT_FORMATS, buildReport, formatFromFileName, renderReport } from '../report.ts';
import type { ReportFormat } from '../report.ts';
import { FilteredHistoryCommand } from './history-file-command.ts';

export class ReportCommand extends FilteredHistoryCommand {
  static override paths = [['report']];

  static override usage = Command.Usage({
    description: 'summarise the export history: success rate, totals, per-VM status',
    details: `
      Reads the history the history plugin records (see \`hyperexport history\`) and reports the
      number of exports, the success rate, the bytes read and stored, the average duration and
      throughput of successful exports, and for every VM its exports, successes, failures (failed or
      cancelled), last status and last success.

      Takes the same filters as \`history\`. Prints to stdout, or writes \`--output FILE\`: Markdown
      when FILE ends in \`.md\`, JSON when it ends in \`.json\`, text otherwise; \`--format\` overrides
      the choice (\`--json\` is short for \`--format json\`).
    `,
    examples: [
      ['Report on everything recorded', '$0 report'],
      ['A Markdown report of the last 30 days', '$0 report --since 30d --output backups-report.md'],
      ['JSON for a dashboard, failures only', '$0 report --status failed --format json'],
    ],
  });

  override json = Option.Boolean('--json', false, { description: 'Same as --format json' });
  output = withPlaceholder('FILE', Option.String('--output,-o', { description: 'Write the report to FILE (.md: Markdown, .json: JSON, else text)' }));
  format = withPlaceholder(
    'text|markdown|json',
    Option.String('--format', {
      description: "text, markdown or json (default: from --output's extension, else text)",
      validator: t.isEnum(REPORT_FORMATS as ReportFormat[]),
    }),
  );

  async run(): Promise<number> {
    const { entries } = await this.filteredEntries('report');
    const format: ReportFormat = this.format ?? (this.json ? 'json' : this.output ? formatFromFileName(this.output) : 'text');
    const text = renderReport(buildReport(entries, this.filterDescription()), format);
    if (!this.output) {
      this.context.stdout.write(text);
      return ExitCode.OK;
    }
    const target = resolve(this.output);
    await writeFile(target, text);
    this.context.stdout.write(`wrote a ${format} report of ${entries.length} export${entries.length === 1 ? '' : 's'} to ${target}\n`);
    return ExitCode.OK;
  }
}
