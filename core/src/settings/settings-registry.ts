// Every setting the loaded plugins (and the core) declare, by name, with the plugins declaring
// each. Several plugins may read one setting (`passphraseFile`: encrypt-aes and encrypt-pgp; `notify`:
// every notifier), under one declaration: the first wins, and the others must agree on its kind.
import type { SettingDeclaration, SettingsDeclarations } from './setting-declaration.ts';
import { flagSpellings } from './setting-flag.ts';

export interface DeclaredSetting {
  readonly name: string;
  readonly declaration: SettingDeclaration;
  /** Plugin names, or `core`. */
  readonly declaredBy: readonly string[];
}

export const CORE_OWNER = 'core';

export class SettingsRegistry {
  readonly #settings = new Map<string, { name: string; declaration: SettingDeclaration; declaredBy: string[] }>();
  /** Declarations that cannot be combined (a kind or a flag in conflict), for the config error. */
  readonly problems: string[] = [];

  /**
   * `core` first, then each plugin's, in load order. `reservedFlags` are the command's own flags
   * (`--source`, `--output`...), which no setting may take.
   */
  static from(
    core: SettingsDeclarations,
    plugins: ReadonlyArray<{ readonly name: string; readonly settings?: SettingsDeclarations | undefined }>,
    reservedFlags: readonly string[] = [],
  ): SettingsRegistry {
    const registry = new SettingsRegistry();
    const flagOwners = new Map<string, string>(reservedFlags.map((flag) => [flag, `the command's own ${flag}`]));
    const add = (owner: string, settings: SettingsDeclarations | undefined) => {
      for (const [name, declaration] of Object.entries(settings ?? {})) {
        const known = registry.#settings.get(name);
        if (known) {
          if (known.declaration.kind !== declaration.kind) {
            registry.problems.push(
              `plugin "${owner}" declares the setting "${name}" as a ${declaration.kind}, but ${known.declaredBy.join(', ')} declared it as a ${known.declaration.kind}`,
            );
          } else if (!known.declaredBy.includes(owner)) known.declaredBy.push(owner);
          continue;
        }
        const taken = flagSpellings(name, declaration).filter((flag) => flagOwners.has(flag));
        if (taken.length > 0) {
          registry.problems.push(`plugin "${owner}" declares the setting "${name}" with the flag ${taken[0]}, which is already ${flagOwners.get(taken[0]!)}`);
          continue;
        }
        for (const flag of flagSpellings(name, declaration)) flagOwners.set(flag, `the flag of "${name}" (${owner})`);
        registry.#settings.set(name, { name, declaration, declaredBy: [owner] });
      }
    };
    add(CORE_OWNER, core);
    for (const plugin of plugins) add(plugin.name, plugin.settings);
    return registry;
  }

  get(name: string): DeclaredSetting | undefined {
    return this.#settings.get(name);
  }

  /** Every setting, core first, in declaration order. */
  get all(): DeclaredSetting[] {
    return [...this.#settings.values()];
  }

  /** The settings a profile may carry. */
  get profileSettings(): DeclaredSetting[] {
    return this.all.filter((setting) => setting.declaration.profile === true);
  }

  /** Name -> declaration, as resolveSettingLayers takes it. */
  get declarations(): Map<string, SettingDeclaration> {
    return new Map(this.all.map((setting) => [setting.name, setting.declaration]));
  }
}
