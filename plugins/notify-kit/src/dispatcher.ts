// Wires a notifier plugin to the exporter. Sending never delays the export: messages are
// started from event listeners and hook taps without being awaited there. The process must not
// exit with messages in flight, so each job's deliveries are tracked and awaited in the
// `release` hook (which runs last for every job, failed ones included), within a deadline. A
// notifier that fails warns; it never fails the export.
//
// Events used: bus `job:start` (started), bus `file:start`/`file:progress` (progress), the
// `checkSettings` hook (a URL no notifier handles, or a malformed one, is a usage error before
// anything connects), the `validate` hook (missing secrets are errors before any byte moves), the `notify`
// hook (completed/failed, with the JobResult) and the `jobEnd` and `release` hooks (wait for
// deliveries: jobEnd before the history records the job, release for check-only runs).
import { formatErrorWithHint } from '@hyperexport/core';
import { ConfigError } from '@hyperexport/core';
import type { Exporter, Job, JobSpec, SettingsCheck } from '@hyperexport/core';
import type { NotifyEventKind } from './event-selection.ts';
import { progressMessage, resultMessage, startedMessage } from './message.ts';
import type { NotifyMessage } from './message.ts';
import { describeNotifyUrl, notifySchemeOf, notifyUrlsOf } from './notify-url.ts';
import { ProgressThrottle } from './progress-throttle.ts';
import type { ProgressOptions } from './progress-throttle.ts';
import type { Redactor } from './redactor.ts';

/** One destination, ready to send (its secrets resolved). */
export interface Notifier {
  /** Names the destination without secrets, e.g. `slack (env:SLACK_WEBHOOK_URL)`. */
  readonly label: string;
  readonly events: ReadonlySet<NotifyEventKind>;
  readonly progress?: ProgressOptions | undefined;
  /** The longest one `send` may take, retries included (for the drain deadline). */
  readonly maxSendMs: number;
  /** Knows this destination's secrets; every message about it passes through. */
  readonly redactor: Redactor;
  /** Delivers one message; rejects when it could not (after its own retries). */
  send(message: NotifyMessage, signal: AbortSignal): Promise<void>;
}

export interface OpenContext {
  readonly env: NodeJS.ProcessEnv;
  /** Where the destination was configured: `config` or the URL without secrets. */
  readonly origin: string;
  /** A problem worth a warning in the checks, not an error (a short signing secret). */
  warn(message: string): void;
}

/** What a notifier plugin gives `attachNotifier`. `C` is its destination settings type. */
export interface NotifierSource<C> {
  /** The plugin's name: taps and warnings carry it. */
  readonly plugin: string;
  /** `--notify` URL schemes it handles (lower case). */
  readonly schemes: readonly string[];
  /** The destination the config file gives (the plugin's options), if any. */
  readonly configured?: C | undefined;
  /** Parses one `--notify` URL; throws a ConfigError (without secrets) when it is wrong. */
  parseUrl(url: string): C;
  /** Reads the secrets and returns a ready Notifier; throws a ConfigError when one is missing. */
  open(settings: C, context: OpenContext): Promise<Notifier>;
}

export interface AttachOptions {
  /** Extra time allowed, beyond the notifiers' own bounds, before pending messages are abandoned (default 5 s). */
  readonly drainMarginMs?: number | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** The job's `--notify` URLs; default: read from `spec.extra.notify` (for a notifier set up outside definePlugin's settings). */
  readonly urlsOf?: ((spec: JobSpec) => readonly string[]) | undefined;
}

/** A destination of one job, with its message queue. */
interface Lane {
  readonly notifier: Notifier;
  /** Messages to one destination go in order: `completed` never overtakes `started`. */
  chain: Promise<void>;
  inFlight: number;
  readonly throttle: ProgressThrottle;
}

interface Opened {
  readonly lanes: Lane[];
  readonly problems: string[];
  readonly warnings: string[];
}

/** The notify URL schemes some notifier of an exporter handles, to find URLs none handles. */
const handledSchemes = new WeakMap<Exporter, Set<string>>();
/** Usage checks in which the URLs no notifier handles were reported already (by the first notifier). */
const unhandledChecked = new WeakSet<SettingsCheck>();

