// One value per setting from every channel, highest precedence first:
//   flag > profile > the config's `export` section > the plugin's option in the config > env > default.
// The command line builds the first three layers (resolveSettingLayers); a plugin's SettingsReader
// adds the last three for its own settings. Every value is checked by the setting's schema.
import { ConfigError } from '../errors.ts';
import { settingValueProblem } from './check-setting-value.ts';
import type { SettingDeclaration } from './setting-declaration.ts';
import type { SettingOrigin } from './setting-origin.ts';

/** The values one channel gives, by setting name, with where they came from. */
export interface SettingLayer {
  readonly origin: SettingOrigin;
  readonly values: Readonly<Record<string, unknown>>;
  /** Text that may be coerced (flags, variables); see CheckOptions. */
  readonly coerce?: boolean | undefined;
  /**
   * Per-key origins, when one layer gathers values from several places (each flag is its own
   * `--name`); default: `origin` for every key.
   */
  readonly originOf?: ((name: string) => SettingOrigin) | undefined;
}

export interface ResolvedSettings {
  /** The winning value of each setting some layer set. */
  readonly values: Record<string, unknown>;
  /** Where each value came from. */
  readonly origins: Record<string, SettingOrigin>;
}

/** A key some layer set that no known setting is called: the caller says which plugin is missing. */
export interface UndeclaredSetting {
  readonly name: string;
  readonly origin: SettingOrigin;
}

/**
 * Merges `layers` (highest precedence first) for the settings in `declarations`. Throws one
 * ConfigError listing every bad value; returns the keys no declaration knows, for the caller to
 * report as it sees fit.
 */
export function resolveSettingLayers(
  declarations: ReadonlyMap<string, SettingDeclaration>,
  layers: readonly SettingLayer[],
): ResolvedSettings & { undeclared: UndeclaredSetting[] } {
  const values: Record<string, unknown> = {};
  const origins: Record<string, SettingOrigin> = {};
  const undeclared: UndeclaredSetting[] = [];
  const problems: Array<{ message: string; hint: string }> = [];
  for (const layer of layers) {
    for (const [name, raw] of Object.entries(layer.values)) {
      if (raw === undefined) continue;
      const origin = layer.originOf?.(name) ?? layer.origin;
      const declaration = declarations.get(name);
      if (!declaration) {
        undeclared.push({ name, origin });
        continue;
      }
      // Lower layers are checked too: a bad value in a profile is a mistake even when a flag overrides it.
      const checked = settingValueProblem(name, declaration, raw, origin, { coerce: layer.coerce });
      if (!checked.ok) {
        problems.push(checked);
        continue;
      }
      if (name in values) continue;
      values[name] = checked.value;
      origins[name] = origin;
    }
  }
  if (problems.length === 1) throw new ConfigError(problems[0]!.message, { hint: problems[0]!.hint });
  if (problems.length > 1) throw new ConfigError(`${problems.length} settings have bad values`, { problems: problems.map((problem) => problem.message) });
  return { values, origins, undeclared };
}
