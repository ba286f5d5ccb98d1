import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, imageDriverFor, imageOptions, resolveQemuImg } from './qemu-img.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-validate-qemu-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('imageOptions', () => {
  it('a whole file: the file driver', () => {
    expect(imageOptions('vmdk', { path: '/x/disk.vmdk' })).toBe('driver=vmdk,file.driver=file,file.filename=/x/disk.vmdk');
  });

  it('a byte range: the raw driver with offset and size over the file', () => {
    expect(imageOptions('vmdk', { path: '/x/a.ova', offset: 5632, size: 3235840 })).toBe(
      'driver=vmdk,file.driver=raw,file.offset=5632,file.size=3235840,file.file.driver=file,file.file.filename=/x/a.ova',
    );
  });

  it('doubles commas, which would otherwise start a new option', () => {
    expect(imageOptions('vmdk', { path: '/x/a,driver=raw' })).toBe('driver=vmdk,file.driver=file,file.filename=/x/a,,driver=raw');
  });
});

describe('finding qemu-img', () => {
  it('drivers by extension, for the formats qemu-img checks', () => {
    expect(imageDriverFor('web.VMDK')).toBe('vmdk');
    expect(imageDriverFor('web.vhd')).toBe('vpc');
    expect(imageDriverFor('web.vmdk.zst')).toBeUndefined();
    expect(imageDriverFor('web.nvram')).toBeUndefined();
  });

  it('finds an executable on PATH, not a plain file', async () => {
    await writeFile(join(work, 'tool'), '#!/bin/sh\n');
    expect(await findOnPath('tool', `/nonexistent:${work}`)).toBeUndefined();
    await chmod(join(work, 'tool'), 0o755);
    expect(await findOnPath('tool', `/nonexistent:${work}`)).toBe(join(work, 'tool'));
    expect(await findOnPath('tool', '/nonexistent')).toBeUndefined();
  });

  it('resolves the qemuImg option: PATH, a given program, or off', async () => {
    expect(await resolveQemuImg(false)).toBeUndefined();
    expect(await resolveQemuImg('/opt/qemu/bin/qemu-img')).toBe('/opt/qemu/bin/qemu-img');
    expect(await resolveQemuImg(true)).toBe(await findOnPath('qemu-img'));
  });
});
