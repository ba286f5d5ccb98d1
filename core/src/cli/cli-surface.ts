// What the loaded plugins add to the command line, read before clipanion parses it: the core
// pre-scans argv for `--config`, loads the config and its plugins (the configured ones and the
// built-ins), and builds the flags of `export` and `profiles save`, the profile schema, the
// plugins' commands and the reverse stages `restore` knows from their declarations.
// A config that cannot be loaded leaves the core's commands and flags (so `--help` works); its
// error is reported when a command runs.
import type { BaseContext, CommandClass } from 'clipanion';
import { loadConfig } from '../config.ts';
import type { LoadedConfig } from '../config.ts';
import type { ReverseStage } from '../model.ts';
import type { PluginInstance } from '../plugin.ts';
import { ProfileSchema } from '../profiles/profile.ts';
import { CORE_EXPORT_SETTINGS } from '../settings/core-export-settings.ts';
import { SettingsRegistry } from '../settings/settings-registry.ts';
import { ConfigError } from '../errors.ts';
import { loadBuiltinPlugins } from './builtin-plugins.ts';
import type { DefaultPlugin } from './default-plugins.ts';

export interface CliSurface {
  /** The config, or undefined when it could not be loaded (see configError). */
  readonly loaded: LoadedConfig | undefined;
  readonly configError: unknown;
  /** The configured plugins and the built-ins the config keeps. */
  readonly plugins: readonly PluginInstance[];
  /** The core's export settings and every loaded plugin's. */
  readonly registry: SettingsRegistry;
  readonly profileSchema: ProfileSchema;
  readonly commands: readonly CommandClass<any>[];
  readonly reverseStages: readonly ReverseStage[];
}

/** The `--config` of argv (`--config F`, `--config=F`, `-c F`), before clipanion parses it. */
export function configArgument(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') break;
    if (arg === '--config' || arg === '-c') return argv[index + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return undefined;
}

/** The command word (`export`, `profiles`, `vms`) a config function is told about. */
function commandWord(argv: readonly string[]): string {
  return argv.find((arg) => !arg.startsWith('-')) ?? '';
}

export async function loadCliSurface(argv: readonly string[], cwd: string, defaultPlugins: readonly DefaultPlugin[]): Promise<CliSurface> {
  let loaded: LoadedConfig | undefined;
  let configError: unknown;
  let plugins: PluginInstance[] = [];
  try {
    loaded = await loadConfig({ explicitPath: configArgument(argv), cwd, command: commandWord(argv), defaultPlugins });
    plugins = [...loaded.plugins, ...(loaded.builtins ? await loadBuiltinPlugins(defaultPlugins, loaded.plugins) : [])];
  } catch (error) {
    configError = error;
    loaded = undefined;
  }
  const definitions = plugins.map((plugin) => plugin.definition);
  let registry = SettingsRegistry.from(CORE_EXPORT_SETTINGS, definitions);
  if (registry.problems.length > 0 && configError === undefined) {
    const where = loaded?.filepath ? `${loaded.filepath}: ` : '';
    configError = new ConfigError(`${where}the plugins' settings conflict`, { problems: registry.problems });
    loaded = undefined;
  }
  if (configError !== undefined) {
    plugins = [];
    registry = SettingsRegistry.from(CORE_EXPORT_SETTINGS, []);
  }
  return {
    loaded,
    configError,
    plugins,
    registry,
    profileSchema: ProfileSchema.of(registry),
    commands: plugins.flatMap((plugin) => plugin.definition.commands ?? []),
    reverseStages: plugins.flatMap((plugin) => plugin.definition.reverseStages ?? []),
  };
}

/** The surface main() put on the context; undefined when a command runs outside main(). */
export function surfaceOf(context: BaseContext): CliSurface | undefined {
  return (context as BaseContext & { hyperexportSurface?: CliSurface }).hyperexportSurface;
}

export function withSurface<C extends BaseContext>(context: C, surface: CliSurface): C {
  return { ...context, hyperexportSurface: surface };
}
