// The one description of a job event that every notifier renders in its own format (Slack
// blocks, a Discord embed, an Adaptive Card, an email, a webhook JSON): built from the job
// and, at the end, from its JobResult.
import { hostname } from 'node:os';
import type { ExportFormat, Job, JobResult, JobSpec, StoredFile } from '@hyperexport/core';
import { outcomeEvent } from './event-selection.ts';
import type { NotifyEventKind } from './event-selection.ts';

export type NotifyStatus = 'started' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface NotifyMessage {
  readonly event: NotifyEventKind;
  readonly status: NotifyStatus;
  readonly jobId: string;
  /** The VM's name, or what the user asked for when the job failed before it was known. */
  readonly vm: string;
  /**
   * What the job was asked to export (`--vm` inventory path or name, or `--source` path): the
   * same whether the job failed before the VM was found or succeeded, so it identifies the VM
   * across runs (PagerDuty's dedup_key).
   */
  readonly requested: string;
  /** The machine that runs the export. */
  readonly host: string;
  readonly format: ExportFormat;
  readonly baseName?: string | undefined;
  readonly startedAt: string;
  readonly finishedAt?: string | undefined;
  readonly durationMs: number;
  /** Bytes read from the source so far (progress) or in all. */
  readonly bytesRead: number;
  /** Bytes of every stored file (after compression or encryption), at the end. */
  readonly storedBytes?: number | undefined;
  /** Average read rate over the job so far. */
  readonly bytesPerSecond?: number | undefined;
  /** Progress messages: how far the export is, when its size is known. */
  readonly percent?: number | undefined;
  readonly files: readonly Pick<StoredFile, 'name' | 'kind' | 'size' | 'sha256'>[];
  /** Where the export was committed (file paths, storage URLs). */
  readonly locations: readonly string[];
  readonly error?:
    { readonly message: string; readonly hint?: string | undefined; readonly plugin?: string | undefined; readonly code?: string | undefined } | undefined;
  readonly warnings: readonly string[];
  readonly tags: readonly string[];
}

/** What a job is about before the source has named the VM. */
export function requestedVm(spec: JobSpec, known?: string): string {
  return known ?? spec.vm ?? spec.source ?? 'unknown VM';
}

/** What the job was asked to export, whether or not the VM was found (see NotifyMessage.requested). */
export function requestedTarget(spec: JobSpec, known?: string): string {
  return spec.vm ?? spec.source ?? known ?? 'unknown VM';
}

function tagsOf(spec: JobSpec): string[] {
  const tags = spec.extra.tags;
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

/** The message for a job that has just started (before its checks ran). */
export function startedMessage(jobId: string, spec: JobSpec, startedAt: Date): NotifyMessage {
  return {
    event: 'started',
    status: 'started',
    jobId,
    vm: requestedVm(spec),
    requested: requestedTarget(spec),
    host: hostname(),
    format: spec.format,
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    bytesRead: 0,
    files: [],
    locations: [],
    warnings: [],
    tags: tagsOf(spec),
  };
}

/** The message for a job under way: bytes read so far, and the percentage when the size is known. */
export function progressMessage(
  job: Pick<Job, 'id' | 'spec' | 'startedAt' | 'warnings'> & { source?: Job['source'] },
  progress: { bytesRead: number; totalBytes?: number | undefined },
  now: number = Date.now(),
): NotifyMessage {
  const durationMs = Math.max(0, now - job.startedAt.getTime());
  const percent = progress.totalBytes && progress.totalBytes > 0 ? Math.min(100, (progress.bytesRead / progress.totalBytes) * 100) : undefined;
  return {
    event: 'progress',
    status: 'running',
    jobId: job.id,
    vm: requestedVm(job.spec, job.source?.name),
    requested: requestedTarget(job.spec, job.source?.name),
    host: hostname(),
    format: job.spec.format,
    startedAt: job.startedAt.toISOString(),
    durationMs,
    bytesRead: progress.bytesRead,
    bytesPerSecond: rate(progress.bytesRead, durationMs),
    percent,
    files: [],
    locations: [],
    warnings: [...job.warnings],
    tags: tagsOf(job.spec),
  };
}

/** The message for a finished job, from its result. */
export function resultMessage(result: JobResult, job: Pick<Job, 'spec'>): NotifyMessage {
  return {
    event: outcomeEvent(result),
    status: result.status,
    jobId: result.id,
    vm: requestedVm(job.spec, result.vmName),
    requested: requestedTarget(job.spec, result.vmName),
    host: hostname(),
    format: result.format,
    baseName: result.baseName,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    durationMs: result.durationMs,
    bytesRead: result.bytesRead,
    storedBytes: result.files.length > 0 ? result.files.reduce((sum, file) => sum + file.size, 0) : undefined,
    bytesPerSecond: rate(result.bytesRead, result.durationMs),
    files: result.files.map(({ name, kind, size, sha256 }) => ({ name, kind, size, sha256 })),
    locations: [...result.locations],
    error: result.error ? { message: result.error.message, hint: result.error.hint, plugin: result.error.plugin, code: result.error.code } : undefined,
    warnings: [...result.warnings],
    tags: tagsOf(job.spec),
  };
}

function rate(bytes: number, durationMs: number): number | undefined {
  return durationMs > 0 && bytes > 0 ? Math.round(bytes / (durationMs / 1000)) : undefined;
}

/**
 * A filled-in message of each kind, to check a user's template when the config is validated
 * (every placeholder has a value, so a template that works here works for real messages).
 */
export function sampleMessages(): NotifyMessage[] {
  const base = {
    jobId: '00000000-0000-4000-8000-000000000000',
    vm: 'sample-vm "01"',
    requested: '/dc/vm/sample-vm "01"',
    host: 'backup-host',
    format: 'ova' as const,
    startedAt: '2026-01-01T00:00:00.000Z',
    files: [],
    locations: [],
    warnings: [],
    tags: [],
  };
  return [
    { ...base, event: 'started', status: 'started', durationMs: 0, bytesRead: 0 },
    { ...base, event: 'progress', status: 'running', durationMs: 1000, bytesRead: 1024, bytesPerSecond: 1024, percent: 50 },
    {
      ...base,
      event: 'completed',
      status: 'succeeded',
      baseName: 'sample-vm',
      finishedAt: '2026-01-01T00:01:00.000Z',
      durationMs: 60_000,
      bytesRead: 2048,
      storedBytes: 1024,
      bytesPerSecond: 34,
      files: [{ name: 'sample-vm.ova', kind: 'package', size: 1024, sha256: '0'.repeat(64) }],
      locations: ['/backups/sample-vm.ova'],
      tags: ['nightly'],
    },
    {
      ...base,
      event: 'failed',
      status: 'failed',
      finishedAt: '2026-01-01T00:01:00.000Z',
      durationMs: 60_000,
      bytesRead: 0,
      error: { message: 'disk "full" \\ <stop>', hint: 'free some space' },
      warnings: ['a warning'],
    },
  ];
}
