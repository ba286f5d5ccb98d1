// What the progress display knows about running exports, built from the bus events only: per
// file, per VM (job) and per batch, bytes so far, the real or estimated total, the recent
// throughput and the time left. The display (progress-reporter.ts) only renders this.
import type { ArtifactKind, JobSpec } from '../model.ts';

/** How far back the throughput looks: long enough to smooth bursts, short enough to follow changes. */
const RATE_WINDOW_MS = 10_000;

/** A total in bytes: exact, or the source's estimate (shown with a `~`). */
export interface Total {
  readonly bytes: number;
  readonly estimated: boolean;
}

/** Throughput over the last RATE_WINDOW_MS, from samples of a growing byte count. */
export class RateMeter {
  readonly #samples: Array<{ at: number; bytes: number }> = [];

  add(at: number, bytes: number): void {
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && at - this.#samples[1]!.at >= RATE_WINDOW_MS) this.#samples.shift();
  }

  /** Bytes per second; 0 until two samples are some time apart. */
  get bytesPerSecond(): number {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.at - first.at < 200) return 0;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.at - first.at));
  }
}

export class FileProgress {
  bytes = 0;
  done = false;
  /** The total when the file started (the estimate then, for a stream of unknown length). */
  readonly initial: Total | undefined;
  #total: Total | undefined;

  readonly name: string;
  readonly kind: ArtifactKind;

  constructor(name: string, kind: ArtifactKind, size: number | undefined, estimatedSize: number | undefined) {
    this.name = name;
    this.kind = kind;
    this.#total = totalOf(size, estimatedSize);
    this.initial = this.#total;
  }

  get total(): Total | undefined {
    return this.#total;
  }

  progress(bytes: number, total: number | undefined, estimatedTotal: number | undefined): void {
    this.bytes = bytes;
    this.#total = totalOf(total, estimatedTotal) ?? this.#total;
  }

  end(size: number): void {
    this.bytes = size;
    this.#total = { bytes: size, estimated: false };
    this.done = true;
  }
}

export class JobProgress {
  readonly files = new Map<string, FileProgress>();
  readonly rate = new RateMeter();
  readonly startedAt: number;
  /** What the write stage expects to read from the source (its `stage:start`). */
  expected: Total | undefined;
  stage = '';
  /** The VM's name once a file shows it, else what the user gave. */
  label: string;
  done = false;
  /** Files of the write stage (not the record, not conversions after it): what the VM bar counts. */
  readonly #written = new Set<string>();

  readonly id: string;

  constructor(id: string, spec: JobSpec, now: number) {
    this.id = id;
    this.startedAt = now;
    const given = spec.vm ?? spec.source ?? id;
    this.label = given.split(/[\\/]/).filter(Boolean).at(-1) ?? given;
  }

  startFile(file: FileProgress): void {
    this.files.set(file.name, file);
    if (this.stage === 'write') this.#written.add(file.name);
  }

  /**
   * The VM bar counts the disks as read from the source; an OVA made from files that can be read
   * twice (a local source) shows no disk on its own, so there the package is the measure.
   */
  #measured(): FileProgress[] {
    const written = [...this.#written].map((name) => this.files.get(name)!);
    const disks = written.filter((file) => file.kind === 'disk');
    return disks.length > 0 ? disks : written.filter((file) => file.kind === 'package');
  }

  get bytes(): number {
    return this.#measured().reduce((sum, file) => sum + file.bytes, 0);
  }

  /** The VM's total: the files under way as they now stand, plus what is expected of the rest. */
  get total(): Total | undefined {
    const measured = this.#measured();
    if (measured.some((file) => file.kind === 'package')) return measured[0]!.total;
    let bytes = 0;
    let estimated = false;
    let startedInitially = 0;
    for (const file of measured) {
      const total = file.total;
      if (!total) return undefined;
      bytes += total.bytes;
      estimated ||= total.estimated;
      startedInitially += file.initial?.bytes ?? total.bytes;
    }
    if (this.expected) {
      const rest = Math.max(0, this.expected.bytes - startedInitially);
      bytes += rest;
      if (rest > 0) estimated ||= this.expected.estimated;
    } else if (measured.length === 0) {
      return undefined;
    }
    return { bytes: Math.max(bytes, this.bytes), estimated };
  }

  sample(now: number): void {
    this.rate.add(now, this.bytes);
  }
}

/** Seconds left at the current throughput, when both are known. */
export function secondsLeft(bytes: number, total: Total | undefined, bytesPerSecond: number): number | undefined {
  if (!total || bytesPerSecond <= 0) return undefined;
  return Math.max(0, (total.bytes - bytes) / bytesPerSecond);
}

/** `0:42`, `12:03`, `1:02:03`: the form restic and rsync print. */
export function formatClock(seconds: number): string {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

function totalOf(exact: number | undefined, estimate: number | undefined): Total | undefined {
  if (exact !== undefined) return { bytes: exact, estimated: false };
  if (estimate !== undefined) return { bytes: estimate, estimated: true };
  return undefined;
}
