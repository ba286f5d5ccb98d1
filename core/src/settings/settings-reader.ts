// How a plugin reads its own settings for a job, typed, with no cast on `spec.extra`: the value
// the command line, a profile or the config's export section set (resolved into `spec.extra` by
// the CLI, or set there by a program calling runJob), else the plugin's option in the config,
// else the declared environment variable, else the declared default.
import type { JobSpec } from '../model.ts';
import { checkSettingValue } from './check-setting-value.ts';
import type { SettingsDeclarations, SettingValues } from './setting-declaration.ts';

export interface SettingsReader<S extends SettingsDeclarations> {
  /** The plugin's settings for this job. Throws a ConfigError for a value its schema refuses. */
  of(spec: Pick<JobSpec, 'extra'>): SettingValues<S>;
  /**
   * Only what the job itself sets (flags, a profile, the config's export section), without the
   * plugin's options, the environment or defaults: for a check of what the user asked this time.
   */
  fromJob(spec: Pick<JobSpec, 'extra'>): Partial<SettingValues<S>>;
  /** The settings outside any job (a plugin's command): options, environment, defaults. */
  readonly configured: SettingValues<S>;
}

export function createSettingsReader<S extends SettingsDeclarations>(
  pluginName: string,
  declarations: S | undefined,
  fromOptions: Readonly<Record<string, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): SettingsReader<S> {
  const names = Object.keys(declarations ?? {});
  const read = (extra: Readonly<Record<string, unknown>>, jobOnly = false): SettingValues<S> => {
    const values: Record<string, unknown> = {};
    for (const name of names) {
      const declaration = declarations![name]!;
      if (Object.hasOwn(extra, name) && extra[name] !== undefined) {
        values[name] = checkSettingValue(name, declaration, extra[name], { channel: 'job', where: `spec.extra.${name}` });
      } else if (jobOnly) {
        continue;
      } else if (fromOptions[name] !== undefined) {
        values[name] = fromOptions[name];
      } else if (declaration.env !== undefined && env[declaration.env] !== undefined && env[declaration.env] !== '') {
        values[name] = checkSettingValue(name, declaration, env[declaration.env], { channel: 'environment', where: declaration.env }, { coerce: true });
      } else {
        values[name] = declaration.default;
      }
    }
    return Object.freeze(values) as SettingValues<S>;
  };
  // A job's spec is frozen: read it once.
  const cache = new WeakMap<object, SettingValues<S>>();
  let configured: SettingValues<S> | undefined;
  return {
    of(spec) {
      const cached = cache.get(spec.extra);
      if (cached) return cached;
      const values = read(spec.extra);
      cache.set(spec.extra, values);
      return values;
    },
    fromJob(spec) {
      return read(spec.extra, true);
    },
    get configured() {
      return (configured ??= read({}));
    },
  };
}

/** The reader of a plugin that declares no settings. */
export const NO_SETTINGS: SettingsReader<{}> = createSettingsReader('', {});
