// The checks before an export starts, so that an export that cannot succeed fails in a second
// instead of after hours of download: the output can be written, there is room for the export,
// the VM will not change under the export, and no existing export would be replaced by surprise.
// Nothing is created or changed while checking. The file system is reached through a probe so
// that tests can model a full disk or a read-only folder (which root does not see as read-only).
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { exportBaseName, formatBytes, pseudoFileSystemOf, TimeLimitError, withTimeLimit } from '@hyperexport/core';
import type { JobSpec, SourceInfo, ValidationIssue } from '@hyperexport/core';
import { errorIssue, errorMessage, warningIssue } from './issues.ts';

/** The file system calls the pre-checks make. */
export interface FileSystemProbe {
  stat(path: string): Promise<{ isDirectory(): boolean }>;
  access(path: string, mode: number): Promise<void>;
  statfs(path: string): Promise<{ bavail: number | bigint; bsize: number | bigint }>;
}

export const nodeFileSystem: FileSystemProbe = { stat, access, statfs };

/** The default share of the needed space that must be free on top of it. */
export const DEFAULT_FREE_SPACE_MARGIN = 0.1;

/** The path itself when it exists, else its nearest existing ancestor. */
export interface ExistingPath {
  readonly path: string;
  readonly isDirectory: boolean;
  /** True when `path` is the path asked about, false for an ancestor. */
  readonly isTarget: boolean;
}

export async function nearestExisting(path: string, fs: FileSystemProbe = nodeFileSystem): Promise<ExistingPath | undefined> {
  const target = resolve(path);
  for (let current = target; ; current = dirname(current)) {
    try {
      const stats = await fs.stat(current);
      return { path: current, isDirectory: stats.isDirectory(), isTarget: current === target };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a component above is a file; walking up finds it and says so.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      if (dirname(current) === current) return undefined;
    }
  }
}

/** How long one pre-check may take: each is a few stat calls, or one call to the server. */
export const PRE_CHECK_LIMIT_MS = 10_000;

/** Runs one pre-check within `limitMs`; one that takes longer becomes an error naming it. */
export async function boundedCheck(name: string, check: () => Promise<ValidationIssue[]>, limitMs = PRE_CHECK_LIMIT_MS): Promise<ValidationIssue[]> {
  try {
    return await withTimeLimit(`the ${name} pre-check`, limitMs, check);
  } catch (error) {
    if (!(error instanceof TimeLimitError)) throw error;
    return [errorIssue(name, `${error.message}: ${error.hint ?? ''}`.replace(/: $/, ''))];
  }
}

/** `output`: the output directory exists and is writable, or can be created, on a file system that keeps files. */
export async function checkOutput(output: string, fs: FileSystemProbe = nodeFileSystem): Promise<ValidationIssue[]> {
  const target = resolve(output);
  // Not under /proc, /sys or /dev (as root, creating it there would spin instead of failing).
  const pseudo = fs === nodeFileSystem ? await pseudoFileSystemOf(target).catch(() => undefined) : undefined;
  if (pseudo)
    return [
      errorIssue('output', `output directory ${target} is on ${pseudo.type}, a kernel pseudo file system that cannot hold an export: choose another --output`),
    ];
  let existing: ExistingPath | undefined;
  try {
    existing = await nearestExisting(target, fs);
  } catch (error) {
    return [errorIssue('output', `cannot check the output directory ${target} (${errorMessage(error)}): choose another --output or fix its permissions`)];
  }
  if (!existing) return [errorIssue('output', `output directory ${target} cannot be created: none of its parent folders exists; choose another --output`)];
  const writable = await canWrite(existing.path, fs);
  if (existing.isTarget) {
    if (!existing.isDirectory) return [errorIssue('output', `output directory ${target} is not a directory (it is a file): choose another --output`)];
    if (!writable) return [errorIssue('output', `output directory ${target} is not writable: choose another --output or fix its permissions`)];
    return [];
  }
  if (!existing.isDirectory) {
    return [errorIssue('output', `output directory ${target} cannot be created: ${existing.path} is a file, not a directory; choose another --output`)];
  }
  if (!writable) {
    return [
      errorIssue(
        'output',
        `output directory ${target} cannot be created: ${existing.path} is not writable; choose another --output or fix the permissions of ${existing.path}`,
      ),
    ];
  }
  return [];
}

