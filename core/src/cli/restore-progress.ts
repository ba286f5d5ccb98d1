// The progress of `restore` and `decrypt`, shown by the same reporter as an export's: the bytes
// read from each stored file become file events on a bus of their own, and the input's size on
// disk is the known total. With --json nothing is added to the output.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BaseContext } from 'clipanion';
import { EventBus } from '../events.ts';
import { attachReporter, chooseReporterMode } from './progress-reporter.ts';
import type { Reporter } from './progress-reporter.ts';

const JOB_ID = 'restore';

export interface RestoreProgress {
  /** The `onProgress` of restoreExport and restoreFile. */
  readonly onProgress: (name: string, bytes: number, total: number | undefined) => void;
  /** Ends the bars, so what follows starts on a line of its own. */
  readonly stop: Reporter;
}

export async function startRestoreProgress(context: BaseContext, json: boolean, input: string): Promise<RestoreProgress> {
  if (json)
    return { onProgress: () => undefined, stop: Object.assign(() => undefined, { print: (write: () => void) => write(), expectJobs: () => undefined }) };
  const bus = new EventBus();
  const reporter = attachReporter(bus, chooseReporterMode(false, false, context.stderr), context.stdout, context.stderr);
  bus.emit('job:start', { jobId: JOB_ID, spec: { source: input, format: 'ova', parallel: 1, overwrite: false, extra: {} } });
  bus.emit('stage:start', { jobId: JOB_ID, stage: 'write', expectedBytes: await storedBytes(input) });
  const startedAt = new Map<string, number>();
  return {
    onProgress: (name, bytes, total) => {
      const now = performance.now();
      if (!startedAt.has(name)) {
        startedAt.set(name, now);
        bus.emit('file:start', { jobId: JOB_ID, name, kind: 'disk', size: total });
      }
      const seconds = (now - startedAt.get(name)!) / 1000;
      bus.emit('file:progress', { jobId: JOB_ID, name, bytes, total, bytesPerSecond: seconds > 0 ? Math.round(bytes / seconds) : 0 });
    },
    stop: reporter,
  };
}

/** The bytes the restore reads: the stored file, or the files of an OVF folder; unknown for a record. */
async function storedBytes(input: string): Promise<number | undefined> {
  const info = await stat(input).catch(() => undefined);
  if (!info) return undefined;
  if (info.isFile()) return input.endsWith('.hyperexport.json') ? undefined : info.size;
  if (!info.isDirectory()) return undefined;
  let total = 0;
  for (const entry of await readdir(input, { withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(input, entry.name))).size;
  }
  return total;
}
