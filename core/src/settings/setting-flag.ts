// The flag of a setting: declared, or `--` and the kebab-case of its name (`snapshotBefore` ->
// `--snapshot-before`), so a setting named once has its flag without repeating it.
import type { SettingDeclaration } from './setting-declaration.ts';

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** The main spelling, e.g. `--snapshot-before`. */
export function flagOf(name: string, declaration: SettingDeclaration): string {
  return declaration.flag ?? `--${kebabCase(name)}`;
}

/** Every spelling, main first, as clipanion takes them: `--insecure,-k`. */
export function flagSpellings(name: string, declaration: SettingDeclaration): string[] {
  return [flagOf(name, declaration), ...(declaration.flagAliases ?? [])];
}