async function canWrite(directory: string, fs: FileSystemProbe): Promise<boolean> {
  try {
    // Creating an entry in a directory needs write and search permission on it.
    await fs.access(directory, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `free-space`: the file system of the output has the VM's committed storage free, plus a margin.
 * Committed, not provisioned: a thin 2 TB disk holding 40 GB exports as about 40 GB (less once
 * the streamOptimized format compresses it).
 */
export async function checkFreeSpace(
  output: string,
  source: SourceInfo | undefined,
  margin = DEFAULT_FREE_SPACE_MARGIN,
  fs: FileSystemProbe = nodeFileSystem,
): Promise<ValidationIssue[]> {
  let existing: ExistingPath | undefined;
  try {
    existing = await nearestExisting(output, fs);
  } catch {
    existing = undefined;
  }
  // Without a folder to ask, the output check has already said what is wrong.
  if (!existing) return [];
  const committed = source?.committedBytes;
  if (committed === undefined) {
    return [
      warningIssue(
        'free-space',
        `could not check the free space at ${existing.path}: the source does not tell how much storage the VM uses; make sure the export fits there`,
      ),
    ];
  }
  let available: number;
  try {
    const stats = await fs.statfs(existing.path);
    available = Number(stats.bavail) * Number(stats.bsize);
  } catch (error) {
    return [warningIssue('free-space', `could not check the free space at ${existing.path} (${errorMessage(error)}); make sure the export fits there`)];
  }
  const needed = Math.round(committed * (1 + margin));
  if (available >= needed) return [];
  const marginText = margin > 0 ? ` plus a ${Math.round(margin * 100)}% margin` : '';
  return [
    errorIssue(
      'free-space',
      `not enough free space at ${existing.path}: the export needs up to ${formatBytes(needed)} (the ${formatBytes(committed)} the VM uses${marginText}) and ${formatBytes(available)} is free; free some space or choose another --output${margin > 0 ? " (or lower the validate plugin's freeSpaceMargin)" : ''}`,
    ),
  ];
}

/** `power-state`: a running VM is exported from a snapshot, or its disks change while they are read. */
export function checkPowerState(spec: JobSpec, source: SourceInfo | undefined, exportsFromSnapshot = false): ValidationIssue[] {
  if (source?.powerState !== 'poweredOn') return [];
  if (exportsFromSnapshot || isSet(spec.extra.snapshotBefore) || isSet(spec.extra.snapshot)) return [];
  const vm = source.path ?? source.name;
  return [errorIssue('power-state', `${vm} is powered on: power it off, or export from a snapshot (--snapshot-before, or --snapshot NAME)`)];
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== '';
}

/**
 * `existing-export`: `OUTPUT/NAME.ova` (or `OUTPUT/NAME/`) is not there already, unless
 * --overwrite. The name is only known when given or when the source described the VM.
 */
export async function checkExistingExport(spec: JobSpec, source: SourceInfo | undefined, fs: FileSystemProbe = nodeFileSystem): Promise<ValidationIssue[]> {
  if (spec.output === undefined || spec.overwrite) return [];
  const name = spec.name ?? source?.name;
  if (name === undefined) return [];
  let baseName: string;
  try {
    baseName = exportBaseName(name);
  } catch {
    // The run itself reports an unusable name, with the same words.
    return [];
  }
  const target = join(resolve(spec.output), spec.format === 'ova' ? `${baseName}.ova` : baseName);
  try {
    await fs.stat(target);
  } catch {
    return [];
  }
  return [errorIssue('existing-export', `an export already exists at ${target}: give --overwrite to replace it, or --name to write another`)];
}
