// One line of the history file: what happened to one export. The shape is versioned; readers
// skip lines they cannot use and rewrites keep entries of a newer version untouched.
import type { JobResult, JobSpec, JobStatus } from '@hyperexport/core';
import { redact } from './redact.ts';

export const HISTORY_VERSION = 1;

export const JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface HistoryFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

export interface HistoryEntry {
  readonly version: 1;
  /** The job id. */
  readonly id: string;
  /** The VM name, else the export's base name, else what the command line named. */
  readonly vm: string;
  readonly status: JobStatus;
  readonly format: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly bytesRead: number;
  /** Sum of the stored files' sizes (0 when nothing was published). */
  readonly bytesStored: number;
  readonly files: readonly HistoryFile[];
  /** Where the export was committed, credentials redacted. */
  readonly locations: readonly string[];
  /** The failure, its message redacted. */
  readonly error?: { readonly message: string; readonly code?: string; readonly plugin?: string };
  /** How many warnings the job raised. */
  readonly warnings: number;
}

/** The history entry of a finished job. */
export function entryFromResult(result: JobResult, spec?: Pick<JobSpec, 'vm' | 'source' | 'name'>): HistoryEntry {
  const files = result.files.map((file) => ({ name: file.name, size: file.size, sha256: file.sha256 }));
  const entry: HistoryEntry = {
    version: HISTORY_VERSION,
    id: result.id,
    vm: redact(result.vmName ?? result.baseName ?? nameFromSpec(spec) ?? 'unknown'),
    status: result.status,
    format: result.format,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    durationMs: result.durationMs,
    bytesRead: result.bytesRead,
    bytesStored: files.reduce((sum, file) => sum + file.size, 0),
    files,
    locations: result.locations.map(redact),
    warnings: result.warnings.length,
  };
  if (!result.error) return entry;
  const error: { message: string; code?: string; plugin?: string } = { message: redact(result.error.message) };
  if (result.error.code) error.code = result.error.code;
  if (result.error.plugin) error.plugin = result.error.plugin;
  return { ...entry, error };
}

// A job that failed before its source opened has no VM name: use what the user asked for, so the
// failure is grouped with that VM's other exports (`/DC/vm/web01` and `./vms/web01.ova` → web01).
function nameFromSpec(spec: Pick<JobSpec, 'vm' | 'source' | 'name'> | undefined): string | undefined {
  if (!spec) return undefined;
  if (spec.name) return spec.name;
  const named = spec.vm ?? spec.source;
  if (!named) return undefined;
  const last =
    named
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  return last.replace(/\.(ova|ovf|vmx)$/i, '') || undefined;
}

/** What a line of the history file turned out to be. */
export type ParsedLine =
  | { readonly kind: 'entry'; readonly entry: HistoryEntry }
  /** Valid JSON of a newer version: not shown, but kept by rewrites. */
  | { readonly kind: 'newer' }
  | { readonly kind: 'corrupt' };

export function parseLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'corrupt' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'corrupt' };
  const record = value as Record<string, unknown>;
  if (typeof record.version === 'number' && record.version > HISTORY_VERSION && typeof record.id === 'string') return { kind: 'newer' };
  return isHistoryEntry(record) ? { kind: 'entry', entry: record } : { kind: 'corrupt' };
}

function isHistoryEntry(record: Record<string, unknown>): record is HistoryEntry & Record<string, unknown> {
  const isCount = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
  return (
    record.version === HISTORY_VERSION &&
    typeof record.id === 'string' &&
    typeof record.vm === 'string' &&
    JOB_STATUSES.includes(record.status as JobStatus) &&
    typeof record.format === 'string' &&
    typeof record.startedAt === 'string' &&
    !Number.isNaN(Date.parse(record.startedAt)) &&
    typeof record.finishedAt === 'string' &&
    !Number.isNaN(Date.parse(record.finishedAt)) &&
    isCount(record.durationMs) &&
    isCount(record.bytesRead) &&
    isCount(record.bytesStored) &&
    Array.isArray(record.files) &&
    Array.isArray(record.locations) &&
    isCount(record.warnings) &&
    (record.error === undefined ||
      (typeof record.error === 'object' && record.error !== null && typeof (record.error as { message?: unknown }).message === 'string'))
  );
}
