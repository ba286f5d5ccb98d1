// A setting a plugin (or the core) declares, in the spirit of rclone's RegInfo.Options: one name,
// one typanion schema, and every channel it may come through. The config option of the plugin,
// the profile key and the command-line flag are the same setting under the same name, so a user
// who learns `--snapshot-before` also knows `"snapshotBefore": true` in a profile and
// `snapshot({ snapshotBefore: true })` in a config.
import type * as t from 'typanion';

/** How the flag of a setting parses: a switch, one value, or a value repeated for a list. */
export type SettingFlagKind = 'boolean' | 'string' | 'list';

export interface SettingDeclaration<T = unknown> {
  /** Checks a value from every channel; a bad value is a usage error naming the setting and the channel. */
  readonly schema: t.StrictValidator<unknown, T>;
  readonly kind: SettingFlagKind;
  /** One line for `--help`. */
  readonly description: string;
  /** The flag, e.g. `--upload`; default: `--` and the kebab-case of the name. */
  readonly flag?: string | undefined;
  /** Other spellings of the flag, e.g. `-k` or `--target`. */
  readonly flagAliases?: readonly string[] | undefined;
  /** What the value is, for help: `DIR`, `FILE`, `URL`, `N`. */
  readonly placeholder?: string | undefined;
  /** A profile may carry it (`hyperexport profiles save`, `--profile`). */
  readonly profile?: boolean | undefined;
  /** An environment variable that sets it when no flag, profile or config does. */
  readonly env?: string | undefined;
  /** The value is a secret (or names one): it is never echoed in a message. */
  readonly secret?: boolean | undefined;
  /** The value when no channel sets it. */
  readonly default?: T | undefined;
  /**
   * A boolean flag that also takes `=true` / `=false` (`--keep-local=false`), for a setting whose
   * default is on.
   */
  readonly acceptsValue?: boolean | undefined;
  /**
   * Earlier names of the setting (a plugin option such as snapshot's `before`, a profile key): a
   * config or a profile written with one still loads, its value taken as this setting's.
   */
  readonly formerNames?: readonly string[] | undefined;
}

/** The settings of one plugin (or of the core), by name. */
export type SettingsDeclarations = Readonly<Record<string, SettingDeclaration<any>>>;

export type SettingValue<D> = D extends SettingDeclaration<infer T> ? T : never;

/** What a plugin reads: each declared setting's value, or undefined where no channel set it. */
export type SettingValues<S extends SettingsDeclarations> = { readonly [K in keyof S]: SettingValue<S[K]> | undefined };
