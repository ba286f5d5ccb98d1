import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, qemuImageOptions } from './qemu-img.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-core-qemu-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('qemuImageOptions', () => {
  it('a whole file: the file driver', () => {
    expect(qemuImageOptions('vmdk', { path: '/x/disk.vmdk' })).toBe('driver=vmdk,file.driver=file,file.filename=/x/disk.vmdk');
  });

  it('a byte range: the raw driver with offset and size over the file', () => {
    expect(qemuImageOptions('vmdk', { path: '/x/a.ova', offset: 5632, size: 3235840 })).toBe(
      'driver=vmdk,file.driver=raw,file.offset=5632,file.size=3235840,file.file.driver=file,file.file.filename=/x/a.ova',
    );
  });

  it('an offset alone or a size alone: only that one is given', () => {
    expect(qemuImageOptions('qcow2', { path: '/x/a.ova', offset: 512 })).toBe(
      'driver=qcow2,file.driver=raw,file.offset=512,file.file.driver=file,file.file.filename=/x/a.ova',
    );
    expect(qemuImageOptions('qcow2', { path: '/x/a.ova', size: 1024 })).toBe(
      'driver=qcow2,file.driver=raw,file.size=1024,file.file.driver=file,file.file.filename=/x/a.ova',
    );
  });

  it('doubles commas, which would otherwise start a new option', () => {
    expect(qemuImageOptions('vmdk', { path: '/x/a,driver=raw' })).toBe('driver=vmdk,file.driver=file,file.filename=/x/a,,driver=raw');
    expect(qemuImageOptions('vmdk', { path: '/x/a,b.ova', offset: 0, size: 1 })).toBe(
      'driver=vmdk,file.driver=raw,file.offset=0,file.size=1,file.file.driver=file,file.file.filename=/x/a,,b.ova',
    );
  });
});

describe('findOnPath', () => {
  it('finds an executable on PATH, not a plain file', async () => {
    await writeFile(join(work, 'tool'), '#!/bin/sh\n');
    expect(await findOnPath('tool', `/nonexistent:${work}`)).toBeUndefined();
    await chmod(join(work, 'tool'), 0o755);
    expect(await findOnPath('tool', `/nonexistent:${work}`)).toBe(join(work, 'tool'));
    expect(await findOnPath('tool', '/nonexistent')).toBeUndefined();
  });

  it('takes an absolute path as it is, when it is executable', async () => {
    await writeFile(join(work, 'plain'), '#!/bin/sh\n');
    expect(await findOnPath(join(work, 'plain'), '')).toBeUndefined();
    await chmod(join(work, 'plain'), 0o755);
    expect(await findOnPath(join(work, 'plain'), '')).toBe(join(work, 'plain'));
  });
});
