// The Exporter owns the lifecycle hooks. They are declared once here, typed, and sealed after
// the plugins are set up: adding a tap recompiles a tapable hook, so it must not happen mid-run.
import type { Duplex } from 'node:stream';
import { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook } from 'tapable';
import { ConfigError, PluginError, formatErrorWithHint } from './errors.ts';
import { EventBus } from './events.ts';
import { ValidationReport } from './job.ts';
import type { Job, StoreTargets } from './job.ts';
import type {
  Artifact,
  ExportDestination,
  ExportRecord,
  ExportSource,
  JobResult,
  JobSpec,
  PlannedSnapshot,
  SnapshotRef,
  SourceInfo,
  StoredFile,
  TransformedFile,
  TransformPlan,
  TransformStage,
} from './model.ts';
import { SettingsCheck } from './settings-check.ts';
import { resolvePlugins } from './plugin.ts';
import { StorageRegistry } from './storage/storage-registry.ts';
import type { PluginInstance, ResolvedPlugin } from './plugin.ts';

/** What the post-validate hook checks: the files as written, before they are published. */
export interface WrittenExport {
  readonly baseName: string;
  readonly format: 'ova' | 'ovf';
  readonly files: readonly StoredFile[];
  /** Where each file is now, before publishing, at every sink with a local filesystem, by stored name. */
  readonly stagedPaths: ReadonlyMap<string, readonly string[]>;
  /** The files that transform stages changed, by stored name, and how to read each back. */
  readonly transformed: ReadonlyMap<string, TransformedFile>;
}

/**
 * What the published hook passes from plugin to plugin: the export as committed at every sink.
 * It is a waterfall value: a plugin that changes what was published (an upload adds a location,
 * a conversion adds files) returns a new PublishedExport built from the one it got (spread it),
 * and never changes the one it got; a plugin that only looks returns the one it got. The job's result
 * and the retain hook get what the last plugin returned.
 */
export interface PublishedExport {
  readonly baseName: string;
  readonly format: 'ova' | 'ovf';
  /** The export's files; a plugin that removes them (convert with keepExport: false) returns none. */
  readonly files: readonly StoredFile[];
  /**
   * The record written beside the export (NAME.FORMAT.hyperexport.json). A plugin that adds or
   * removes files returns `await updatePublishedRecord(published, files)`, which also rewrites the
   * local copy, so uploads, retention and `remote` see what is really there.
   */
  readonly record: ExportRecord;
  /** Where each committed file (and the record, by its name) is on the local filesystem (local sinks only). */
  readonly localPaths: ReadonlyMap<string, string>;
  /** Where the export now is; a plugin that copies it elsewhere (an upload) returns the new place added. */
  readonly locations: readonly string[];
  /** Files a plugin made from the export (converted disks), added to the result. */
  readonly derivedFiles: readonly StoredFile[];
  /**
   * The storage roots that hold the export (see ExportDestination), what retention rotates: each
   * store plugin adds its own once the export is committed there, and removes it when it removes
   * that copy (an upload with keep-local=false removes the local folder).
   */
  readonly destinations: readonly ExportDestination[];
  /**
   * Streams to put in front of any later transfer of the export's files (an upload after it), so
   * the job's bandwidth cap (`--bwlimit`) holds for it too; none when nothing caps the job.
   */
  pace(artifact: Artifact): Duplex[];
}

/** What the download hook gets besides the job: what the earlier hooks decided. */
export interface DownloadRequest {
  /**
   * The snapshot to export from, as the snapshot hook returned it (also one that a checkpointed
   * run recorded is never this: that one is removed); undefined to export the VM as it is.
   */
  readonly snapshot: SnapshotRef | undefined;
}

/** A request to list VMs: everything below `folder` (an inventory path). */
export interface DiscoverRequest {
  readonly folder: string;
  /** The settings of the batch (flags, profile, config): the source reads its own, e.g. how to connect. */
  readonly spec: JobSpec;
  readonly signal: AbortSignal;
}

export interface DiscoveredVm {
  /** What `--vm` accepts: the inventory path. */
  readonly path: string;
  readonly name: string;
}

