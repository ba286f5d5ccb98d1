// Shows a job's events: NDJSON on stdout with --json, progress bars on a terminal, and lines at a
// steady interval otherwise (logs, CI), as restic does when it has no terminal. Observers only:
// nothing here can change or fail the export. The figures come from progress-model.ts.
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { ConfigError } from '../errors.ts';
import type { EventBus, ExportEventName, ExportEvents } from '../events.ts';
import { formatBytes } from './format.ts';
import { FileProgress, JobProgress, RateMeter, formatClock, secondsLeft } from './progress-model.ts';
import type { Total } from './progress-model.ts';

export type ReporterMode = 'json' | 'tty' | 'lines' | 'quiet';

/** Seconds between two progress lines when stderr is not a terminal, unless the variable says otherwise. */
const DEFAULT_LINE_INTERVAL_MS = 10_000;
export const PROGRESS_INTERVAL_VARIABLE = 'HYPEREXPORT_PROGRESS_INTERVAL';
/** How often bars recompute throughput and time left between events. */
const BAR_REFRESH_MS = 500;

export function chooseReporterMode(json: boolean, quiet: boolean, stderr: Writable): ReporterMode {
  if (json) return 'json';
  if (quiet) return 'quiet';
  return (stderr as Writable & { isTTY?: boolean }).isTTY ? 'tty' : 'lines';
}

/**
 * Attached to a bus. Calling it detaches and stops the bars (idempotent), so the next output
 * starts on a line of its own.
 */
export interface Reporter {
  (): void;
  /** Writes a result while bars may be running (a batch): above them, never into one. */
  print(write: () => void): void;
  /** A batch of `count` VMs: adds the batch's overall line. */
  expectJobs(count: number): void;
}

/** The interval of progress lines without a terminal: HYPEREXPORT_PROGRESS_INTERVAL (`30`, `2.5s`, `500ms`), default 10 s. */
export function progressLineInterval(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PROGRESS_INTERVAL_VARIABLE]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_LINE_INTERVAL_MS;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/i.exec(raw);
  const ms = match ? Number(match[1]) * (match[2]?.toLowerCase() === 'ms' ? 1 : 1000) : Number.NaN;
  if (!(ms >= 10)) {
    throw new ConfigError(`${PROGRESS_INTERVAL_VARIABLE}=${raw} is not an interval of at least 10 ms`, {
      hint: `give seconds (${PROGRESS_INTERVAL_VARIABLE}=30, =2.5s) or milliseconds (=500ms), or unset it for the default of 10 s`,
    });
  }
  return ms;
}

/** Attaches to the bus; the returned Reporter detaches and stops any bars. */
export function attachReporter(bus: EventBus, mode: ReporterMode, stdout: Writable, stderr: Writable): Reporter {
  if (mode === 'json') {
    return plainReporter(
      bus.onAny((event, payload) => {
        stdout.write(`${JSON.stringify({ type: event, time: new Date().toISOString(), ...payload })}\n`);
      }),
    );
  }
  if (mode === 'quiet') {
    return plainReporter(
      bus.onAny((event, payload) => {
        if (event === 'warning') stderr.write(`warning: ${(payload as { message: string }).message}\n`);
      }),
    );
  }
  const intervalMs = mode === 'lines' ? progressLineInterval() : 0;
  const tracker = new ProgressTracker();
  const view = mode === 'tty' ? new BarView(tracker, stderr) : new LineView(tracker, stderr, intervalMs);
  const detach = bus.onAny((event, payload) => {
    tracker.apply(event, payload);
    view.onEvent(event, payload);
  });
  let stopped = false;
  const reporter = (() => {
    if (stopped) return;
    stopped = true;
    detach();
    view.stop();
  }) as Reporter;
  reporter.print = (write) => (stopped ? write() : view.print(write));
  reporter.expectJobs = (count) => {
    tracker.expectedJobs = count;
  };
  return reporter;
}

function plainReporter(detach: () => void): Reporter {
  const reporter = (() => detach()) as Reporter;
  reporter.print = (write) => write();
  reporter.expectJobs = () => undefined;
  return reporter;
}

