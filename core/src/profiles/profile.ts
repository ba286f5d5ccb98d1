// An export profile: named, reusable export settings (`hyperexport export --profile NAME`).
// A profile is plain JSON, so it is checked as untrusted input: unknown fields are errors (a
// misspelt `compres` must not silently export uncompressed) and every problem is listed at once.
import { ConfigError } from '../errors.ts';
import type { ExportFormat } from '../model.ts';
import { checkAgainstSchema } from '../settings/check-setting-value.ts';
import { CORE_EXPORT_SETTINGS } from '../settings/core-export-settings.ts';
import { renameFormerNames } from '../settings/former-names.ts';
import type { SettingDeclaration } from '../settings/setting-declaration.ts';
import { SettingsRegistry } from '../settings/settings-registry.ts';

/**
 * A profile: a description and settings by name. The core's are typed here; each plugin's are
 * the settings it declares with `profile: true` (`compress`, `targets`...), checked by their schemas.
 */
export interface ExportProfile {
  /** What the profile is for; shown by `hyperexport profiles list`. */
  description?: string | undefined;
  format?: ExportFormat | undefined;
  /** How many disks are read at once (1..64). */
  parallel?: number | undefined;
  /** Replace an existing export of the same name. */
  overwrite?: boolean | undefined;
  /** Local destination directory. */
  output?: string | undefined;
  /** Base name template of the export, e.g. `{vm}-{timestamp}`. */
  name?: string | undefined;
  /** Labels kept in the export's record. */
  tags?: string[] | undefined;
  /** A plugin's setting. */
  [setting: string]: unknown;
}

/** The fields a profile may have, in the order they are written to a file: the description, then each setting. */
export class ProfileSchema {
  readonly fields: readonly string[];
  readonly #settings: ReadonlyMap<string, SettingDeclaration>;

  constructor(settings: ReadonlyMap<string, SettingDeclaration>) {
    this.#settings = settings;
    this.fields = ['description', ...settings.keys()];
  }

  /** The profile settings of a registry (the core's and the loaded plugins'). */
  static of(registry: SettingsRegistry): ProfileSchema {
    return new ProfileSchema(new Map(registry.profileSettings.map((setting) => [setting.name, setting.declaration])));
  }

  get settings(): ReadonlyMap<string, SettingDeclaration> {
    return this.#settings;
  }
}

/** The core's fields only: what a profile may hold when no plugin is loaded. */
export const CORE_PROFILE_SCHEMA = ProfileSchema.of(SettingsRegistry.from(CORE_EXPORT_SETTINGS, []));

export type ProfileCheck =
  | {
      ok: true;
      profile: ExportProfile;
      /** Keys no loaded plugin declares, kept (with `undeclared: 'keep'`) for the caller to report. */
      undeclared?: string[];
    }
  | { ok: false; problems: string[] };

export interface CheckProfileOptions {
  /**
   * A key no loaded plugin declares: `refuse` (a profile being saved, listed or shown) or `keep`
   * it and say so (`export --profile`, which names it and the plugin to add).
   */
  readonly undeclared?: 'refuse' | 'keep';
}

/**
 * Checks an untrusted value (parsed JSON, flags) against the profile schema and returns either
 * the profile, with its fields in canonical order, or every problem found. A key under a former
 * name of a setting is migrated to the current name.
 */
export function checkProfile(value: unknown, schema: ProfileSchema = CORE_PROFILE_SCHEMA, options: CheckProfileOptions = {}): ProfileCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problems: ['a profile is a JSON object ({ ... })'] };
  const renamed = renameFormerNames(value as Record<string, unknown>, schema.settings);
  const problems = [...renamed.problems];
  const undeclared: string[] = [];
  for (const [key, field] of Object.entries(renamed.values)) {
    if (field === undefined) continue;
    if (key === 'description') {
      if (typeof field !== 'string') problems.push(`"description": Expected a string (got ${JSON.stringify(field)})`);
      continue;
    }
    const declaration = schema.settings.get(key);
    if (!declaration) {
      if (options.undeclared === 'keep') undeclared.push(key);
      else
        problems.push(
          `"${key}" is not a known profile field (got ${JSON.stringify(field)}); remove it or check its spelling (known: ${schema.fields.join(', ')}); no loaded plugin declares it`,
        );
      continue;
    }
    const checked = checkAgainstSchema(declaration, field);
    // The schema's `"[1]": Expected a string` for an element of a list reads `"targets[1]": Expected a string`.
    if (!checked.ok) problems.push(...checked.details.map((detail) => (/^"\[/.test(detail) ? `"${key}${detail.slice(1)}` : `"${key}": ${detail}`)));
  }
  if (problems.length > 0) return { ok: false, problems };
  const profile = normalizeProfile(renamed.values as ExportProfile, schema);
  // Undeclared keys stay, after the known ones, so that a caller that keeps them can report them.
  for (const key of undeclared) profile[key] = copy(renamed.values[key]);
  return undeclared.length > 0 ? { ok: true, profile, undeclared } : { ok: true, profile };
}

/** A copy with the fields in canonical order and unset ones left out. */
export function normalizeProfile(profile: ExportProfile, schema: ProfileSchema = CORE_PROFILE_SCHEMA): ExportProfile {
  const out: ExportProfile = {};
  for (const field of schema.fields) {
    const value = profile[field];
    if (value !== undefined) out[field] = copy(value);
  }
  return out;
}

function copy(value: unknown): unknown {
  return Array.isArray(value) ? [...(value as unknown[])] : value;
}

const NAME_MAX_LENGTH = 64;
const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Why `name` cannot name a profile, or undefined when it can. */
export function profileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a profile name cannot be empty';
  if (name.length > NAME_MAX_LENGTH) return `profile name "${name.slice(0, 20)}..." is ${name.length} characters long; at most ${NAME_MAX_LENGTH} are allowed`;
  if (name.startsWith('.')) return `profile name "${name}" starts with "."; names cannot be hidden files or relative paths`;
  if (!NAME_PATTERN.test(name)) {
    const bad = [...new Set([...name].filter((char) => !/[A-Za-z0-9._-]/.test(char)))].map((char) => JSON.stringify(char)).join(', ');
    return `profile name "${name}" contains ${bad}; use only letters, digits, ".", "_" and "-"`;
  }
  return undefined;
}

/**
 * Checks a profile name, which becomes a file name in the profiles folder: letters, digits, `.`,
 * `_` and `-`, 1 to 64 characters, not starting with `.`. So a name can never be a path (no
 * separators), climb out of the folder (`..`) or hide a file. Throws a ConfigError otherwise.
 */
export function validateProfileName(name: string): void {
  const problem = profileNameProblem(name);
  if (problem) throw new ConfigError(problem, { hint: 'profile names are letters, digits, ".", "_" and "-", 1 to 64 characters, not starting with "."' });
}
