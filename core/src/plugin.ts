// The plugin contract. A plugin is a plain object made by a factory, in the spirit of Rollup and
// Vite, applied to an Exporter whose tapable hooks it taps. Options are checked against a typanion
// schema when the config loads; every problem is listed at once and unknown keys are rejected.
import type * as t from 'typanion';
import type { CommandClass } from 'clipanion';
import { formatTypanionError } from './schema-errors.ts';
import type { Exporter } from './exporter.ts';
import type { ReverseStage } from './model.ts';
import type { SettingsDeclarations } from './settings/setting-declaration.ts';
import { splitPluginOptions } from './settings/plugin-option-settings.ts';
import { createSettingsReader } from './settings/settings-reader.ts';
import type { SettingsReader } from './settings/settings-reader.ts';

// A brand instead of `instanceof`: two copies of core may be loaded (a plugin's own dependency
// and the CLI's), and a Symbol.for key is shared by both.
export const PLUGIN_BRAND: unique symbol = Symbol.for('hyperexport.plugin') as never;

export type OptionsSchema<O> = t.StrictValidator<unknown, O>;

export interface PluginDefinition<O = undefined, S extends SettingsDeclarations = {}> {
  /** Unique name, e.g. `store-local` or `@acme/hyperexport-tape`. */
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  /** typanion schema of the options; omit for a plugin without options. */
  readonly options?: OptionsSchema<O>;
  /** Capabilities this plugin offers, e.g. `source:vsphere`, `storage:s3`. */
  readonly provides?: readonly string[];
  /** Capabilities or plugin names that must also be configured. */
  readonly requires?: readonly string[];
  /**
   * The settings of each job this plugin reads, by name (see settings/setting-declaration.ts):
   * from them the CLI builds the `export` and `profiles save` flags, the profile schema and the
   * help, and a config may set them among the plugin's options. A flag or a profile key that no
   * configured plugin declares is a usage error, never silently ignored.
   */
  readonly settings?: S;
  /** CLI commands the plugin adds (clipanion classes, e.g. extending BaseCommand), registered when it is loaded. */
  readonly commands?: readonly CommandClass<any>[];
  /** Stages that undo this plugin's transforms, for `hyperexport restore` and `decrypt`. */
  readonly reverseStages?: readonly ReverseStage[];
  /** `pre` plugins are set up (and so tapped) before normal ones, `post` after. */
  readonly enforce?: 'pre' | 'post';
  /**
   * Taps the exporter's hooks. Runs once, before any job; hooks are sealed after. `settings.of(job.spec)`
   * gives the job's values of the declared settings, typed and checked.
   */
  setup(exporter: Exporter, options: O, settings: SettingsReader<S>): void | Promise<void>;
}

/** A configured plugin: its definition and the options the user gave, not yet validated. */
export interface PluginInstance<O = unknown> {
  readonly [PLUGIN_BRAND]: true;
  readonly definition: PluginDefinition<O, any>;
  readonly rawOptions: unknown;
}

/** Options are optional when the plugin has none or every option is optional. */
type FactoryArgs<O> = [O] extends [undefined] ? [options?: undefined] : {} extends O ? [options?: O] : [options: O];

export type PluginFactory<O, S extends SettingsDeclarations = {}> = ((...args: FactoryArgs<FactoryOptions<O, S>>) => PluginInstance<O>) & {
  readonly definition: PluginDefinition<O, S>;
};

/** The settings a config may give among a plugin's options, by their names. */
type PluginSettingOptions<S extends SettingsDeclarations> = { [K in keyof S]?: S[K] extends { schema: t.StrictValidator<unknown, infer T> } ? T : never };

/** What the factory takes: the plugin's own options and its settings. */
type FactoryOptions<O, S extends SettingsDeclarations> = [O] extends [undefined]
  ? {} extends Required<S>
    ? undefined
    : PluginSettingOptions<S>
  : O & PluginSettingOptions<S>;

/** Declares a plugin; returns the factory users call in their config: `storeLocal({ fsync: true })`. */
export function definePlugin<O = undefined, S extends SettingsDeclarations = {}>(definition: PluginDefinition<O, S>): PluginFactory<O, S> {
  if (!definition.name || typeof definition.name !== 'string') throw new TypeError('definePlugin: `name` is required');
  if (typeof definition.setup !== 'function') throw new TypeError(`definePlugin(${definition.name}): \`setup\` must be a function`);
  const frozen = Object.freeze({ ...definition });
  const factory = (...args: unknown[]): PluginInstance<O> => Object.freeze({ [PLUGIN_BRAND]: true as const, definition: frozen, rawOptions: args[0] });
  return Object.assign(factory, { definition: frozen }) as unknown as PluginFactory<O, S>;
}

