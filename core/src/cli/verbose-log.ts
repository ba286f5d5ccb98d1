// What `-v/--verbose` adds to an export's output: each stage as it starts and ends (with its
// duration, or why it failed) and every file's SHA-256 as it is written (retries are warnings,
// shown either way). Written through the reporter, so the lines land above progress bars, never inside one.
import type { Writable } from 'node:stream';
import type { EventBus, ExportEvents } from '../events.ts';
import { formatBytes, formatDuration } from './format.ts';
import type { Reporter } from './progress-reporter.ts';

export interface VerboseLogOptions {
  /** Print each file's digest (the line view without a terminal prints them already). */
  readonly digests: boolean;
}

/** Attaches to the bus; the returned function detaches. */
export function attachVerboseLog(bus: EventBus, reporter: Reporter, stderr: Writable, options: VerboseLogOptions): () => void {
  const labels = new Map<string, string>();
  const say = (jobId: string, text: string) => {
    const label = labels.get(jobId);
    reporter.print(() => stderr.write(`${label ? `${label}: ` : ''}${text}\n`));
  };
  const onJobStart = ({ jobId, spec }: ExportEvents['job:start']) => {
    labels.set(jobId, spec.vm ?? spec.source ?? jobId);
  };
  const onStageStart = ({ jobId, stage }: ExportEvents['stage:start']) => say(jobId, `stage ${stage} started`);
  const onStageEnd = ({ jobId, stage, durationMs, error }: ExportEvents['stage:end']) =>
    say(
      jobId,
      error === undefined ? `stage ${stage} done in ${formatDuration(durationMs)}` : `stage ${stage} failed after ${formatDuration(durationMs)}: ${error}`,
    );
  const onFileEnd = ({ jobId, name, size, sha256 }: ExportEvents['file:end']) => say(jobId, `wrote ${name}: ${formatBytes(size)} sha256 ${sha256}`);
  bus.on('job:start', onJobStart);
  bus.on('stage:start', onStageStart);
  bus.on('stage:end', onStageEnd);
  if (options.digests) bus.on('file:end', onFileEnd);
  return () => {
    bus.off('job:start', onJobStart);
    bus.off('stage:start', onStageStart);
    bus.off('stage:end', onStageEnd);
    bus.off('file:end', onFileEnd);
  };
}
