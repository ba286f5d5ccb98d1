// Packages as users get them: `npm pack` of a workspace package (or an example), installed with
// npm into a project in the system's temporary folder, outside the workspace, so nothing resolves
// through the monorepo's node_modules. npm works from its cache (`--offline`); a package missing
// there is fetched from the registry (`--prefer-offline`) rather than failing the test.
import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { REPO_ROOT } from './cli.ts';

export interface NpmRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs npm in `cwd` with this Node first on the PATH (its scripts and `tsc` run on it too) and
 * without the `npm_*` variables of an enclosing `npm test`, which would point npm at the workspace.
 */
export function npm(args: readonly string[], cwd: string, timeoutMs = 300_000): Promise<NpmRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  env.PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return new Promise((resolve) => {
    execFile('npm', args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Throws with npm's output when it failed: a test then shows why. */
export function expectNpmSucceeded(run: NpmRun, what: string): void {
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
}

/** `npm pack` of the package in `packageDirectory` into `destination`; returns the tarball's path. */
export async function packPackage(packageDirectory: string, destination: string): Promise<string> {
  const run = await npm(['pack', '--json', '--pack-destination', destination], packageDirectory);
  expectNpmSucceeded(run, `npm pack in ${packageDirectory}`);
  // `prepack` scripts (a build) print before the JSON.
  const json = run.stdout.slice(run.stdout.indexOf('['));
  const [packed] = JSON.parse(json) as { filename: string }[];
  if (!packed) throw new Error(`npm pack in ${packageDirectory} reported no tarball:\n${run.stdout}`);
  return join(destination, packed.filename);
}

/** Installs `specs` (tarballs, names) in `project`, from npm's cache when it has everything. */
export async function npmInstall(project: string, specs: readonly string[], extra: readonly string[] = []): Promise<void> {
  const offline = await npm(['install', '--offline', '--no-package-lock', ...extra, ...specs], project);
  if (offline.code === 0) return;
  if (!/ENOTCACHED|cache mode is 'only-if-cached'/.test(offline.stderr)) expectNpmSucceeded(offline, `npm install ${specs.join(' ')}`);
  expectNpmSucceeded(await npm(['install', '--prefer-offline', '--no-package-lock', ...extra, ...specs], project), `npm install ${specs.join(' ')}`);
}

/** A new empty folder in the system's temporary folder, checked to lie outside the workspace. */
export async function folderOutsideWorkspace(prefix: string): Promise<string> {
  const folder = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  const fromRepo = relative(await realpath(REPO_ROOT), folder);
  if (!fromRepo.startsWith('..')) throw new Error(`${folder} lies inside the workspace ${REPO_ROOT}; set TMPDIR to a folder outside it`);
  return folder;
}

/** Packs @hyperexport/core (its `dist` must be built: vitest's global setup builds it). */
export function packCore(destination: string): Promise<string> {
  return packPackage(join(REPO_ROOT, 'core'), destination);
}

export async function removeFolder(folder: string | undefined): Promise<void> {
  if (folder) await rm(folder, { recursive: true, force: true });
}
