// `hyperexport.config.ts` and friends. cosmiconfig finds the file from the working directory
// upward; JavaScript and TypeScript configs load with a plain import(), which on Node 24 strips
// types, follows a config's import of a local `.ts` plugin, and keeps a single copy of core.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig } from 'cosmiconfig';
import * as t from 'typanion';
import { CONFIG_SEARCH_PLACES, USER_CONFIG_PLACES, isSearchable, projectSearchDirs, userConfigDir } from './config-discovery.ts';
import { ConfigError } from './errors.ts';
import { formatTypanionError } from './schema-errors.ts';
import type { ExportFormat, JobSpec } from './model.ts';
import { flattenPlugins, isPluginFactory, isPluginInstance, resolvePlugins } from './plugin.ts';
import type { PluginEntry, PluginInstance } from './plugin.ts';
import type { DefaultPlugin } from './cli/default-plugins.ts';

/** The `export` section: defaults for every job, overridden by a profile and then by flags. */
export interface ExportDefaults {
  format?: ExportFormat;
  output?: string;
  source?: string;
  vm?: string;
  name?: string;
  parallel?: number;
  overwrite?: boolean;
}

export interface HyperExportConfig {
  /** Plugin instances; presets as nested arrays; falsy entries are skipped. */
  plugins?: PluginEntry[];
  export?: ExportDefaults;
  /** Add the built-in plugins (local source, local store, ...) not configured here. Default true. */
  builtins?: boolean;
}

export interface ConfigEnv {
  /** The CLI command being run, e.g. `export`. */
  command: string;
  cwd: string;
}

export type ConfigInput = HyperExportConfig | ((env: ConfigEnv) => HyperExportConfig | Promise<HyperExportConfig>);

/** Identity helper that gives a config file types and completion. */
export function defineConfig<C extends ConfigInput>(config: C): C {
  return config;
}

export interface LoadedConfig {
  /** The file it came from; undefined when none was found. */
  readonly filepath: string | undefined;
  readonly plugins: PluginInstance[];
  readonly exportDefaults: ExportDefaults;
  readonly builtins: boolean;
}

const MODULE_NAME = 'hyperexport';
export { CONFIG_SEARCH_PLACES, USER_CONFIG_PLACES, userConfigDir } from './config-discovery.ts';

const isExportDefaults = t.isObject({
  format: t.isOptional(t.isEnum(['ova', 'ovf'] as const)),
  output: t.isOptional(t.isString()),
  source: t.isOptional(t.isString()),
  vm: t.isOptional(t.isString()),
  name: t.isOptional(t.isString()),
  parallel: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 64)])),
  overwrite: t.isOptional(t.isBoolean()),
});

const isConfigShape = t.isObject({
  plugins: t.isOptional(t.isArray(t.isUnknown())),
  export: t.isOptional(t.isUnknown()),
  builtins: t.isOptional(t.isBoolean()),
});

/**
 * Finds and loads the config: `explicitPath` (from `--config`) or a search from `cwd` upward.
 * Every problem is reported as a ConfigError naming the file.
 */
