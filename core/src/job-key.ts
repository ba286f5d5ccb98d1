// Which export job a run is, so that a run after a crash finds the staging folder and checkpoint
// of the run it continues. A rendered name cannot tell: `{time}`, `{date}` and `{timestamp}`
// differ between the run that crashed and the one that continues it. The job is what decides
// the export's content: the source (the VM, or the local files), and the settings that decide
// its bytes and its name pattern (format, name template, stages that change bytes). The output
// folder is not in the key: the key names a folder inside it. See docs/checkpoint.md.
import { createHash, randomBytes } from 'node:crypto';
import type { ExportFormat, JobKey } from './model.ts';

export interface JobKeyParts {
  /** The source's identity (ExportSource.identity); undefined when the source cannot be continued. */
  readonly identity: string | undefined;
  /** Names the source when it has no identity: its kind and VM name. */
  readonly kind: string;
  readonly vmName: string;
  readonly format: ExportFormat;
  /** The name as given, before `{…}` were expanded. */
  readonly nameTemplate: string;
  /** Names of the stages that change bytes, in order. */
  readonly stages: readonly string[];
}

export function exportJobKey(parts: JobKeyParts): JobKey {
  const source = digest(parts.identity === undefined ? ['no identity', parts.kind, parts.vmName] : ['identity', parts.identity]);
  // A source without an identity is never continued: each run is its own job (and a dead run's
  // folder is swept by the next export of the same VM, as a superseded one).
  const settings = parts.identity === undefined ? randomBytes(8).toString('hex') : digest([parts.format, parts.nameTemplate, ...parts.stages]);
  return { source, settings };
}

/** 64 bits of SHA-256 over the parts (JSON, so no two lists of parts encode alike). */
function digest(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