/** What the retain hook gets after a successful export. */
export interface RetentionContext {
  readonly job: Job;
  readonly result: JobResult;
  /** Where the export was stored, as the published hook returned it (PublishedExport.destinations). */
  readonly destinations: readonly ExportDestination[];
}

/** What a validate tap may give besides its name: `validate.tapPromise({ name, check }, fn)`. */
export interface ValidateTapOptions {
  /**
   * The check this tap's problems are listed under. A ConfigError the tap throws (a bad flag or
   * setting) then becomes an error issue `check: message (hint)` naming the plugin, like a problem
   * it reports itself, so the other plugins' checks still run and every problem is listed at
   * once (`--validate-only` prints them all). Without it, a thrown error fails the hook.
   */
  readonly check?: string;
}

function createHooks() {
  return Object.freeze({
    /**
     * The usage check, before anything connects or reads (settings-check.ts): each plugin parses
     * the settings of `spec.extra` it reads and throws a ConfigError for a malformed one (the CLI
     * exits 2). Every tap runs; every problem is listed at once.
     */
    checkSettings: new AsyncParallelHook<[JobSpec, SettingsCheck]>(['spec', 'check']),
    /** Lists the VMs below a folder, for batch exports (`--folder`); the first source that can answers. */
    discover: new AsyncSeriesBailHook<[DiscoverRequest], DiscoveredVm[] | undefined>(['request']),
    /** The first source that recognises the job describes the VM (power state, sizes). */
    inspect: new AsyncSeriesBailHook<[Job], SourceInfo | undefined>(['job']),
    /** Pre-export checks; all run, problems are collected in the report. */
    validate: new AsyncParallelHook<[Job, ValidationReport], ValidateTapOptions>(['job', 'report']),
    /**
     * Whether the export will read a snapshot rather than the live disks, decided from the spec
     * before the checks: the first plugin that will take or pick one returns what it plans. The
     * core keeps the answer as `job.plannedSnapshot`, so the checks know a running VM is fine.
     */
    planSnapshot: new AsyncSeriesBailHook<[Job], PlannedSnapshot | undefined>(['job']),
    /** The first plugin that takes or picks a snapshot returns it; the core hands it to `download`. */
    snapshot: new AsyncSeriesBailHook<[Job], SnapshotRef | undefined>(['job']),
    /** Always runs after a snapshot was returned, on success, failure and cancel. */
    snapshotCleanup: new AsyncSeriesHook<[Job, SnapshotRef]>(['job', 'snapshot']),
    /** The first source able to handle the job opens the export, from `request.snapshot` when there is one. */
    download: new AsyncSeriesBailHook<[Job, DownloadRequest], ExportSource | undefined>(['job', 'request']),
    /** Plugins add stream stages to the plan. */
    transform: new AsyncSeriesWaterfallHook<[TransformPlan, Job]>(['plan', 'job']),
    /** Plugins add the sinks the export is written to. */
    store: new AsyncSeriesHook<[StoreTargets, Job]>(['targets', 'job']),
    /** Checks the written files before they are published; errors fail the export. */
    postValidate: new AsyncParallelHook<[Job, ValidationReport, WrittenExport]>(['job', 'report', 'written']),
    /**
     * Runs after every sink committed (uploads after a local export, disk conversion), a waterfall
     * of PublishedExport: each plugin returns what it changed (or what it got). Errors fail the export,
     * and what was committed stays where it is; the result then has what the plugins before the
     * failing one returned.
     */
    published: new AsyncSeriesWaterfallHook<[PublishedExport, Job]>(['published', 'job']),
    /** Runs when a job fails or is cancelled, before cleanup. */
    failed: new AsyncSeriesHook<[Job, unknown]>(['job', 'error']),
    /** Observers of the final result; a failing notifier only warns. */
    notify: new AsyncParallelHook<[JobResult, Job]>(['result', 'job']),
    /** Rotation of older exports after a successful one; a failure only warns. */
    retain: new AsyncSeriesHook<[RetentionContext]>(['context']),
    /** Always the last hook of a job. */
    jobEnd: new AsyncSeriesHook<[Job, JobResult]>(['job', 'result']),
    /** Frees per-job resources (a vSphere session); runs after every job and every check-only run. */
    release: new AsyncSeriesHook<[Job]>(['job']),
  });
}