/** Taps the exporter for one notifier plugin. Call it from the plugin's `setup`. */
export function attachNotifier<C>(exporter: Exporter, source: NotifierSource<C>, options: AttachOptions = {}): void {
  const jobs = new Map<string, JobNotifications>();
  let schemes = handledSchemes.get(exporter);
  if (!schemes) handledSchemes.set(exporter, (schemes = new Set()));
  for (const scheme of source.schemes) schemes.add(scheme);
  const handled = schemes;
  const env = options.env ?? process.env;
  const margin = options.drainMarginMs ?? 5_000;
  const urlsOf = options.urlsOf ?? ((spec: JobSpec) => notifyUrlsOf(spec.extra));

  const settingsOf = (spec: JobSpec): { origin: string; parse: () => C }[] => {
    const entries: { origin: string; parse: () => C }[] = [];
    if (source.configured !== undefined) entries.push({ origin: 'config', parse: () => source.configured as C });
    for (const url of urlsOf(spec)) {
      const scheme = notifySchemeOf(url);
      if (scheme !== undefined && source.schemes.includes(scheme)) entries.push({ origin: describeNotifyUrl(url), parse: () => source.parseUrl(url) });
    }
    return entries;
  };

  // Created at job:start, or in validate for check-only runs (which have no job:start).
  const contextOf = (jobId: string, spec: JobSpec, startedAt: Date): JobNotifications | undefined => {
    let context = jobs.get(jobId);
    if (context) return context;
    const entries = settingsOf(spec);
    if (entries.length === 0) return undefined;
    context = new JobNotifications(exporter, source.plugin, jobId, startedAt, openAll(source, entries, env), margin);
    jobs.set(jobId, context);
    return context;
  };

  exporter.bus.on('job:start', ({ jobId, spec }) => {
    const context = contextOf(jobId, spec, new Date());
    context?.dispatch(startedMessage(jobId, spec, context.startedAt));
  });
  exporter.bus.on('file:start', ({ jobId, name, kind, size }) => {
    if (kind === 'disk') jobs.get(jobId)?.fileStarted(name, size);
  });
  exporter.bus.on('file:progress', ({ jobId, name, bytes, total }) => {
    jobs.get(jobId)?.fileProgress(name, bytes, total);
  });

  // The usage check: every --notify URL handled by a loaded notifier and well formed (each
  // notifier parses its own), before anything connects; secrets are read later, in validate.
  exporter.hooks.checkSettings.tap(source.plugin, (spec, check) => {
    const urls = urlsOf(spec);
    if (!unhandledChecked.has(check)) {
      unhandledChecked.add(check);
      for (const url of urls.filter((candidate) => !handled.has(notifySchemeOf(candidate) ?? ''))) {
        check.problem(
          new ConfigError(`no notifier handles ${describeNotifyUrl(url)}; schemes handled: ${[...handled].sort().join(', ')}`, {
            hint: 'add the notify-* plugin for it to the config',
          }),
        );
      }
    }
    for (const url of urls) {
      const scheme = notifySchemeOf(url);
      if (scheme === undefined || !source.schemes.includes(scheme)) continue;
      try {
        source.parseUrl(url);
      } catch (error) {
        // Named by the URL without its secrets, like the problems found later in validate.
        if (error instanceof ConfigError)
          throw new ConfigError(`${describeNotifyUrl(url)}: ${error.message}`, { ...(error.hint === undefined ? {} : { hint: error.hint }), cause: error });
        throw error;
      }
    }
  });

  exporter.hooks.validate.tapPromise(source.plugin, async (job, report) => {
    const context = contextOf(job.id, job.spec, job.startedAt);
    if (!context) return;
    context.job = job;
    const opened = await context.opened;
    for (const problem of opened.problems) report.error('notify', problem, source.plugin);
    for (const warning of opened.warnings) report.warning('notify', warning, source.plugin);
  });

  exporter.hooks.notify.tap(source.plugin, (result, job) => {
    const context = jobs.get(job.id);
    if (!context) return;
    context.job = job;
    context.dispatch(resultMessage(result, job));
  });

  // Awaited before the job's end is recorded too (the history plugin taps jobEnd at the default
  // stage, after this one), so a notification that failed counts among the job's warnings there.
  exporter.hooks.jobEnd.tapPromise({ name: source.plugin, stage: -100 }, async (job) => {
    await jobs.get(job.id)?.drain();
  });

  exporter.hooks.release.tapPromise(source.plugin, async (job) => {
    const context = jobs.get(job.id);
    if (!context) return;
    context.job = job;
    try {
      await context.drain();
    } finally {
      jobs.delete(job.id);
    }
  });
}

