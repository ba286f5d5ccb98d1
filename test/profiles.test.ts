// `hyperexport profiles` as a user meets it: the built CLI, with HYPEREXPORT_PROFILES_DIR pointing
// at a temporary folder so the user's own profiles are never touched.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import type { CliRun } from './support/cli.ts';

let work: string;
let profilesDir: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-profiles-cli-'));
  profilesDir = join(work, 'profiles');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const BUILTINS = ['quick-export', 'production-backup', 'encrypted-backup', 'cloud-backup', 'development'];

function cli(...args: string[]): Promise<CliRun> {
  return cliIn(profilesDir, ...args);
}

function cliIn(folder: string, ...args: string[]): Promise<CliRun> {
  return runCli(args, { cwd: work, env: { HYPEREXPORT_PROFILES_DIR: folder } });
}

describe('hyperexport profiles', () => {
  it('lists the five built-in profiles as a table and as JSON', async () => {
    const run = await cli('profiles', 'list');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SOURCE\s+DESCRIPTION$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 2))).toEqual(BUILTINS.map((name) => [name, 'built-in']));

    const json = await cli('profiles', 'list', '--json');
    expect(json.code).toBe(0);
    expect(json.events).toHaveLength(1);
    const profiles = json.events[0]?.profiles as Array<{ name: string; source: string; description: string }>;
    expect(profiles.map((profile) => profile.name)).toEqual(BUILTINS);
    expect(profiles.every((profile) => profile.source === 'built-in' && profile.description.length > 0)).toBe(true);
  });

  it('saves, shows, lists and deletes a profile', async () => {
    const saved = await cli(
      'profiles',
      'save',
      'nightly',
      '--format',
      'ova',
      '--compress',
      'zstd',
      '--parallel',
      '3',
      '--target',
      's3://backups/vms',
      '--target',
      'sftp://nas/vms',
      '--snapshot-before',
      '--description',
      'nightly run',
    );
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    const path = join(profilesDir, 'nightly.json');
    expect(saved.stdout).toContain(path);
    expect((await stat(profilesDir)).mode & 0o777).toBe(0o700);
    expect(await readdir(profilesDir)).toEqual(['nightly.json']);

    const expected = {
      description: 'nightly run',
      format: 'ova',
      parallel: 3,
      snapshotBefore: true,
      compress: 'zstd',
      targets: ['s3://backups/vms', 'sftp://nas/vms'],
    };
    const shown = await cli('profiles', 'show', 'nightly');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual(expected);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(expected);

    const again = await cli('profiles', 'save', 'nightly', '--format', 'ovf');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    const forced = await cli('profiles', 'save', 'nightly', '--from', path, '--format', 'ovf', '--force');
    expect(forced.code).toBe(0);
    expect(JSON.parse((await cli('profiles', 'show', 'nightly')).stdout)).toEqual({ ...expected, format: 'ovf' });

    const listed = await cli('profiles', 'list');
    expect(listed.stdout).toMatch(/^nightly\s+saved\s+nightly run$/m);

    const deleted = await cli('profiles', 'delete', 'nightly');
    expect(deleted.code).toBe(0);
    expect(await readdir(profilesDir)).toEqual([]);
    expect((await cli('profiles', 'show', 'nightly')).code).toBe(2);
  });

  it('saves --keep-local=false like export takes it, and refuses a value that is not true or false', async () => {
    expect((await cli('profiles', 'save', 'moved', '--target', 's3://backups/vms', '--keep-local=false')).code).toBe(0);
    expect(JSON.parse((await cli('profiles', 'show', 'moved')).stdout)).toMatchObject({ targets: ['s3://backups/vms'], keepLocal: false });
    const bad = await cli('profiles', 'save', 'moved-too', '--keep-local=maybe');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--keep-local=maybe is not true or false');
    expect((await cli('profiles', 'delete', 'moved')).code).toBe(0);
  });

  it('shows a built-in profile and refuses to save over or delete one', async () => {
    const shown = await cli('profiles', 'show', 'encrypted-backup');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ format: 'ova', compress: 'zstd', encrypt: 'aes' });
    const save = await cli('profiles', 'save', 'development', '--parallel', '8');
    expect(save.code).toBe(2);
    expect(save.stderr).toMatch(/built-in.*another name/);
    const del = await cli('profiles', 'delete', 'development');
    expect(del.code).toBe(2);
    expect(del.stderr).toMatch(/built-in.*cannot be deleted/);
  });

  it('answers a malformed profile file with exit code 2 and its path, and still lists the rest', async () => {
    await cli('profiles', 'save', 'placeholder', '--format', 'ova');
    const broken = join(profilesDir, 'broken.json');
    await writeFile(broken, '{ "format": "ova", ');
    const run = await cli('profiles', 'show', 'broken');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(broken);
    expect(run.stderr).toMatch(/not valid JSON/);

    const wrong = join(profilesDir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ format: 'zip', compres: 'zstd' }));
    const wrongRun = await cli('profiles', 'show', 'wrong');
    expect(wrongRun.code).toBe(2);
    expect(wrongRun.stderr).toContain(`${wrong}: 2 problems`);
    expect(wrongRun.stderr).toMatch(/- "format": /);
    expect(wrongRun.stderr).toMatch(/- "compres" is not a known profile field/);

    const listed = await cli('profiles', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^broken\s+saved\s+INVALID .*not valid JSON/m);
    expect(listed.stdout).toMatch(/^placeholder\s+saved/m);
    await rm(broken);
    await rm(wrong);
    await cli('profiles', 'delete', 'placeholder');
  });

  it('answers an unknown profile with exit code 2, listing the available ones', async () => {
    const run = await cli('profiles', 'show', 'no-such-profile');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown profile "no-such-profile"; available: quick-export, production-backup, encrypted-backup, cloud-backup, development/);
    const json = await cli('profiles', 'show', 'no-such-profile', '--json');
    expect(json.code).toBe(2);
    expect(json.events[0]).toMatchObject({ type: 'error', exitCode: 2, code: 'CONFIG' });
  });

  it('rejects names that are paths, with exit code 2', async () => {
    for (const name of ['../escape', 'a/b', '.hidden']) {
      const run = await cli('profiles', 'save', name, '--format', 'ova');
      expect(run.code, name).toBe(2);
      expect(run.stderr, name).toMatch(/profile name/);
    }
    // `../escape` would have been written next to the profiles folder.
    expect(await readdir(work)).not.toContain('escape.json');
  });

  it('init writes the built-ins as editable examples, then leaves them alone', async () => {
    const folder = join(work, 'init');
    const first = await cliIn(folder, 'profiles', 'init');
    expect(first.code).toBe(0);
    const files = BUILTINS.map((name) => `example-${name}.json`);
    expect((await readdir(folder)).sort()).toEqual([...files].sort());
    for (const file of files) expect(first.stdout).toContain(join(folder, file));
    const example = JSON.parse(await readFile(join(folder, 'example-development.json'), 'utf8')) as Record<string, unknown>;
    expect(example).toMatchObject({ format: 'ovf', parallel: 2, overwrite: true });

    await writeFile(join(folder, 'example-development.json'), JSON.stringify({ format: 'ova' }));
    const second = await cliIn(folder, 'profiles', 'init');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/0 example profiles written/);
    expect(JSON.parse((await cliIn(folder, 'profiles', 'show', 'example-development')).stdout)).toEqual({ format: 'ova' });
  });
});