export type ExporterHooks = ReturnType<typeof createHooks>;

// The value a failing published tap was given, by the error it failed with (see publishedBefore).
const PUBLISHED_BEFORE_FAILURE = new WeakMap<object, PublishedExport>();

/**
 * What the published hook had returned when `error` stopped it: the PublishedExport the failing
 * tap was given. Undefined for any other error.
 */
export function publishedBefore(error: unknown): PublishedExport | undefined {
  return typeof error === 'object' && error !== null ? PUBLISHED_BEFORE_FAILURE.get(error) : undefined;
}
export type HookName = keyof ExporterHooks;

/** Hooks whose failures must not fail the export: they warn instead. */
const WARN_ONLY_HOOKS: ReadonlySet<HookName> = new Set(['notify', 'retain']);

export interface ExporterOptions {
  bus?: EventBus;
}

export class Exporter {
  readonly hooks: ExporterHooks = createHooks();
  readonly bus: EventBus;
  /** Storage backends by URL scheme, registered by plugins in setup(). */
  readonly storage = new StorageRegistry();
  readonly #plugins: ResolvedPlugin[] = [];
  /** The plugin whose transform tap added each stage (see pluginOfStage). */
  readonly #stagePlugins = new WeakMap<TransformStage, string>();
  #sealed = false;

