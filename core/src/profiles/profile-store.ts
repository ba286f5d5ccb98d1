// Saved profiles: one JSON file per profile, `NAME.json`, in `~/.hyperexport/profiles` (or the
// folder named by HYPEREXPORT_PROFILES_DIR). Built-in names are reserved: a file named like a
// built-in is never loaded, so a built-in means the same everywhere.
import { chmod, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { BUILTIN_PROFILE_NAMES, builtinProfile, isBuiltinProfileName } from './builtin-profiles.ts';
import { checkProfile, profileNameProblem, validateProfileName } from './profile.ts';
import type { CheckProfileOptions, ExportProfile, ProfileSchema } from './profile.ts';

export const PROFILES_DIR_ENV = 'HYPEREXPORT_PROFILES_DIR';

/** Where saved profiles live: `$HYPEREXPORT_PROFILES_DIR`, else `~/.hyperexport/profiles`. */
export function profilesDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[PROFILES_DIR_ENV];
  return configured ? resolve(configured) : join(homedir(), '.hyperexport', 'profiles');
}

export interface ProfileStoreOptions {
  /** The profiles folder; default `profilesDirectory()`. */
  directory?: string | undefined;
  /** The fields a profile may have: the core's and the loaded plugins' profile settings; default the core's. */
  schema?: ProfileSchema | undefined;
  /** What to do with a key no loaded plugin declares (see CheckProfileOptions); default refuse. */
  undeclared?: CheckProfileOptions['undeclared'];
}

export type ProfileSource = 'built-in' | 'saved';

/** One line of `profiles list`. A saved file that cannot be used has `problem` and no `profile`. */
export interface ProfileEntry {
  readonly name: string;
  readonly source: ProfileSource;
  /** The file of a saved profile. */
  readonly path?: string | undefined;
  readonly description?: string | undefined;
  readonly profile?: ExportProfile | undefined;
  /** Why a saved file cannot be used (bad JSON, unknown field, reserved name). */
  readonly problem?: string | undefined;
}

/** A profile found by name, with where it came from. */
export interface ResolvedProfile {
  readonly name: string;
  readonly source: ProfileSource;
  readonly path?: string | undefined;
  readonly profile: ExportProfile;
}

const EXTENSION = '.json';

/**
 * Built-in profiles first (in their fixed order), then saved ones by name. A saved file that is
 * malformed is listed with its problem rather than failing the whole list.
 */
export async function listProfiles(options: ProfileStoreOptions = {}): Promise<ProfileEntry[]> {
  const directory = options.directory ?? profilesDirectory();
  const entries: ProfileEntry[] = BUILTIN_PROFILE_NAMES.map((name) => {
    const profile = builtinProfile(name) as ExportProfile;
    return { name, source: 'built-in', description: profile.description, profile };
  });
  for (const file of await savedFiles(directory)) {
    const name = file.slice(0, -EXTENSION.length);
    const path = join(directory, file);
    const nameProblem = profileNameProblem(name);
    if (nameProblem) {
      entries.push({ name, source: 'saved', path, problem: `ignored: ${nameProblem}; rename the file` });
      continue;
    }
    if (isBuiltinProfileName(name)) {
      entries.push({ name, source: 'saved', path, problem: `ignored: "${name}" is a built-in profile name; rename the file` });
      continue;
    }
    try {
      const profile = await readProfileFile(path, options);
      entries.push({ name, source: 'saved', path, description: profile.description, profile });
    } catch (error) {
      entries.push({ name, source: 'saved', path, problem: describeProblem(error, path) });
    }
  }
  return entries;
}

/** Finds a profile by name: a built-in, else `NAME.json` in the profiles folder. */
export async function resolveProfile(name: string, options: ProfileStoreOptions = {}): Promise<ResolvedProfile> {
  validateProfileName(name);
  const builtin = builtinProfile(name);
  if (builtin) return { name, source: 'built-in', profile: builtin };
  // (A built-in is not checked here: its keys are reported by the caller against the loaded plugins.)
  const directory = options.directory ?? profilesDirectory();
  const path = profilePath(directory, name);
  try {
    return { name, source: 'saved', path, profile: await readProfileFile(path, options) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw await unknownProfileError(name, directory);
    throw error;
  }
}

/** The settings of the profile called `name`. Throws a ConfigError that says what is wrong. */
export async function loadProfile(name: string, options: ProfileStoreOptions = {}): Promise<ExportProfile> {
  return (await resolveProfile(name, options)).profile;
}

/**
 * Reads and checks one profile file. Malformed JSON, an unknown field or a wrong type is a
 * ConfigError naming the file and listing every problem; a missing file rejects with ENOENT.
 */
export async function readProfileFile(path: string, options: Pick<ProfileStoreOptions, 'schema' | 'undeclared'> = {}): Promise<ExportProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    throw new ConfigError(`cannot read profile ${path}: ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON: ${(error as Error).message}`, {
      hint: 'a profile is a JSON object, e.g. { "format": "ova", "compress": "zstd" }',
      cause: error,
    });
  }
  const checked = checkProfile(value, options.schema, { undeclared: options.undeclared ?? 'refuse' });
  if (!checked.ok) throw problemsError(path, checked.problems);
  return checked.profile;
}

