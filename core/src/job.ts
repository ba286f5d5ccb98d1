// One export job: its spec, its cancellation signal and the warnings it collected. Plugins get
// the Job in every hook; `job.signal` is aborted as soon as any part of the job fails.
import { randomUUID } from 'node:crypto';
import type { EventBus } from './events.ts';
import type { ExportSink, JobSpec, PlannedSnapshot, SourceInfo, ValidationIssue } from './model.ts';

let fixExportIdOf: (job: Job, exportId: string) => void;
let setPlannedSnapshotOf: (job: Job, planned: PlannedSnapshot | undefined) => void;

/** Fixes the export id of `job`, once (core only: not exported to plugins). */
export function fixExportId(job: Job, exportId: string): void {
  fixExportIdOf(job, exportId);
}

/** Keeps what the planSnapshot hook returned (core only: not exported to plugins). */
export function setPlannedSnapshot(job: Job, planned: PlannedSnapshot | undefined): void {
  setPlannedSnapshotOf(job, planned);
}

export class Job {
  readonly id: string;
  readonly spec: JobSpec;
  readonly bus: EventBus;
  readonly startedAt = new Date();
  readonly warnings: string[] = [];
  /** Per-job state that a plugin shares between its own hooks by key (a session it opened). */
  readonly state = new Map<string, unknown>();
  /** What the inspect hook learnt about the VM, for the checks; undefined if no source knew. */
  source: SourceInfo | undefined;
  /**
   * Set (in transform) by a plugin that will read the stored files back through their stages'
   * reverse after the export (validate): the core then also hashes each transformed file's bytes
   * before its transforms (WrittenExport.transformed), one SHA-256 pass it otherwise saves.
   */
  checksPlainContent = false;
  #exportId: string | undefined;
  #plannedSnapshot: PlannedSnapshot | undefined;
  readonly #controller = new AbortController();

  /**
   * `options.exportId` fixes the export id at creation (a job that is known to continue another
   * export); without it, the core fixes it when the write begins.
   */
  constructor(spec: JobSpec, bus: EventBus, parentSignal?: AbortSignal, options: { readonly exportId?: string } = {}) {
    this.id = randomUUID();
    this.#exportId = options.exportId;
    this.spec = Object.freeze({ ...spec, extra: Object.freeze({ ...spec.extra }) });
    this.bus = bus;
    if (parentSignal) {
      if (parentSignal.aborted) this.#controller.abort(parentSignal.reason);
      else parentSignal.addEventListener('abort', () => this.#controller.abort(parentSignal.reason), { once: true });
    }
  }

  /**
   * The export's identity: this job's id, or, when the job continues an interrupted export (its
   * checkpoint), the id of the job that began it, so every file of one export carries the same.
   * It is the record's `jobId`, what encrypt-aes binds into each file, and what retention spares.
   * Fixed once by the core when the write begins (after the checkpoint is read) and never changed;
   * reading it before then is a bug in the reader, so it throws.
   */
  get exportId(): string {
    if (this.#exportId === undefined) {
      throw new Error('job.exportId was read before the export began: it is fixed when the write begins (from the checkpoint or the job id)');
    }
    return this.#exportId;
  }

  /**
   * The snapshot the export will read, as the planSnapshot hook returned it; undefined when it
   * reads the live disks.
   */
  get plannedSnapshot(): PlannedSnapshot | undefined {
    return this.#plannedSnapshot;
  }

  /** True when the export will read a snapshot rather than the live disks (planSnapshot). */
  get exportsFromSnapshot(): boolean {
    return this.#plannedSnapshot !== undefined;
  }

  static {
    // Only the core fixes these, once each (see fixExportId, planSnapshotOf); plugins read them.
    fixExportIdOf = (job, exportId) => {
      if (job.#exportId !== undefined) throw new Error(`the export id of job ${job.id} is already fixed (${job.#exportId})`);
      job.#exportId = exportId;
    };
    setPlannedSnapshotOf = (job, planned) => {
      job.#plannedSnapshot = planned;
    };
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