export function isPluginInstance(value: unknown): value is PluginInstance {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}

export function isPluginFactory(value: unknown): value is PluginFactory<unknown> {
  return (
    typeof value === 'function' &&
    typeof (value as { definition?: unknown }).definition === 'object' &&
    typeof (value as unknown as { definition: { setup?: unknown } }).definition.setup === 'function'
  );
}

/** What a config's `plugins` array may hold: instances, nested preset arrays, and falsy holes. */
export type PluginEntry = PluginInstance<any> | PluginFactory<any> | readonly PluginEntry[] | false | null | undefined | 0 | '';

/** Flattens presets and drops falsy entries (`cond && plugin()`), keeping order. */
export function flattenPlugins(entries: readonly PluginEntry[]): PluginInstance[] {
  const out: PluginInstance[] = [];
  const visit = (entry: PluginEntry, where: string): void => {
    if (!entry) return;
    if (Array.isArray(entry)) {
      entry.forEach((inner: PluginEntry, index: number) => visit(inner, `${where}[${index}]`));
      return;
    }
    if (isPluginInstance(entry)) out.push(entry);
    // A factory listed without calling it: treat it as called with no options.
    else if (isPluginFactory(entry)) out.push((entry as unknown as (o?: unknown) => PluginInstance)());
    else throw new TypeError(`plugins${where} is not a plugin (got ${describeValue(entry)}); list the result of a plugin factory, e.g. storeLocal()`);
  };
  entries.forEach((entry, index) => visit(entry, `[${index}]`));
  return out;
}

/** A validated plugin, ready for setup. */
export interface ResolvedPlugin {
  readonly definition: PluginDefinition<unknown, SettingsDeclarations>;
  readonly options: unknown;
  /** Its settings as the config set them among its options; the reader's fallback under a job's values. */
  readonly settings: SettingsReader<SettingsDeclarations>;
}

/**
 * Validates every plugin's options and the set as a whole. Returns the plugins in setup order
 * (pre, normal, post; config order within each) or the list of every problem found.
 */
export function resolvePlugins(
  instances: readonly PluginInstance[],
  options: { requirements?: boolean } = {},
): { plugins: ResolvedPlugin[]; problems: string[] } {
  const problems: string[] = [];
  const seen = new Set<string>();
  const plugins: ResolvedPlugin[] = [];
  for (const instance of instances) {
    const { definition } = instance;
    if (seen.has(definition.name)) {
      problems.push(`plugin "${definition.name}" is listed twice; list each plugin once (merge the options)`);
      continue;
    }
    seen.add(definition.name);
    const split = splitPluginOptions(definition.name, instance.rawOptions, definition.settings);
    problems.push(...split.problems);
    const checked = validateOptions(definition, split.options);
    problems.push(...checked.problems);
    plugins.push({
      definition: definition as PluginDefinition<unknown, SettingsDeclarations>,
      options: checked.options,
      settings: createSettingsReader(definition.name, definition.settings, split.settings),
    });
  }
  const offered = new Set<string>();
  for (const { definition } of plugins) {
    offered.add(definition.name);
    for (const capability of definition.provides ?? []) offered.add(capability);
  }
  for (const { definition } of options.requirements === false ? [] : plugins) {
    for (const needed of definition.requires ?? []) {
      if (!offered.has(needed))
        problems.push(`plugin "${definition.name}" requires "${needed}", which no configured plugin provides; add a plugin that provides it`);
    }
  }
  const rank = (p: ResolvedPlugin) => (p.definition.enforce === 'pre' ? 0 : p.definition.enforce === 'post' ? 2 : 1);
  plugins.sort((a, b) => rank(a) - rank(b));
  return { plugins, problems };
}

function validateOptions(definition: PluginDefinition<unknown, any>, raw: unknown): { options: unknown; problems: string[] } {
  const schema = definition.options;
  if (!schema) {
    if (raw !== undefined && !(typeof raw === 'object' && raw !== null && Object.keys(raw).length === 0)) {
      return { options: undefined, problems: [`plugin "${definition.name}" takes no options (got ${describeValue(raw)})`] };
    }
    return { options: undefined, problems: [] };
  }
  // Validate `{}` when nothing was given, so required options are reported as missing.
  const value = raw === undefined ? {} : raw;
  // No coercions: a config is code, and `fsync: 1` silently becoming `true` would hide a mistake.
  const errors: string[] = [];
  if (!schema(value, { errors })) {
    return { options: undefined, problems: errors.map((message) => `plugin "${definition.name}" option ${formatTypanionError(message, { key: 'option' })}`) };
  }
  return { options: value, problems: [] };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
