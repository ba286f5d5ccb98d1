// The test kit's one-call job: a plugin under test, a VM made of in-memory disks, and a sink that
// keeps every byte, run through the real Exporter and run loop (the same hooks, stages, checks and
// record as a CLI export), so a plugin author tests what users will run without a VM or a folder.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { ConfigError } from '../errors.ts';
import { EventBus } from '../events.ts';
import type { ExportEventName, ExportEvents } from '../events.ts';
import { Exporter } from '../exporter.ts';
import { exportRecordName } from '../model.ts';
import type { ExportFormat, ExportRecord, JobResult, JobSpec, RestoreKeys, ReverseStage } from '../model.ts';
import type { PluginEntry, PluginInstance } from '../plugin.ts';
import { flattenPlugins } from '../plugin.ts';
import { planReversal } from '../restore/reversal.ts';
import { runJob } from '../run-job.ts';
import { memorySink, memorySource } from './memory-plugins.ts';
import type { MemoryFile } from './memory-plugins.ts';

/** A VM made of in-memory disks: each key is a disk's file name, each value its bytes. */
export interface MemoryVm {
  /** The VM's name; the export's base name unless `name` is given. Default `test-vm`. */
  readonly name?: string;
  /** The disks, by file name (`web01-disk1.vmdk`); a string is taken as UTF-8. */
  readonly disks: Readonly<Record<string, Buffer | Uint8Array | string>>;
}

export interface PluginJobOptions {
  /** The plugins under test, as a config lists them: `[myPlugin({ level: 3 })]`. */
  readonly plugins: readonly PluginEntry[];
  /**
   * The VM to export, read by a memory source. Leave it out to test a source plugin, which must
   * then open the export itself (give it `source` or `vm` in `spec`).
   */
  readonly vm?: MemoryVm | undefined;
  /** The settings a flag, a profile or the config would give, by name: `{ xorKeyFile: '/k' }`. */
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  /** `ovf` (default: each disk is stored as its own file) or `ova` (one package). */
  readonly format?: ExportFormat | undefined;
  /** Further job fields (`name`, `parallel`, `source`, ...). */
  readonly spec?: Partial<Omit<JobSpec, 'extra' | 'format'>> | undefined;
  /** Cancels the job. */
  readonly signal?: AbortSignal | undefined;
}

/** One event of the job as `hyperexport export --json` prints it: its name as `type`, then its fields. */
export type PluginJobEvent = { [E in ExportEventName]: { readonly type: E } & ExportEvents[E] }[ExportEventName];

export interface RestoreFileOptions {
  /** The reverse stages to undo the file with; default: every `reverseStages` the job's plugins declare. */
  readonly stages?: readonly ReverseStage[] | undefined;
  /** Key material for stages that need it: `passphrase(purpose)`, `keyFile`, `privateKeyFiles`. */
  readonly keys?: Partial<RestoreKeys> | undefined;
}

export interface PluginJobRun {
  /** The job's outcome, as the CLI prints it last (`status`, `files`, `warnings`, `error`). */
  readonly result: JobResult;
  /** Every event the job emitted, in order. */
  readonly events: readonly PluginJobEvent[];
  /**
   * The bytes the export stored, by stored name (`web01-disk1.vmdk.xor`, `web01.ovf`, `web01.mf`,
   * the record `web01.ovf.hyperexport.json`). Empty when the job failed before committing.
   */
  readonly stored: ReadonlyMap<string, Buffer>;
  /** The export record written beside the export; undefined when the job did not get that far. */
  readonly record: ExportRecord | undefined;
  /** Whether the export was committed (published) at the sink. */
  readonly committed: boolean;
  /**
   * Turns a stored file back into the bytes it was made from, as `hyperexport restore` does: the
   * reverse stages (by default those the job's plugins declare in `reverseStages`) are found by
   * the suffixes the forward stages appended. Resolves to the plain name and bytes.
   */
  restore(storedName: string, options?: RestoreFileOptions): Promise<{ name: string; bytes: Buffer }>;
}

/**
 * Runs one export job through `plugins` and returns what it produced. The job fails or succeeds
 * as it would from the CLI; a configuration problem (a bad option, a missing requirement) rejects
 * with the ConfigError the CLI would print.
 */