/** The state of every job, kept from the events. */
class ProgressTracker {
  readonly jobs = new Map<string, JobProgress>();
  readonly batchRate = new RateMeter();
  expectedJobs: number | undefined;
  finishedJobs = 0;
  /** Bytes of the jobs that ended, for the batch's total. */
  finishedBytes = 0;

  apply(event: ExportEventName, payload: ExportEvents[ExportEventName]): void {
    const now = performance.now();
    switch (event) {
      case 'job:start': {
        const { jobId, spec } = payload as ExportEvents['job:start'];
        this.jobs.set(jobId, new JobProgress(jobId, spec, now));
        break;
      }
      case 'stage:start': {
        const { jobId, stage, expectedBytes, estimated } = payload as ExportEvents['stage:start'];
        const job = this.jobs.get(jobId);
        if (!job) break;
        job.stage = stage;
        if (stage === 'write' && expectedBytes !== undefined) job.expected = { bytes: expectedBytes, estimated: estimated === true };
        break;
      }
      case 'file:start': {
        const { jobId, name, kind, size, estimatedSize } = payload as ExportEvents['file:start'];
        this.jobs.get(jobId)?.startFile(new FileProgress(name, kind, size, estimatedSize));
        break;
      }
      case 'file:progress': {
        const { jobId, name, bytes, total, estimatedTotal } = payload as ExportEvents['file:progress'];
        const job = this.jobs.get(jobId);
        job?.files.get(name)?.progress(bytes, total, estimatedTotal);
        job?.sample(now);
        break;
      }
      case 'file:end': {
        const { jobId, name, kind, size } = payload as ExportEvents['file:end'];
        const job = this.jobs.get(jobId);
        if (!job) break;
        // A file an interrupted run already wrote ends without having started.
        if (!job.files.has(name)) job.startFile(new FileProgress(name, kind, size, undefined));
        job.files.get(name)!.end(size);
        job.sample(now);
        break;
      }
      case 'job:end': {
        const { jobId, result } = payload as ExportEvents['job:end'];
        const job = this.jobs.get(jobId);
        if (!job) break;
        job.done = true;
        if (result.vmName) job.label = result.vmName;
        this.finishedJobs += 1;
        this.finishedBytes += job.bytes;
        break;
      }
      default:
        break;
    }
    this.batchRate.add(now, this.batchBytes);
  }

  get batchBytes(): number {
    let bytes = this.finishedBytes;
    for (const job of this.jobs.values()) if (!job.done) bytes += job.bytes;
    return bytes;
  }

  /** Between events too: a transfer that stalls shows its throughput falling, not the last one. */
  sampleActive(): void {
    const now = performance.now();
    for (const job of this.active()) job.sample(now);
    this.batchRate.add(now, this.batchBytes);
  }

  /** Jobs whose data is moving or about to. */
  active(): JobProgress[] {
    return [...this.jobs.values()].filter((job) => !job.done && (job.stage === 'write' || job.files.size > 0));
  }
}

/** The parts of cli-progress's MultiBar that its typings leave out: enough to write above the bars. */
interface MultiBarInternals {
  readonly isActive: boolean;
  readonly terminal: { cursorRelativeReset(): void; clearBottom(): void };
  update(): void;
}

interface View {
  onEvent(event: ExportEventName, payload: ExportEvents[ExportEventName]): void;
  print(write: () => void): void;
  stop(): void;
}

// ---------------------------------------------------------------------------------------------
// Wording shared by bars and lines.

function formatTotal(total: Total): string {
  return `${total.estimated ? '~' : ''}${formatBytes(total.bytes)}`;
}

function formatPercent(bytes: number, total: Total | undefined): string {
  if (!total || total.bytes <= 0) return '';
  return `${total.estimated ? '~' : ''}${Math.min(100, Math.floor((bytes / total.bytes) * 100))}%`;
}

/** `48.0 MiB of ~96.0 MiB (~50%), 12.3 MiB/s, ETA ~0:04`: what is known, nothing made up. */
function describeAmount(bytes: number, total: Total | undefined, bytesPerSecond: number, separator: string, withPercent = false): string {
  const parts = [total ? `${formatBytes(bytes)} of ${formatTotal(total)}${withPercent ? ` (${formatPercent(bytes, total)})` : ''}` : formatBytes(bytes)];
  if (bytesPerSecond > 0) parts.push(`${formatBytes(bytesPerSecond)}/s`);
  const left = secondsLeft(bytes, total, bytesPerSecond);
  if (left !== undefined && total && bytes < total.bytes) parts.push(`ETA ${total.estimated ? '~' : ''}${formatClock(left)}`);
  return parts.join(separator);
}

