// Every place a config is found without --config, nearest first, and where the search stops.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { CONFIG_SEARCH_PLACES, USER_CONFIG_PLACES, projectSearchDirs, userConfigDir } from './config-discovery.ts';

let root: string;
let cases = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hyperexport-config-discovery-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** The content of a config at `place` whose export output is `marker`, in the file's own format. */
function configText(place: string, marker: string): string {
  const config = { export: { output: marker } };
  if (place.endsWith('package.json')) return JSON.stringify({ name: 'some-project', hyperexport: config });
  if (/\.(c)js$/.test(place)) return `module.exports = ${JSON.stringify(config)};\n`;
  if (/\.(js|mjs|ts|mts)$/.test(place)) return `export default ${JSON.stringify(config)};\n`;
  if (/\.(yaml|yml)$/.test(place) || !/\.[a-z]+$/.test(place.split('/').pop()!)) return `export:\n  output: ${marker}\n`;
  return JSON.stringify(config);
}

/** A fresh home folder with a project in it, and the environment that points at them. */
async function freshHome() {
  const home = join(root, `home-${++cases}`);
  const project = join(home, 'work', 'project');
  await mkdir(join(project, 'deep', 'er'), { recursive: true });
  return { home, project, env: { HOME: home } as NodeJS.ProcessEnv };
}

async function write(path: string, text: string) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

describe('config discovery', () => {
  it.each(CONFIG_SEARCH_PLACES)('finds %s in a folder above the working directory', async (place) => {
    const { project, env } = await freshHome();
    await write(join(project, place), configText(place, `from ${place}`));
    const loaded = await loadConfig({ cwd: join(project, 'deep', 'er'), command: 'export', env });
    expect(loaded.filepath).toBe(join(project, place));
    expect(loaded.exportDefaults.output).toBe(`from ${place}`);
  });

  it.each(USER_CONFIG_PLACES)('finds the per-user %s in $XDG_CONFIG_HOME/hyperexport when no project has one', async (place) => {
    const { home, project } = await freshHome();
    const xdg = join(home, 'xdg');
    await write(join(xdg, 'hyperexport', place), configText(place, `user ${place}`));
    const loaded = await loadConfig({ cwd: project, command: 'export', env: { HOME: home, XDG_CONFIG_HOME: xdg } });
    expect(loaded.filepath).toBe(join(xdg, 'hyperexport', place));
    expect(loaded.exportDefaults.output).toBe(`user ${place}`);
  });

  it('uses ~/.config/hyperexport without XDG_CONFIG_HOME, or with a relative one (the XDG spec ignores it)', async () => {
    const { home, project, env } = await freshHome();
    await write(join(home, '.config', 'hyperexport', 'config.yaml'), configText('config.yaml', 'home config'));
    expect((await loadConfig({ cwd: project, command: 'export', env })).exportDefaults.output).toBe('home config');
    expect((await loadConfig({ cwd: project, command: 'export', env: { ...env, XDG_CONFIG_HOME: 'relative/dir' } })).exportDefaults.output).toBe('home config');
    expect(userConfigDir({ HOME: home, XDG_CONFIG_HOME: 'relative/dir' })).toBe(join(home, '.config', 'hyperexport'));
  });

  it("a project's config wins over the per-user one, the nearest over one further up", async () => {
    const { home, project, env } = await freshHome();
    await write(join(home, '.config', 'hyperexport', 'config.json'), configText('config.json', 'user'));
    await write(join(home, 'work', '.hyperexportrc'), configText('.hyperexportrc', 'work'));
    await write(join(project, 'deep', 'hyperexport.config.json'), configText('x.json', 'deep'));
    expect((await loadConfig({ cwd: join(project, 'deep', 'er'), command: 'export', env })).exportDefaults.output).toBe('deep');
    expect((await loadConfig({ cwd: project, command: 'export', env })).exportDefaults.output).toBe('work');
  });

  it("stops at the project's root (a package.json) and at the home folder", async () => {
    const { home, project, env } = await freshHome();
    // Above the project root: not this project's.
    await write(join(home, 'work', '.hyperexportrc.json'), configText('.json', 'above the project'));
    await write(join(project, 'package.json'), JSON.stringify({ name: 'no-config-key' }));
    expect(await projectSearchDirs(join(project, 'deep'), env)).toEqual([join(project, 'deep'), project]);
    expect((await loadConfig({ cwd: join(project, 'deep'), command: 'export', env })).filepath).toBeUndefined();
    // Above the home folder: another user's, or the system's.
    const above = join(root, `above-${cases}`);
    const otherHome = join(above, 'home');
    await mkdir(join(otherHome, 'elsewhere'), { recursive: true });
    await write(join(above, '.hyperexportrc'), configText('.hyperexportrc', 'above home'));
    const homeEnv = { HOME: otherHome };
    expect(await projectSearchDirs(join(otherHome, 'elsewhere'), homeEnv)).toEqual([join(otherHome, 'elsewhere'), otherHome]);
    expect((await loadConfig({ cwd: join(otherHome, 'elsewhere'), command: 'export', env: homeEnv })).filepath).toBeUndefined();
    // Outside the home folder and any project, the search goes up to /.
    expect((await loadConfig({ cwd: above, command: 'export', env })).filepath).toBe(join(above, '.hyperexportrc'));
  });

  it('--config still names any file, found or not', async () => {
    const { project, env } = await freshHome();
    await write(join(project, 'elsewhere.yaml'), configText('x.yaml', 'named'));
    expect((await loadConfig({ explicitPath: 'elsewhere.yaml', cwd: project, command: 'export', env })).exportDefaults.output).toBe('named');
    await expect(loadConfig({ explicitPath: 'missing.json', cwd: project, command: 'export', env })).rejects.toThrow('config file not found: missing.json');
  });
});