  private constructor(options: ExporterOptions) {
    this.bus = options.bus ?? new EventBus();
    for (const [name, hook] of Object.entries(this.hooks) as [HookName, ExporterHooks[HookName]][]) {
      hook.intercept({ register: (tap) => this.#registerTap(name, tap) });
    }
  }

  /**
   * Validates the plugins (options, duplicates, dependencies: every problem at once), sets each
   * up, and seals the hooks. Throws a ConfigError that lists every problem.
   */
  static async create(instances: readonly PluginInstance[], options: ExporterOptions = {}): Promise<Exporter> {
    const { plugins, problems } = resolvePlugins(instances);
    if (problems.length > 0) {
      throw new ConfigError(problems.length === 1 ? problems[0]! : `${problems.length} problems in the plugin configuration`, {
        problems: problems.length === 1 ? [] : problems,
      });
    }
    const exporter = new Exporter(options);
    for (const plugin of plugins) {
      try {
        await plugin.definition.setup(exporter, plugin.options, plugin.settings);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ConfigError(`plugin "${plugin.definition.name}" failed to set up: ${reason}`, { cause: error });
      }
      exporter.#plugins.push(plugin);
    }
    exporter.#sealed = true;
    exporter.storage.seal();
    return exporter;
  }

  get plugins(): readonly { name: string; version: string; description?: string | undefined; provides: readonly string[] }[] {
    return this.#plugins.map(({ definition }) => ({
      name: definition.name,
      version: definition.version,
      description: definition.description,
      provides: definition.provides ?? [],
    }));
  }

  /**
   * The plugin whose transform tap added `stage` to the plan: export records name it, so restore
   * can say which plugin to install to undo the stage. Undefined for a stage no tap added.
   */
  pluginOfStage(stage: TransformStage): string | undefined {
    return this.#stagePlugins.get(stage);
  }

  /** Plugins that declare the setting `name` (and so read it from a job's settings). */
  consumersOf(name: string): string[] {
    return this.#plugins.filter(({ definition }) => Object.hasOwn(definition.settings ?? {}, name)).map(({ definition }) => definition.name);
  }

  // Every tap passes through here: refuse taps after sealing, and wrap the tap so its errors
  // carry the plugin and hook names (or, for warn-only hooks, become warnings; for validate taps
  // that name their check, a ConfigError becomes an issue in the report).
  #registerTap<T extends { name: string; type: 'sync' | 'async' | 'promise'; fn: Function }>(hookName: HookName, tap: T): T {
    if (this.#sealed) {
      throw new Error(`"${tap.name}" tapped ${hookName} after setup; plugins must tap hooks in setup()`);
    }
    const plugin = tap.name;
    const original =
      hookName === 'transform' ? this.#attributingStages(plugin, tap.type, tap.fn as (...args: any[]) => any) : (tap.fn as (...args: any[]) => any);
    const tag = (error: unknown, args: unknown[]) => {
      const tagged = error instanceof PluginError ? error : new PluginError(plugin, hookName, error);
      // A failing published tap: what the taps before it returned is still what was published.
      if (hookName === 'published' && typeof tagged === 'object' && !PUBLISHED_BEFORE_FAILURE.has(tagged)) {
        PUBLISHED_BEFORE_FAILURE.set(tagged, args[0] as PublishedExport);
      }
      return tagged;
    };
    const warnOnly = WARN_ONLY_HOOKS.has(hookName);
    const check = hookName === 'validate' ? (tap as ValidateTapOptions).check : undefined;
    // True when the error was a configuration problem and is now an issue in the report.
    const reportedAsIssue = (error: unknown, args: unknown[]): boolean => {
      const settings = args[1];
      if (hookName === 'checkSettings' && error instanceof ConfigError && settings instanceof SettingsCheck) {
        settings.problem(error);
        return true;
      }
      const validation = args[1];
      if (check === undefined || !(error instanceof ConfigError) || !(validation instanceof ValidationReport)) return false;
      validation.error(check, formatErrorWithHint(error), plugin);
      return true;
    };
    const report = (error: unknown, args: unknown[]) => {
      const job =
        args.find((arg): arg is Job => typeof arg === 'object' && arg !== null && 'warn' in arg && 'spec' in arg) ??
        (args[0] as RetentionContext | undefined)?.job;
      const message = `${hookName} failed: ${error instanceof Error ? error.message : String(error)}`;
      if (job) job.warn(message, plugin);
      else this.bus.emit('warning', { message, plugin });
    };
    let fn: (...args: any[]) => any;
    if (tap.type === 'promise') {
      fn = async (...args: unknown[]) => {
        try {
          return await original(...args);
        } catch (error) {
          if (reportedAsIssue(error, args)) return undefined;
          if (warnOnly) return report(error, args);
          throw tag(error, args);
        }
      };
    } else if (tap.type === 'async') {
      fn = (...args: unknown[]) => {
        const callback = args.pop() as (error?: unknown, result?: unknown) => void;
        original(...args, (error: unknown, result: unknown) => {
          if (error) {
            if (reportedAsIssue(error, args)) callback();
            else if (warnOnly) {
              report(error, args);
              callback();
            } else callback(tag(error, args));
          } else callback(null, result);
        });
      };
    } else {
      fn = (...args: unknown[]) => {
        try {
          return original(...args);
        } catch (error) {
          if (reportedAsIssue(error, args)) return undefined;
          if (warnOnly) return report(error, args);
          throw tag(error, args);
        }
      };
    }
    return { ...tap, fn };
  }

  /** Wraps a transform tap so that every stage it adds to the plan is recorded as `plugin`'s. */
  #attributingStages(plugin: string, type: 'sync' | 'async' | 'promise', tapped: (...args: any[]) => any): (...args: any[]) => any {
    const claim = (before: ReadonlySet<TransformStage>, plan: TransformPlan | undefined) => {
      for (const stage of plan?.stages ?? []) if (!before.has(stage) && !this.#stagePlugins.has(stage)) this.#stagePlugins.set(stage, plugin);
    };
    if (type === 'async') {
      return (plan: TransformPlan, ...rest: unknown[]) => {
        const before = new Set(plan.stages);
        const callback = rest.pop() as (error?: unknown, result?: TransformPlan) => void;
        tapped(plan, ...rest, (error: unknown, result?: TransformPlan) => {
          if (!error) claim(before, result ?? plan);
          callback(error, result);
        });
      };
    }
    return (plan: TransformPlan, ...rest: unknown[]) => {
      const before = new Set(plan.stages);
      const result: unknown = tapped(plan, ...rest);
      if (type === 'promise')
        return (result as Promise<TransformPlan | undefined>).then((value) => {
          claim(before, value ?? plan);
          return value;
        });
      claim(before, (result as TransformPlan | undefined) ?? plan);
      return result;
    };
  }
}