function describeBatch(tracker: ProgressTracker, separator: string): string {
  const started = tracker.jobs.size;
  const parts = [`${tracker.finishedJobs} of ${tracker.expectedJobs ?? started} VMs done`, formatBytes(tracker.batchBytes)];
  const rate = tracker.batchRate.bytesPerSecond;
  if (rate > 0) parts.push(`${formatBytes(rate)}/s`);
  return parts.join(separator);
}

// ---------------------------------------------------------------------------------------------
// A terminal: one bar for the batch, one per VM, one per file under it.

class BarView implements View {
  readonly #tracker: ProgressTracker;
  readonly #stderr: Writable;
  readonly #bars: cliProgress.MultiBar;
  #batchBar: cliProgress.SingleBar | undefined;
  readonly #jobBars = new Map<string, cliProgress.SingleBar>();
  readonly #fileBars = new Map<string, Map<string, cliProgress.SingleBar>>();
  readonly #timer: NodeJS.Timeout;

  constructor(tracker: ProgressTracker, stderr: Writable) {
    this.#tracker = tracker;
    this.#stderr = stderr;
    this.#bars = new cliProgress.MultiBar(
      {
        stream: stderr as NodeJS.WritableStream,
        format: ' {bar} {text}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        barsize: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#timer = setInterval(() => this.#refresh(), BAR_REFRESH_MS).unref();
  }

  onEvent(event: ExportEventName, payload: ExportEvents[ExportEventName]): void {
    switch (event) {
      case 'stage:start': {
        const { jobId, stage } = payload as ExportEvents['stage:start'];
        if (stage === 'write') this.#jobBar(jobId);
        break;
      }
      case 'file:start':
      case 'file:end': {
        const { jobId, name, kind } = payload as ExportEvents['file:start'];
        // The record is a few hundred bytes written after everything else: not worth a bar.
        if (kind !== 'record') this.#fileBar(jobId, name);
        break;
      }
      case 'job:end': {
        const { jobId } = payload as ExportEvents['job:end'];
        // In a batch the VM's result line replaces its bars; alone, they stay to the end.
        if (this.#tracker.expectedJobs !== undefined) this.#removeJob(jobId);
        break;
      }
      case 'warning': {
        const { message, plugin } = payload as ExportEvents['warning'];
        this.print(() => this.#write(`warning: ${plugin ? `[${plugin}] ` : ''}${message}\n`));
        break;
      }
      case 'info':
        this.print(() => this.#write(`${(payload as ExportEvents['info']).message}\n`));
        break;
      default:
        break;
    }
    this.#refresh();
  }

  print(write: () => void): void {
    const bars = this.#bars as unknown as MultiBarInternals;
    if (!bars.isActive) {
      write();
      return;
    }
    // Up to the first bar line, clear the bars, write; the redraw puts them below.
    bars.terminal.cursorRelativeReset();
    bars.terminal.clearBottom();
    write();
    bars.update();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#refresh();
    if ((this.#bars as unknown as MultiBarInternals).isActive) this.#bars.stop();
  }

  #write(text: string): void {
    this.#stderr.write(text);
  }

  #jobBar(jobId: string): cliProgress.SingleBar {
    if (this.#tracker.expectedJobs !== undefined && !this.#batchBar) this.#batchBar = this.#bars.create(1, 0, { text: '' });
    let bar = this.#jobBars.get(jobId);
    if (!bar) this.#jobBars.set(jobId, (bar = this.#bars.create(1, 0, { text: '' })));
    return bar;
  }

  #fileBar(jobId: string, name: string): void {
    this.#jobBar(jobId);
    let files = this.#fileBars.get(jobId);
    if (!files) this.#fileBars.set(jobId, (files = new Map()));
    if (!files.has(name)) files.set(name, this.#bars.create(1, 0, { text: '' }));
  }

  #removeJob(jobId: string): void {
    for (const bar of this.#fileBars.get(jobId)?.values() ?? []) this.#bars.remove(bar);
    const bar = this.#jobBars.get(jobId);
    if (bar) this.#bars.remove(bar);
    this.#fileBars.delete(jobId);
    this.#jobBars.delete(jobId);
  }

  #refresh(): void {
    const tracker = this.#tracker;
    tracker.sampleActive();
    if (this.#batchBar && tracker.expectedJobs) {
      this.#batchBar.setTotal(tracker.expectedJobs);
      this.#batchBar.update(tracker.finishedJobs, { text: `batch | ${describeBatch(tracker, ' | ')}` });
    }
    for (const [jobId, bar] of this.#jobBars) {
      const job = tracker.jobs.get(jobId);
      if (!job) continue;
      const total = job.total;
      setBar(bar, job.bytes, total, `${job.label} ${formatPercent(job.bytes, total)} | ${describeAmount(job.bytes, total, job.rate.bytesPerSecond, ' | ')}`);
      for (const [name, fileBar] of this.#fileBars.get(jobId) ?? []) {
        const file = job.files.get(name);
        if (!file) continue;
        setBar(fileBar, file.bytes, file.total, `  ${name} ${formatPercent(file.bytes, file.total)} | ${describeAmount(file.bytes, file.total, 0, ' | ')}`);
      }
    }
  }
}

function setBar(bar: cliProgress.SingleBar, bytes: number, total: Total | undefined, text: string): void {
  // Unknown total: an empty bar, the bytes in the text (never a bar at 100% of what came so far).
  const of = Math.max(1, total?.bytes ?? 1);
  bar.setTotal(of);
  bar.update(total ? Math.min(bytes, of) : 0, { text });
}

// ---------------------------------------------------------------------------------------------
// No terminal (a log, CI, a pipe): a line per file started and ended, and every interval a line
// per VM under way (and one for the batch), like restic's non-interactive status.

class LineView implements View {
  readonly #tracker: ProgressTracker;
  readonly #stderr: Writable;
  readonly #timer: NodeJS.Timeout;
  readonly #startedAt = performance.now();

  constructor(tracker: ProgressTracker, stderr: Writable, intervalMs: number) {
    this.#tracker = tracker;
    this.#stderr = stderr;
    this.#timer = setInterval(() => this.#status(), intervalMs).unref();
  }

  onEvent(event: ExportEventName, payload: ExportEvents[ExportEventName]): void {
    switch (event) {
      case 'file:start': {
        const { name, size, estimatedSize } = payload as ExportEvents['file:start'];
        const known = size !== undefined ? formatBytes(size) : estimatedSize !== undefined ? `~${formatBytes(estimatedSize)}, estimated` : undefined;
        this.#stderr.write(`writing ${name}${known === undefined ? '' : ` (${known})`}\n`);
        break;
      }
      case 'file:end': {
        const { name, size, sha256 } = payload as ExportEvents['file:end'];
        this.#stderr.write(`  ${name}: ${formatBytes(size)} sha256 ${sha256}\n`);
        break;
      }
      case 'warning': {
        const { message, plugin } = payload as ExportEvents['warning'];
        this.#stderr.write(`warning: ${plugin ? `[${plugin}] ` : ''}${message}\n`);
        break;
      }
      case 'info':
        this.#stderr.write(`${(payload as ExportEvents['info']).message}\n`);
        break;
      default:
        break;
    }
  }

  print(write: () => void): void {
    write();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #status(): void {
    const clock = `[${formatClock((performance.now() - this.#startedAt) / 1000)}]`;
    this.#tracker.sampleActive();
    const active = this.#tracker.active();
    if (this.#tracker.expectedJobs !== undefined) this.#stderr.write(`${clock} batch: ${describeBatch(this.#tracker, ', ')}\n`);
    for (const job of active) {
      const files = [...job.files.values()];
      const running = files.filter((file) => !file.done).length;
      const detail = running > 0 ? ` (${running} file${running === 1 ? '' : 's'} in progress)` : '';
      this.#stderr.write(`${clock} ${job.label}: ${describeAmount(job.bytes, job.total, job.rate.bytesPerSecond, ', ', true)}${detail}\n`);
    }
  }
}