export async function runPluginJob(options: PluginJobOptions): Promise<PluginJobRun> {
  const bus = new EventBus();
  const events: PluginJobEvent[] = [];
  bus.onAny((type, payload) => events.push({ type, ...payload } as PluginJobEvent));
  const sink = memorySink('test-kit-sink');
  // The plugins under test come first: a source under test then opens the export before the
  // memory source would, and a sink under test is written beside the memory sink.
  const source = options.vm ? memorySource(options.vm.name ?? 'test-vm', diskFiles(options.vm)) : undefined;
  const instances = flattenPlugins([...options.plugins, ...(source ? [source.plugin()] : []), sink.plugin()]);
  const exporter = await Exporter.create(instances, { bus });
  refuseUnreadSettings(instances, options.settings ?? {});
  const declaredReverseStages = instances.flatMap((instance) => instance.definition.reverseStages ?? []);
  const spec: JobSpec = {
    parallel: 2,
    overwrite: false,
    ...options.spec,
    format: options.format ?? 'ovf',
    extra: { ...options.settings },
  };
  const result = await runJob(exporter, spec, options.signal ? { signal: options.signal } : {});
  const stored = sink.state.committed ? sink.state.files : new Map<string, Buffer>();
  const recordName = result.baseName === undefined ? undefined : exportRecordName({ baseName: result.baseName, format: spec.format });
  const recordBytes = recordName === undefined ? undefined : stored.get(recordName);
  return {
    result,
    events,
    stored,
    record: recordBytes === undefined ? undefined : (JSON.parse(recordBytes.toString('utf8')) as ExportRecord),
    committed: sink.state.committed,
    restore: async (storedName, { stages = declaredReverseStages, keys } = {}) => {
      const bytes = stored.get(storedName);
      if (bytes === undefined) throw new Error(`the export stored no file "${storedName}"; it stored: ${[...stored.keys()].join(', ') || 'nothing'}`);
      return undoStages(storedName, bytes, stages, keys);
    },
  };
}

/**
 * Undoes the transforms of one stored file with `stages` (a package's `reverseStages`), found by
 * the suffixes of its name, outermost first, as `hyperexport restore` does.
 */
export async function undoStages(
  storedName: string,
  bytes: Buffer,
  stages: readonly ReverseStage[],
  keys: Partial<RestoreKeys> = {},
): Promise<{ name: string; bytes: Buffer }> {
  const { steps, plainName } = planReversal(storedName, stages);
  if (steps.length === 0) {
    throw new Error(`no reverse stage undoes "${storedName}": none of [${stages.map((stage) => stage.suffix).join(', ')}] ends its name`);
  }
  const restoreKeys: RestoreKeys = {
    passphrase: (purpose) => Promise.reject(new Error(`a passphrase was asked for (${purpose}); give keys.passphrase to restore()`)),
    privateKeyFiles: [],
    ...keys,
  };
  const signal = new AbortController().signal;
  const transforms = await Promise.all(steps.map((step) => step.create(storedName, restoreKeys, signal)));
  const chunks: Buffer[] = [];
  await (pipeline as (...streams: unknown[]) => Promise<void>)(Readable.from([bytes]), ...transforms, async (output: AsyncIterable<Buffer>) => {
    chunks.push(await buffer(output));
  });
  return { name: plainName, bytes: Buffer.concat(chunks) };
}

// As the CLI does: a setting no plugin reads would be silently ignored, so it is an error.
const CORE_SETTINGS = new Set(['tags']);

function refuseUnreadSettings(plugins: readonly PluginInstance[], settings: Readonly<Record<string, unknown>>): void {
  const read = new Set(plugins.flatMap(({ definition }) => Object.keys(definition.settings ?? {})));
  const unread = Object.keys(settings).filter((key) => !CORE_SETTINGS.has(key) && !read.has(key));
  if (unread.length === 0) return;
  throw new ConfigError(
    `the setting${unread.length === 1 ? '' : 's'} ${unread.map((key) => `"${key}"`).join(', ')} ${unread.length === 1 ? 'is' : 'are'} read by no plugin of the job`,
    {
      hint: 'declare the setting in the `settings` of the plugin that reads it, or check its spelling',
    },
  );
}

function diskFiles(vm: MemoryVm): MemoryFile[] {
  const entries = Object.entries(vm.disks);
  if (entries.length === 0) throw new TypeError('runPluginJob: the vm has no disks; give at least one, e.g. { disks: { "disk1.vmdk": Buffer.alloc(4096) } }');
  return entries.map(([name, content]) => ({ name, content: typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content) }));
}
