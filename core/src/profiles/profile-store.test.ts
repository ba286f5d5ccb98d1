import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { SAMPLE_PROFILE_SCHEMA } from '../testing/sample-settings.ts';
import { deleteProfile, listProfiles, loadProfile, profilesDirectory, resolveProfile, saveProfile } from './profile-store.ts';

let root: string;
let directory: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hyperexport-profiles-'));
  directory = join(root, 'profiles');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('profilesDirectory', () => {
  it('is HYPEREXPORT_PROFILES_DIR when set, else ~/.hyperexport/profiles', () => {
    expect(profilesDirectory({ HYPEREXPORT_PROFILES_DIR: '/srv/profiles' })).toBe('/srv/profiles');
    expect(profilesDirectory({ HOME: '/home/u' })).toMatch(/\.hyperexport\/profiles$/);
  });
});

describe('saveProfile / loadProfile / deleteProfile', () => {
  it('round-trips a profile through a file in a folder it creates private', async () => {
    const saved = await saveProfile('nightly', { targets: ['s3://b/p'], format: 'ova', compress: 'zstd' }, { directory, schema: SAMPLE_PROFILE_SCHEMA });
    expect(saved).toEqual({ name: 'nightly', path: join(directory, 'nightly.json'), written: true });
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(saved.path, 'utf8'))).toEqual({ format: 'ova', compress: 'zstd', targets: ['s3://b/p'] });
    expect(await loadProfile('nightly', { directory, schema: SAMPLE_PROFILE_SCHEMA })).toEqual({ format: 'ova', compress: 'zstd', targets: ['s3://b/p'] });
    expect(await resolveProfile('nightly', { directory, schema: SAMPLE_PROFILE_SCHEMA })).toMatchObject({ source: 'saved', path: saved.path });
    expect(await deleteProfile('nightly', { directory })).toBe(saved.path);
    expect(await readdir(directory)).toEqual([]);
  });

  it('writes atomically: no temporary file is left, whether the save succeeds or is refused', async () => {
    await saveProfile('one', { format: 'ova' }, { directory });
    await rejection(saveProfile('one', { format: 'ovf' }, { directory }));
    await saveProfile('two', { parallel: 3 }, { directory });
    expect((await readdir(directory)).sort()).toEqual(['one.json', 'two.json']);
    expect(await loadProfile('one', { directory })).toEqual({ format: 'ova' });
  });

  it('refuses to replace a saved profile without force, and replaces it with force', async () => {
    await saveProfile('p', { format: 'ova' }, { directory });
    const error = await rejection(saveProfile('p', { format: 'ovf' }, { directory }));
    expect(error.message).toMatch(/already exists/);
    expect(error.hint).toMatch(/--force/);
    await saveProfile('p', { format: 'ovf' }, { directory, force: true });
    expect(await loadProfile('p', { directory })).toEqual({ format: 'ovf' });
    expect(await readdir(directory)).toEqual(['p.json']);
  });

  it('lets exactly one of several racing saves of a new name win', async () => {
    const saves = await Promise.allSettled([1, 2, 3, 4, 5].map((parallel) => saveProfile('race', { parallel }, { directory })));
    const won = saves.flatMap((result, index) => (result.status === 'fulfilled' ? [index + 1] : []));
    expect(won).toHaveLength(1);
    expect(await loadProfile('race', { directory })).toEqual({ parallel: won[0] });
    expect(await readdir(directory)).toEqual(['race.json']);
  });

  it('skipExisting leaves an existing file alone', async () => {
    await saveProfile('keep', { format: 'ova' }, { directory });
    expect(await saveProfile('keep', { format: 'ovf' }, { directory, skipExisting: true })).toMatchObject({ written: false });
    expect(await loadProfile('keep', { directory })).toEqual({ format: 'ova' });
  });

  it('refuses an invalid profile, listing every problem', async () => {
    const error = await rejection(saveProfile('bad', { format: 'zip', nope: true } as never, { directory }));
    expect(error.problems).toHaveLength(2);
  });

  it('reserves the built-in names: they cannot be saved over, deleted, or shadowed by a file', async () => {
    expect((await rejection(saveProfile('quick-export', { format: 'ova' }, { directory }))).message).toMatch(/built-in.*another name/);
    expect((await rejection(deleteProfile('development', { directory }))).message).toMatch(/built-in.*cannot be deleted/);
    await saveProfile('placeholder', {}, { directory });
    await writeFile(join(directory, 'quick-export.json'), JSON.stringify({ format: 'ova' }));
    expect(await resolveProfile('quick-export', { directory })).toMatchObject({ source: 'built-in', profile: { format: 'ovf' } });
  });

  it('names the profile and every available one when it is unknown', async () => {
    await saveProfile('mine', { format: 'ova' }, { directory });
    const error = await rejection(loadProfile('missing', { directory }));
    expect(error.message).toMatch(/unknown profile "missing"/);
    for (const name of ['quick-export', 'production-backup', 'encrypted-backup', 'cloud-backup', 'development', 'mine']) expect(error.message).toContain(name);
    expect((await rejection(deleteProfile('missing', { directory }))).message).toMatch(/unknown profile "missing"/);
    // No folder at all is simply no saved profiles.
    expect((await rejection(loadProfile('x', { directory: join(root, 'none') }))).message).toMatch(/unknown profile "x"; available: quick-export/);
  });

  it('rejects path-like names before touching the file system', async () => {
    await writeFile(join(root, 'outside.json'), '{}');
    for (const name of ['../outside', 'a/b', '.hidden', '']) {
      await rejection(loadProfile(name, { directory }));
      await rejection(saveProfile(name, {}, { directory }));
      await rejection(deleteProfile(name, { directory }));
    }
    expect(await readFile(join(root, 'outside.json'), 'utf8')).toBe('{}');
  });

  it('reports malformed JSON with the file path and the parser error', async () => {
    await saveProfile('placeholder', {}, { directory });
    const path = join(directory, 'broken.json');
    await writeFile(path, '{ "format": "ova",');
    const error = await rejection(loadProfile('broken', { directory }));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/not valid JSON: .+/);
  });

  it('reports unknown fields and wrong types with the file path, every problem listed', async () => {
    await saveProfile('placeholder', {}, { directory });
    const path = join(directory, 'wrong.json');
    await writeFile(path, JSON.stringify({ format: 'ova', parallel: 'four', compres: 'zstd' }));
    const error = await rejection(loadProfile('wrong', { directory }));
    expect(error.message).toBe(`${path}: 2 problems`);
    expect(error.problems).toEqual([expect.stringMatching(/^"parallel": Expected a number/), expect.stringMatching(/"compres" is not a known profile field/)]);
    await writeFile(path, JSON.stringify({ parallel: 0 }));
    expect((await rejection(loadProfile('wrong', { directory }))).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: "parallel": `));
  });

  it('loads a profile an earlier version wrote under a former key name, under the current name', async () => {
    await saveProfile('placeholder', {}, { directory });
    await writeFile(join(directory, 'old.json'), JSON.stringify({ format: 'ova', before: true }));
    expect(await loadProfile('old', { directory, schema: SAMPLE_PROFILE_SCHEMA })).toEqual({ format: 'ova', snapshotBefore: true });
  });
});

describe('listProfiles', () => {
  it('lists the built-ins when no folder exists', async () => {
    const entries = await listProfiles({ directory });
    expect(entries.map((entry) => [entry.name, entry.source])).toEqual([
      ['quick-export', 'built-in'],
      ['production-backup', 'built-in'],
      ['encrypted-backup', 'built-in'],
      ['cloud-backup', 'built-in'],
      ['development', 'built-in'],
    ]);
    expect(entries.every((entry) => entry.description)).toBe(true);
  });

  it('adds saved profiles by name, and lists a malformed file with its problem instead of failing', async () => {
    await saveProfile('zeta', { description: 'last', format: 'ova' }, { directory });
    await saveProfile('alpha', { description: 'first' }, { directory });
    await writeFile(join(directory, 'broken.json'), '{');
    await writeFile(join(directory, 'wrong.json'), JSON.stringify({ format: 'zip', extra: 1 }));
    await writeFile(join(directory, 'development.json'), '{}');
    await writeFile(join(directory, 'bad name.json'), '{}');
    await writeFile(join(directory, '.temp.json.1.ab.tmp'), '{');
    await writeFile(join(directory, 'notes.txt'), 'not a profile');
    const saved = (await listProfiles({ directory })).filter((entry) => entry.source === 'saved');
    expect(saved.map((entry) => entry.name)).toEqual(['alpha', 'bad name', 'broken', 'development', 'wrong', 'zeta']);
    const byName = Object.fromEntries(saved.map((entry) => [entry.name, entry]));
    expect(byName.alpha).toMatchObject({ description: 'first', profile: { description: 'first' }, path: join(directory, 'alpha.json') });
    expect(byName.alpha?.problem).toBeUndefined();
    expect(byName.broken?.problem).toMatch(/not valid JSON/);
    expect(byName.broken?.profile).toBeUndefined();
    expect(byName.wrong?.problem).toMatch(/2 problems: "format": .*; "extra" is not a known profile field/);
    expect(byName.development?.problem).toMatch(/built-in profile name/);
    expect(byName['bad name']?.problem).toMatch(/contains " "/);
  });
});
