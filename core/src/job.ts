// One export job: its spec, its cancellation signal and the warnings it collected. Plugins get
// the Job in every hook; `job.signal` is aborted as soon as any part of the job fails.
import { randomUUID } from 'node:crypto';
import type { EventBus } from './events.ts';
import type { ExportDestination, ExportSink, JobSpec, SourceInfo, ValidationIssue } from './model.ts';

export class Job {
  readonly id: string;
  readonly spec: JobSpec;
  readonly bus: EventBus;
  readonly startedAt = new Date();
  readonly warnings: string[] = [];
  /**
   * The export's identity: this job's id, or, when the job continues an interrupted export (its
   * checkpoint), the id of the job that began it, so every file of one export carries the same.
   * It is the record's `jobId`, what encrypt-aes binds into each file, and what retention spares.
   */
  exportId: string;
  /**
   * Where the export was stored: the storage URLs (with the options to open them) of the places
   * that hold it, each a root below which exports are listed (a folder, a bucket prefix), not the
   * export's own path. Each store plugin adds its own once the export is committed there and
   * removes it when it removes that copy; retention rotates the exports at each.
   */
  readonly destinations: ExportDestination[] = [];
  /** Per-job state that plugins share by key (e.g. the snapshot a plugin made). */
  readonly state = new Map<string, unknown>();
  /** What the inspect hook learnt about the VM, for the checks; undefined if no source knew. */
  source: SourceInfo | undefined;
  /**
   * Set (in inspect) by a plugin that will export a snapshot rather than the live disks, so the
   * checks know a running VM is fine.
   */
  exportsFromSnapshot = false;
  /**
   * Set (in transform) by a plugin that will read the stored files back through their stages'
   * reverse after the export (validate): the core then also hashes each transformed file's bytes
   * before its transforms (WrittenExport.transformed), one SHA-256 pass it otherwise saves.
   */
  checksPlainContent = false;
  readonly #controller = new AbortController();

  constructor(spec: JobSpec, bus: EventBus, parentSignal?: AbortSignal) {
    this.id = randomUUID();
    this.exportId = this.id;
    this.spec = Object.freeze({ ...spec, extra: Object.freeze({ ...spec.extra }) });
    this.bus = bus;
    if (parentSignal) {
      if (parentSignal.aborted) this.#controller.abort(parentSignal.reason);
      else parentSignal.addEventListener('abort', () => this.#controller.abort(parentSignal.reason), { once: true });
    }
  }

  /** Labels the user gave the export (`--tag`, repeatable), kept in its record for retention's keepTag. */
  get tags(): string[] {
    const tags = this.spec.extra.tags;
    return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
  }

  /** Aborted when the job fails anywhere or is cancelled; every stage must honour it. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Cancels the rest of the job. The first reason wins. */
  abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  warn(message: string, plugin?: string): void {
    this.warnings.push(plugin ? `[${plugin}] ${message}` : message);
    this.bus.emit('warning', { jobId: this.id, message, plugin });
  }

  info(message: string, plugin?: string): void {
    this.bus.emit('info', { jobId: this.id, message, plugin });
  }
}

/** Collects validation issues; the validate hook's taps add to it in parallel. */
export class ValidationReport {
  readonly issues: ValidationIssue[] = [];

  error(check: string, message: string, plugin?: string): void {
    this.issues.push({ level: 'error', check, message, plugin });
  }

  warning(check: string, message: string, plugin?: string): void {
    this.issues.push({ level: 'warning', check, message, plugin });
  }

  get errors(): ValidationIssue[] {
    return this.issues.filter((issue) => issue.level === 'error');
  }
}

/** The store hook's argument: plugins add the sinks the export is written to. */
export class StoreTargets {
  readonly sinks: ExportSink[] = [];

  add(sink: ExportSink): void {
    this.sinks.push(sink);
  }
}
