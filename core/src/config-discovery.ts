// Where a config is looked for when --config names none: the places cosmiconfig users expect
// (`.hyperexportrc`, `.config/hyperexportrc.*`, a "hyperexport" key in package.json, ...) in the
// working directory and each folder above it, then one per-user config. The upward search stops
// at the project's root (a folder with a package.json) or at the home folder, so a config in a
// parent of either (another user's project, `/`) is never picked up by surprise.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

const MODULE_NAME = 'hyperexport';
const EXTENSIONS = ['json', 'yaml', 'yml', 'js', 'ts', 'mjs', 'cjs', 'mts'] as const;

/**
 * The places looked at in each folder, first found wins: `hyperexport.config.*` (this project's
 * own name), then cosmiconfig's defaults (`package.json` "hyperexport" key, `.hyperexportrc` as
 * JSON or YAML, `.hyperexportrc.*`, `.config/hyperexportrc*`).
 */
export const CONFIG_SEARCH_PLACES: readonly string[] = [
  'package.json',
  `${MODULE_NAME}.config.ts`,
  `${MODULE_NAME}.config.mts`,
  `${MODULE_NAME}.config.js`,
  `${MODULE_NAME}.config.mjs`,
  `${MODULE_NAME}.config.cjs`,
  `${MODULE_NAME}.config.json`,
  `${MODULE_NAME}.config.yaml`,
  `${MODULE_NAME}.config.yml`,
  `.${MODULE_NAME}rc`,
  ...EXTENSIONS.map((extension) => `.${MODULE_NAME}rc.${extension}`),
  `.config/${MODULE_NAME}rc`,
  ...EXTENSIONS.map((extension) => `.config/${MODULE_NAME}rc.${extension}`),
];

/** The places looked at in the per-user folder (`~/.config/hyperexport/`). */
export const USER_CONFIG_PLACES: readonly string[] = ['config', ...EXTENSIONS.map((extension) => `config.${extension}`)];

/** `$XDG_CONFIG_HOME/hyperexport`, else `~/.config/hyperexport` (a relative XDG_CONFIG_HOME is ignored, as the spec says). */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, MODULE_NAME);
}

/**
 * The folders searched, nearest first: `cwd`, then each parent up to and including the first
 * that holds a package.json (the project's root) or is the home folder, else up to `/`.
 */
export async function projectSearchDirs(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const home = env.HOME || homedir();
  const dirs: string[] = [];
  let dir = cwd;
  for (;;) {
    dirs.push(dir);
    if (dir === home || (await exists(join(dir, 'package.json')))) break;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dirs;
}

/** For messages: where a search from `cwd` looked (`./` up to `~/`, then the per-user folder). */
export function describeSearch(dirs: readonly string[], userDir: string, cwd: string): string {
  const last = dirs.at(-1) ?? cwd;
  const upTo = last === cwd ? cwd : `${cwd} and each folder above it up to ${last}`;
  return `hyperexport.config.*, .hyperexportrc*, .config/hyperexportrc* and a "hyperexport" key in package.json in ${upTo}, then ${userDir}/config.*`;
}

/**
 * Whether a folder can be searched. One that cannot (another user's home, when run as `nobody`)
 * is skipped, as cosmiconfig skips a file it may not read, rather than failing every command.
 */
export async function isSearchable(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
