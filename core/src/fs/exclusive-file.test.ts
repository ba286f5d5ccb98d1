import { mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExclusiveWriteStream, recreateExclusively, temporaryPathBeside } from './exclusive-file.ts';

let folder: string;
let victim: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'hyperexport-exclusive-'));
  victim = join(folder, 'victim');
  await writeFile(victim, 'precious');
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const write = (stream: NodeJS.WritableStream) => pipeline(Readable.from([Buffer.from('new bytes')]), stream);

describe('createExclusiveWriteStream', () => {
  it('refuses a link planted at the name (EEXIST), leaving its target untouched', async () => {
    const planted = join(folder, 'planted-link');
    await symlink(victim, planted);
    await expect(write(createExclusiveWriteStream(planted))).rejects.toMatchObject({ code: 'EEXIST', path: planted });
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  it('refuses a dangling link too, which it would otherwise create the target of', async () => {
    const planted = join(folder, 'dangling-link');
    const wouldBeCreated = join(folder, 'created-through-link');
    await symlink(wouldBeCreated, planted);
    await expect(write(createExclusiveWriteStream(planted))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readdir(folder)).not.toContain('created-through-link');
  });

  it('creates a new file', async () => {
    const path = join(folder, 'fresh');
    await write(createExclusiveWriteStream(path, { mode: 0o600 }));
    expect(await readFile(path, 'utf8')).toBe('new bytes');
  });
});

describe('recreateExclusively', () => {
  it('replaces a link at the name by a new file of its own, never writing through the link', async () => {
    const planted = join(folder, 'restarted');
    await symlink(victim, planted);
    await write(await recreateExclusively(planted));
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect(await readFile(planted, 'utf8')).toBe('new bytes');
    await expect(readlink(planted)).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe('temporaryPathBeside', () => {
  it('is a hidden name in the same folder, different on every call', () => {
    const target = join(folder, 'app01.ova');
    const first = temporaryPathBeside(target, 'restore-partial');
    expect(dirname(first)).toBe(folder);
    expect(basename(first)).toMatch(new RegExp(`^\\.app01\\.ova\\.restore-partial-${process.pid}-[0-9a-f]{12}$`));
    expect(temporaryPathBeside(target, 'restore-partial')).not.toBe(first);
  });
});
