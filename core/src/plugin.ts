// The plugin contract. A plugin is a plain object made by a factory, in the spirit of Rollup and
// Vite, applied to an Exporter whose tapable hooks it taps. Options are checked against a typanion
// schema when the config loads; every problem is listed at once and unknown keys are rejected.
import type * as t from 'typanion';
import type { Exporter } from './exporter.ts';

// A brand instead of `instanceof`: two copies of core may be loaded (a plugin's own dependency
// and the CLI's), and a Symbol.for key is shared by both.
export const PLUGIN_BRAND: unique symbol = Symbol.for('hyperexport.plugin') as never;

export type OptionsSchema<O> = t.StrictValidator<unknown, O>;

export interface PluginDefinition<O = undefined> {
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
   * Keys of `job.spec.extra` this plugin reads (e.g. `snapshotBefore`). A key that the command
   * line or a profile sets and no configured plugin reads is an error, never silently ignored.
   */
  readonly consumes?: readonly string[];
  /** `pre` plugins are set up (and so tapped) before normal ones, `post` after. */
  readonly enforce?: 'pre' | 'post';
  /** Taps the exporter's hooks. Runs once, before any job; hooks are sealed after. */
  setup(exporter: Exporter, options: O): void | Promise<void>;
}

/** A configured plugin: its definition and the options the user gave, not yet validated. */
export interface PluginInstance<O = unknown> {
  readonly [PLUGIN_BRAND]: true;
  readonly definition: PluginDefinition<O>;
  readonly rawOptions: unknown;
}

/** Options are optional when the plugin has none or every option is optional. */
type FactoryArgs<O> = [O] extends [undefined] ? [options?: undefined] : {} extends O ? [options?: O] : [options: O];

export type PluginFactory<O> = ((...args: FactoryArgs<O>) => PluginInstance<O>) & {
  readonly definition: PluginDefinition<O>;
};

/** Declares a plugin; returns the factory users call in their config: `storeLocal({ fsync: true })`. */
export function definePlugin<O = undefined>(definition: PluginDefinition<O>): PluginFactory<O> {
  if (!definition.name || typeof definition.name !== 'string') throw new TypeError('definePlugin: `name` is required');
  if (typeof definition.setup !== 'function') throw new TypeError(`definePlugin(${definition.name}): \`setup\` must be a function`);
  const frozen = Object.freeze({ ...definition });
  const factory = (...args: unknown[]): PluginInstance<O> => Object.freeze({ [PLUGIN_BRAND]: true as const, definition: frozen, rawOptions: args[0] });
  return Object.assign(factory, { definition: frozen }) as unknown as PluginFactory<O>;
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
  readonly definition: PluginDefinition<unknown>;
  readonly options: unknown;
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
    const checked = validateOptions(definition, instance.rawOptions);
    problems.push(...checked.problems);
    plugins.push({ definition: definition as PluginDefinition<unknown>, options: checked.options });
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

function validateOptions(definition: PluginDefinition<unknown>, raw: unknown): { options: unknown; problems: string[] } {
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
    return { options: undefined, problems: errors.map((message) => `plugin "${definition.name}" option ${formatTypanionError(message)}`) };
  }
  return { options: value, problems: [] };
}

// typanion says `.level: Expected a number (got "x")` or `.foo: Extraneous property (got 1)`;
// make each read as an option problem a user can act on.
function formatTypanionError(message: string): string {
  const match = /^\.([^:]+): (.*)$/s.exec(message);
  if (!match) return message;
  const [, path, detail = ''] = match;
  if (detail.startsWith('Extraneous property'))
    return `"${path}" is not a known option${detail.slice('Extraneous property'.length)}; remove it or check its spelling`;
  if (detail.endsWith('(got undefined)')) return `"${path}" is required: ${detail.replace(/ \(got undefined\)$/, '')}`;
  return `"${path}": ${detail}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