export async function loadConfig(options: {
  explicitPath?: string | undefined;
  cwd: string;
  command: string;
  /** Plugins the tool carries: a JSON or YAML config may name them without installing them next to it. */
  defaultPlugins?: readonly DefaultPlugin[];
  /** HOME and XDG_CONFIG_HOME, for the per-user config (default: process.env). */
  env?: NodeJS.ProcessEnv;
}): Promise<LoadedConfig> {
  let found: { filepath: string; config: unknown; isEmpty?: boolean } | null;
  try {
    found = options.explicitPath
      ? await configExplorer(CONFIG_SEARCH_PLACES).load(resolve(options.cwd, options.explicitPath))
      : await searchConfig(options.cwd, options.env ?? process.env);
  } catch (error) {
    throw configLoadError(error, options.explicitPath);
  }
  if (!found) return { filepath: undefined, plugins: [], exportDefaults: {}, builtins: true };
  const { filepath } = found;
  let config: unknown = found.config;
  if (typeof config === 'function') {
    try {
      config = await (config as (env: ConfigEnv) => unknown)({ command: options.command, cwd: options.cwd });
    } catch (error) {
      throw new ConfigError(`${filepath}: the config function threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  if (config === undefined || config === null) config = {};
  const problems: string[] = [];
  const shapeErrors: string[] = [];
  if (!isConfigShape(config, { errors: shapeErrors })) problems.push(...shapeErrors.map((e) => formatTypanionError(e, { key: 'setting' })));
  const shaped = (typeof config === 'object' && config !== null ? config : {}) as HyperExportConfig & Record<string, unknown>;
  const exportErrors: string[] = [];
  if (shaped.export !== undefined && !isExportDefaults(shaped.export, { errors: exportErrors })) {
    problems.push(...exportErrors.map((e) => formatTypanionError(e, { key: 'setting', within: 'export' })));
  }
  let plugins: PluginInstance[] = [];
  if (Array.isArray(shaped.plugins)) {
    try {
      plugins = flattenPlugins(await Promise.all(shaped.plugins.map((entry) => resolveNamedPlugin(entry, filepath, options.defaultPlugins ?? []))));
      // Options are checked now, while the file is known, so every message can name it.
      // Requirements wait for the exporter: built-in plugins may still provide them.
      problems.push(...resolvePlugins(plugins, { requirements: false }).problems);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`${filepath}: ${problems.length === 1 ? problems[0] : `${problems.length} problems`}`, {
      problems: problems.length === 1 ? [] : problems,
    });
  }
  return { filepath, plugins, exportDefaults: shaped.export ?? {}, builtins: shaped.builtins ?? true };
}

/** Looks in one folder only: the walk up (and where it stops) is config-discovery.ts's. */
function configExplorer(searchPlaces: readonly string[]) {
  return cosmiconfig(MODULE_NAME, {
    searchStrategy: 'none',
    searchPlaces: [...searchPlaces],
    loaders: { '.ts': importModule, '.mts': importModule, '.js': importModule, '.mjs': importModule, '.cjs': importModule },
    cache: false,
  });
}

/** The nearest project config from `cwd` upward, else the per-user one (see config-discovery.ts). */
async function searchConfig(cwd: string, env: NodeJS.ProcessEnv): Promise<{ filepath: string; config: unknown; isEmpty?: boolean } | null> {
  const project = configExplorer(CONFIG_SEARCH_PLACES);
  for (const dir of await projectSearchDirs(cwd, env)) {
    const found = (await isSearchable(dir)) ? await project.search(dir) : null;
    if (found) return found;
  }
  const userDir = userConfigDir(env);
  return (await isSearchable(userDir)) ? configExplorer(USER_CONFIG_PLACES).search(userDir) : null;
}

async function importModule(filepath: string): Promise<unknown> {
  const module = (await import(pathToFileURL(filepath).href)) as { default?: unknown };
  if (!('default' in module)) throw new Error('the config module has no default export; write `export default defineConfig({ ... })`');
  return module.default;
}

/**
 * JSON and YAML configs name plugins by package: `"@hyperexport/store-local"` or
 * `["@hyperexport/store-local", { "fsync": true }]`, resolved from the config's folder; a default
 * plugin not installed there is the tool's own copy.
 */
async function resolveNamedPlugin(entry: unknown, configPath: string, defaultPlugins: readonly DefaultPlugin[]): Promise<PluginEntry> {
  let specifier: string | undefined;
  let options: unknown;
  if (typeof entry === 'string') specifier = entry;
  else if (Array.isArray(entry) && typeof entry[0] === 'string' && entry.length <= 2) [specifier, options] = entry as [string, unknown];
  if (specifier === undefined) return entry as PluginEntry;
  const module = await importNamedPlugin(specifier, configPath, defaultPlugins);
  const exported = module.default;
  if (isPluginFactory(exported)) return (exported as unknown as (o?: unknown) => PluginInstance)(options);
  if (isPluginInstance(exported)) return exported;
  throw new Error(`"${specifier}" does not export a HyperExport plugin as its default export`);
}

async function importNamedPlugin(specifier: string, configPath: string, defaultPlugins: readonly DefaultPlugin[]): Promise<{ default?: unknown }> {
  let url: string;
  try {
    const fromConfig = specifier.startsWith('.') ? resolve(dirname(configPath), specifier) : createRequire(configPath).resolve(specifier);
    url = pathToFileURL(fromConfig).href;
  } catch (error) {
    const carried = defaultPlugins.find((plugin) => plugin.name === specifier);
    if (carried) return carried.load();
    throw new Error(`plugin "${specifier}" is not installed next to the config; run: npm install ${specifier}`, { cause: error });
  }
  return (await import(url)) as { default?: unknown };
}

function configLoadError(error: unknown, explicitPath: string | undefined): ConfigError {
  const raw = error instanceof Error ? error.message : String(error);
  if ((error as NodeJS.ErrnoException).code === 'ENOENT' && explicitPath) {
    return new ConfigError(`config file not found: ${explicitPath}`, { hint: 'check the --config path', cause: error });
  }
  // Node's SyntaxError from import() names the file in its stack, not its message: add it.
  const where = (error as { filepath?: string }).filepath ?? explicitPath;
  const stackFile = error instanceof SyntaxError ? /^(file:\/\/\S+|\/\S+):(\d+)/m.exec(error.stack ?? '')?.[0] : undefined;
  const location = stackFile ?? where;
  return new ConfigError(`cannot load the config${location ? ` ${location}` : ''}: ${raw}`, { cause: error });
}

/** Merges the config's export defaults and the CLI's flags (flags win) into a job spec. */
export function buildJobSpec(defaults: ExportDefaults, flags: Partial<Omit<JobSpec, 'extra'>> & { extra?: Record<string, unknown> }): JobSpec {
  const pick = <K extends keyof ExportDefaults>(key: K) => flags[key] ?? defaults[key];
  return {
    source: pick('source'),
    vm: pick('vm'),
    format: pick('format') ?? 'ova',
    output: pick('output'),
    name: pick('name'),
    parallel: pick('parallel') ?? 4,
    overwrite: pick('overwrite') ?? false,
    extra: { ...flags.extra },
  };
}
