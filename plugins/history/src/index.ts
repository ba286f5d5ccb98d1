// history: records every export (succeeded, failed or cancelled) as one line of a JSON Lines
// file, and adds the `hyperexport history`, `hyperexport report` and `hyperexport history clear`
// commands that read it.
import { definePlugin, t } from '@hyperexport/core';
import { ClearHistoryCommand } from './commands/clear-history-command.ts';
import { HistoryCommand } from './commands/history-command.ts';
import { PLUGIN_NAME } from './commands/history-file-command.ts';
import { ReportCommand } from './commands/report-command.ts';
import { entryFromResult } from './entry.ts';
import { resolveHistoryPath } from './history-path.ts';
import { DEFAULT_KEEP, HistoryStore } from './history-store.ts';

export { HistoryStore, readHistory, DEFAULT_KEEP } from './history-store.ts';
export type { HistoryRead, HistoryStoreOptions } from './history-store.ts';
export { entryFromResult, parseLine, HISTORY_VERSION } from './entry.ts';
export type { HistoryEntry, HistoryFile } from './entry.ts';
export { resolveHistoryPath, defaultHistoryPath, HISTORY_ENV } from './history-path.ts';
export { applyFilter, matchesFilter, parseWhen } from './filters.ts';
export type { HistoryFilter } from './filters.ts';
export { buildReport, renderReport } from './report.ts';
export type { Report, ReportFormat, VmSummary } from './report.ts';
export { redact } from './redact.ts';
export { HistoryCommand, ReportCommand, ClearHistoryCommand };

export interface HistoryOptions {
  /** The history file; default $HYPEREXPORT_HISTORY, else ~/.hyperexport/history.jsonl. */
  path?: string;
  /** Entries kept; the oldest are dropped beyond it (default 1000). */
  keep?: number;
}

/** `history`, `report`, `history clear`: registered when the plugin is loaded. */
export const commands = [HistoryCommand, ReportCommand, ClearHistoryCommand];

export default definePlugin<HistoryOptions>({
  name: PLUGIN_NAME,
  commands,
  version: '0.1.0',
  description: 'records every export in a JSON Lines history (hyperexport history, hyperexport report)',
  provides: ['history'],
  options: t.isObject({
    path: t.isOptional(t.isString()),
    keep: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)])),
  }),
  setup(exporter, options) {
    const store = new HistoryStore(resolveHistoryPath(options?.path), { keep: options?.keep ?? DEFAULT_KEEP });
    // jobEnd runs for every job, whatever its outcome; a failure to record only warns (the core
    // turns a jobEnd error into a warning), it never changes the export's result.
    exporter.hooks.jobEnd.tapPromise(PLUGIN_NAME, async (job, result) => {
      await store.append(entryFromResult(result, job.spec));
    });
  },
});
