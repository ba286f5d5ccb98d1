// Clipanion options made from setting declarations, so a command's flags are the loaded plugins'
// settings. clipanion finds a command's options by instantiating the class and scanning its own
// properties, so a subclass whose constructor assigns one Option per setting gets them all.
import { Option } from 'clipanion';
import { ConfigError } from '../errors.ts';
import type { SettingDeclaration } from '../settings/setting-declaration.ts';
import { flagOf, flagSpellings } from '../settings/setting-flag.ts';
import type { SettingOrigin } from '../settings/setting-origin.ts';
import type { DeclaredSetting } from '../settings/settings-registry.ts';
import { withPlaceholder } from './placeholders.ts';

/** The property a setting's option lives under; prefixed so it never meets a command's own fields. */
function propertyOf(name: string): string {
  return `setting:${name}`;
}

function optionFor(setting: DeclaredSetting): unknown {
  const { name, declaration } = setting;
  const spellings = flagSpellings(name, declaration).join(',');
  const details = { description: describe(setting) };
  let option: unknown;
  if (declaration.kind === 'boolean')
    option = declaration.acceptsValue ? Option.String(spellings, { ...details, tolerateBoolean: true }) : Option.Boolean(spellings, details);
  else if (declaration.kind === 'list') option = Option.Array(spellings, details);
  else option = Option.String(spellings, details);
  const placeholder = declaration.placeholder ?? (declaration.acceptsValue ? 'BOOL' : undefined);
  return placeholder ? withPlaceholder(placeholder, option) : option;
}

function describe(setting: DeclaredSetting): string {
  const { declaration } = setting;
  const notes = [declaration.env ? `default: ${declaration.env}` : undefined].filter(Boolean);
  return notes.length > 0 ? `${declaration.description} (${notes.join('; ')})` : declaration.description;
}

/** Adds one option per setting to a command instance (call it from the constructor). */
export function addSettingOptions(command: object, settings: readonly DeclaredSetting[]): void {
  for (const setting of settings) (command as Record<string, unknown>)[propertyOf(setting.name)] = optionFor(setting);
}

/**
 * The values the command line gave, by setting name, as text (coerced and checked when resolved):
 * only the flags given, so lower layers (a profile, the config) apply to the others.
 */
export function settingFlagValues(command: object, settings: readonly DeclaredSetting[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const { name, declaration } of settings) {
    const raw = (command as Record<string, unknown>)[propertyOf(name)];
    if (raw === undefined) continue;
    values[name] = declaration.kind === 'boolean' && declaration.acceptsValue ? parseBooleanValue(name, declaration, raw) : raw;
  }
  return values;
}

/** Where a flag's value came from, for messages: `--compress`. */
export function flagOrigin(settings: readonly DeclaredSetting[]): (name: string) => SettingOrigin {
  return (name) => {
    const setting = settings.find((candidate) => candidate.name === name);
    return { channel: 'flag', where: setting ? flagOf(name, setting.declaration) : name };
  };
}

/** `--keep-local` alone or `=true` is true; `=false` is false; anything else is a usage error. */
function parseBooleanValue(name: string, declaration: SettingDeclaration, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (/^(true|yes|1)$/i.test(String(value))) return true;
  if (/^(false|no|0)$/i.test(String(value))) return false;
  const flag = flagOf(name, declaration);
  throw new ConfigError(`${flag}=${String(value)} is not true or false`, { hint: `write ${flag} or ${flag}=false` });
}