async function openAll<C>(
  source: NotifierSource<C>,
  entries: { origin: string; parse: () => C }[],
  env: NodeJS.ProcessEnv,
): Promise<{ notifiers: Notifier[]; problems: string[]; warnings: string[] }> {
  const notifiers: Notifier[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  await Promise.all(
    entries.map(async ({ origin, parse }) => {
      try {
        notifiers.push(await source.open(parse(), { env, origin, warn: (message) => warnings.push(`${origin}: ${message}`) }));
      } catch (error) {
        problems.push(`${origin}: ${formatErrorWithHint(error)}`);
      }
    }),
  );
  return { notifiers, problems, warnings };
}

/** The notifications of one job: its destinations, its progress figures and what is in flight. */
class JobNotifications {
  readonly startedAt: Date;
  readonly opened: Promise<Opened>;
  job: Job | undefined;
  readonly #exporter: Exporter;
  readonly #plugin: string;
  readonly #jobId: string;
  readonly #pending = new Set<Promise<void>>();
  // Aborted when the drain deadline passes: whatever is still sending then is abandoned.
  readonly #abandon = new AbortController();
  readonly #margin: number;
  readonly #files = new Map<string, { bytes: number; total: number | undefined }>();
  #lanes: Lane[] = [];

  constructor(
    exporter: Exporter,
    plugin: string,
    jobId: string,
    startedAt: Date,
    opening: Promise<{ notifiers: Notifier[]; problems: string[]; warnings: string[] }>,
    margin: number,
  ) {
    this.#exporter = exporter;
    this.#plugin = plugin;
    this.#jobId = jobId;
    this.startedAt = startedAt;
    this.#margin = margin;
    this.opened = opening.then(({ notifiers, problems, warnings }) => {
      this.#lanes = notifiers.map((notifier) => ({
        notifier,
        chain: Promise.resolve(),
        inFlight: 0,
        throttle: new ProgressThrottle(notifier.progress, startedAt.getTime()),
      }));
      return { lanes: this.#lanes, problems, warnings };
    });
  }

  /** Sends `message` to every destination that wants its event, without waiting. */
  dispatch(message: NotifyMessage): void {
    this.#track(
      this.opened.then(({ lanes }) => {
        for (const lane of lanes) if (lane.notifier.events.has(message.event)) this.#enqueue(lane, message);
      }),
    );
  }

  fileStarted(name: string, size: number | undefined): void {
    this.#files.set(name, { bytes: 0, total: size });
  }

  fileProgress(name: string, bytes: number, total: number | undefined): void {
    const file = this.#files.get(name);
    if (!file) return;
    file.bytes = bytes;
    if (total !== undefined) file.total = total;
    const wanting = this.#lanes.filter((lane) => lane.notifier.events.has('progress') && lane.inFlight === 0);
    if (wanting.length === 0 || !this.job) return;
    const now = Date.now();
    const figures = this.#figures();
    for (const lane of wanting) {
      if (lane.throttle.due(now, figures.totalBytes ? (figures.bytesRead / figures.totalBytes) * 100 : undefined)) {
        this.#enqueue(lane, progressMessage(this.job, figures, now));
      }
    }
  }

  /** Waits for every message in flight, up to the longest time a delivery may take. */
  async drain(): Promise<void> {
    const { lanes } = await this.opened;
    // Two messages can be queued on a lane at the end (an earlier one and the final one).
    const deadline = 2 * Math.max(0, ...lanes.map((lane) => lane.notifier.maxSendMs)) + this.#margin;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), deadline);
    });
    try {
      for (;;) {
        const pending = [...this.#pending];
        if (pending.length === 0) return;
        const outcome = await Promise.race([Promise.allSettled(pending).then(() => 'settled' as const), expired]);
        if (outcome === 'expired') {
          const waiting = lanes.filter((lane) => lane.inFlight > 0).map((lane) => lane.notifier.label);
          this.#warn(
            `gave up waiting for notifications after ${Math.round(deadline / 1000)} s (${waiting.join(', ') || 'pending'}); the export itself is not affected`,
          );
          this.#abandon.abort(new Error('notification deadline passed'));
          return;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #figures(): { bytesRead: number; totalBytes: number | undefined } {
    let bytesRead = 0;
    let sum = 0;
    let known = true;
    for (const file of this.#files.values()) {
      bytesRead += file.bytes;
      if (file.total === undefined) known = false;
      else sum += file.total;
    }
    // The files not yet started are not in the map: the source's size, when it told one,
    // covers them (a local source knows every file's size before reading).
    const whole = this.job?.source?.committedBytes;
    const totalBytes = known ? Math.max(sum, whole ?? 0) : undefined;
    return { bytesRead, totalBytes: totalBytes && totalBytes > 0 ? totalBytes : undefined };
  }

  #enqueue(lane: Lane, message: NotifyMessage): void {
    lane.inFlight++;
    const run = lane.chain
      .then(() => this.#deliver(lane, message))
      .finally(() => {
        lane.inFlight--;
      });
    lane.chain = run;
    this.#track(run);
  }

  async #deliver(lane: Lane, message: NotifyMessage): Promise<void> {
    if (this.#abandon.signal.aborted) return;
    const { notifier } = lane;
    try {
      await notifier.send(message, this.#abandon.signal);
    } catch (error) {
      if (this.#abandon.signal.aborted) return;
      this.#warn(`the ${message.event} notification to ${notifier.label} was not delivered: ${formatErrorWithHint(error)}; the export itself is not affected`);
    }
  }

  #track(promise: Promise<void>): void {
    const tracked = promise.catch((error: unknown) => {
      this.#warn(`notification failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  // Every notifier's secrets are masked, whichever destination the message is about.
  #warn(text: string): void {
    const message = this.#lanes.reduce((out, lane) => lane.notifier.redactor.redact(out), text);
    if (this.job) this.job.warn(message, this.#plugin);
    else this.#exporter.bus.emit('warning', { jobId: this.#jobId, message, plugin: this.#plugin });
  }
}
