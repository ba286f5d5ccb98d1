// What the history commands share: finding the history file the exports write to, reading it
// with a warning for skipped lines, and the filter options.
import { BaseCommand, Option, withPlaceholder, t } from '@hyperexport/core';
import type { JobStatus } from '@hyperexport/core';
import { JOB_STATUSES } from '../entry.ts';
import type { HistoryEntry } from '../entry.ts';
import { applyFilter, parseWhen } from '../filters.ts';
import type { HistoryFilter } from '../filters.ts';
import { resolveHistoryPath } from '../history-path.ts';
import { readHistory } from '../history-store.ts';
import type { HistoryRead } from '../history-store.ts';

export const PLUGIN_NAME = 'history';

export abstract class HistoryFileCommand extends BaseCommand {
  historyFile = withPlaceholder(
    'FILE',
    Option.String('--history', {
      description: "History file to use (default: the history plugin's `path`, $HYPEREXPORT_HISTORY, or ~/.hyperexport/history.jsonl)",
    }),
  );

  /** `--history`, else the `path` of the configured history plugin, else the environment or default. */
  protected async historyPath(command: string): Promise<string> {
    if (this.historyFile) return resolveHistoryPath(this.historyFile);
    const loaded = await this.loadConfigFile(command);
    const configured = loaded.plugins.find((plugin) => plugin.definition.name === PLUGIN_NAME);
    const options = (configured?.rawOptions ?? {}) as { path?: unknown };
    return resolveHistoryPath(typeof options.path === 'string' ? options.path : undefined);
  }

  /** Reads the file; skipped lines become a warning on stderr. */
  protected async readWithWarnings(path: string): Promise<HistoryRead> {
    const read = await readHistory(path);
    if (read.corrupt > 0) {
      const shown = read.corruptLines.slice(0, 10).join(', ');
      const more = read.corruptLines.length > 10 ? ', ...' : '';
      this.context.stderr.write(
        `warning: ${path}: skipped ${read.corrupt} corrupt line${read.corrupt === 1 ? '' : 's'} (line${read.corrupt === 1 ? '' : 's'} ${shown}${more}); they are dropped the next time the file is trimmed\n`,
      );
    }
    if (read.newer > 0) {
      this.context.stderr.write(`warning: ${path}: skipped ${read.newer} entr${read.newer === 1 ? 'y' : 'ies'} written by a newer version of HyperExport\n`);
    }
    return read;
  }
}

export abstract class FilteredHistoryCommand extends HistoryFileCommand {
  vm = withPlaceholder('NAME', Option.String('--vm', { description: 'Only VMs whose name contains NAME (any case); `=NAME` for exactly NAME' }));
  status = withPlaceholder(
    'STATUS',
    Option.String('--status', {
      description: 'Only exports that succeeded, failed or were cancelled',
      validator: t.isEnum(JOB_STATUSES as JobStatus[]),
    }),
  );
  since = withPlaceholder(
    'DATE',
    Option.String('--since', { description: 'Only exports started at or after DATE: an ISO date/time or an age such as 7d, 12h, 30m' }),
  );
  until = withPlaceholder(
    'DATE',
    Option.String('--until', { description: 'Only exports started before DATE (a bare date includes that day): ISO date/time or an age' }),
  );

  protected filter(now: Date = new Date()): HistoryFilter {
    return {
      vm: this.vm,
      status: this.status,
      since: this.since === undefined ? undefined : parseWhen(this.since, '--since', now),
      until: this.until === undefined ? undefined : parseWhen(this.until, '--until', now),
    };
  }

  /** The filters as given on the command line, for a report's header. */
  protected filterDescription(): Record<string, string> {
    const given: Record<string, string> = {};
    if (this.vm !== undefined) given.vm = this.vm;
    if (this.status !== undefined) given.status = this.status;
    if (this.since !== undefined) given.since = this.since;
    if (this.until !== undefined) given.until = this.until;
    return given;
  }

  protected async filteredEntries(command: string): Promise<{ path: string; read: HistoryRead; entries: HistoryEntry[] }> {
    const filter = this.filter();
    const path = await this.historyPath(command);
    const read = await this.readWithWarnings(path);
    return { path, read, entries: applyFilter(read.entries, filter) };
  }
}