export interface SaveProfileOptions extends ProfileStoreOptions {
  /** Replace a saved profile of the same name. */
  force?: boolean | undefined;
  /** When the file exists, leave it and return `written: false` instead of failing. */
  skipExisting?: boolean | undefined;
}

export interface SavedProfile {
  readonly name: string;
  readonly path: string;
  /** False when `skipExisting` left an existing file alone. */
  readonly written: boolean;
}

/**
 * Saves a profile as `NAME.json`, atomically: the JSON goes to a temporary file in the same
 * folder, is fsynced, and only then takes the final name, so a crash never leaves a half-written
 * profile. An existing profile is replaced only with `force`. Built-in names are refused.
 */
export async function saveProfile(name: string, profile: ExportProfile, options: SaveProfileOptions = {}): Promise<SavedProfile> {
  validateProfileName(name);
  if (isBuiltinProfileName(name)) {
    throw new ConfigError(`"${name}" is a built-in profile and cannot be replaced; save it under another name`, {
      hint: `e.g. hyperexport profiles save my-${name} ...`,
    });
  }
  const checked = checkProfile(profile, options.schema, { undeclared: options.undeclared ?? 'refuse' });
  if (!checked.ok) throw problemsError(`profile "${name}"`, checked.problems);
  const directory = options.directory ?? profilesDirectory();
  await ensureDirectory(directory);
  const path = profilePath(directory, name);
  const written = await writeFileAtomic(path, `${JSON.stringify(checked.profile, null, 2)}\n`, { ifAbsent: !options.force });
  if (!written) {
    if (options.skipExisting) return { name, path, written: false };
    throw new ConfigError(`profile "${name}" already exists: ${path}`, { hint: 'add --force to replace it, or choose another name' });
  }
  return { name, path, written: true };
}

/** Deletes a saved profile; returns the path removed. Built-in profiles cannot be deleted. */
export async function deleteProfile(name: string, options: ProfileStoreOptions = {}): Promise<string> {
  validateProfileName(name);
  if (isBuiltinProfileName(name)) throw new ConfigError(`"${name}" is a built-in profile and cannot be deleted`);
  const directory = options.directory ?? profilesDirectory();
  const path = profilePath(directory, name);
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw await unknownProfileError(name, directory);
    throw new ConfigError(`cannot delete profile ${path}: ${(error as Error).message}`, { cause: error });
  }
  return path;
}

function profilePath(directory: string, name: string): string {
  return join(directory, `${name}${EXTENSION}`);
}

/** `*.json` file names in the folder, sorted, leaving out dot files (temporary files). */
async function savedFiles(directory: string): Promise<string[]> {
  let dirents;
  try {
    dirents = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(`cannot read the profiles folder ${directory}: ${(error as Error).message}`, {
      hint: `set ${PROFILES_DIR_ENV} to use another folder`,
      cause: error,
    });
  }
  return dirents
    .filter((dirent) => (dirent.isFile() || dirent.isSymbolicLink()) && dirent.name.endsWith(EXTENSION) && !dirent.name.startsWith('.'))
    .map((dirent) => dirent.name)
    .sort();
}

async function unknownProfileError(name: string, directory: string): Promise<ConfigError> {
  const saved = (await savedFiles(directory).catch(() => []))
    .map((file) => file.slice(0, -EXTENSION.length))
    .filter((saved) => !profileNameProblem(saved) && !isBuiltinProfileName(saved));
  const available = [...BUILTIN_PROFILE_NAMES, ...saved].join(', ');
  const hint = name.endsWith(EXTENSION)
    ? `give the name without "${EXTENSION}": ${name.slice(0, -EXTENSION.length)}`
    : 'see hyperexport profiles list; hyperexport profiles save NAME creates one';
  return new ConfigError(`unknown profile "${name}"; available: ${available}`, { hint });
}

function problemsError(where: string, problems: string[]): ConfigError {
  if (problems.length === 1) return new ConfigError(`${where}: ${problems[0]}`);
  return new ConfigError(`${where}: ${problems.length} problems`, { problems });
}

/** One line for `profiles list`: the message and every collected problem. */
function describeProblem(error: unknown, path: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const withoutPath = message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
  const problems = error instanceof ConfigError ? error.problems : [];
  return problems.length > 0 ? `${withoutPath}: ${problems.join('; ')}` : withoutPath;
}

/** Creates the folder private to the user (profiles can name hosts and buckets). */
async function ensureDirectory(directory: string): Promise<void> {
  try {
    const created = await mkdir(directory, { recursive: true, mode: 0o700 });
    // The umask may have removed bits from the mode; set it exactly on a folder we created.
    if (created !== undefined) await chmod(directory, 0o700);
  } catch (error) {
    throw new ConfigError(`cannot create the profiles folder ${directory}: ${(error as Error).message}`, {
      hint: `set ${PROFILES_DIR_ENV} to use another folder`,
      cause: error,
    });
  }
}
