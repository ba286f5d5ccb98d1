import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '@hyperexport/core';
import { imageDriverFor, resolveQemuImg } from './qemu-img.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-validate-qemu-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('finding qemu-img', () => {
  it('drivers by extension, for the formats qemu-img checks', () => {
    expect(imageDriverFor('web.VMDK')).toBe('vmdk');
    expect(imageDriverFor('web.vhd')).toBe('vpc');
    expect(imageDriverFor('web.vmdk.zst')).toBeUndefined();
    expect(imageDriverFor('web.nvram')).toBeUndefined();
  });

  it('resolves the qemuImg option: PATH, a given program, or off', async () => {
    expect(await resolveQemuImg(false)).toBeUndefined();
    expect(await resolveQemuImg('/opt/qemu/bin/qemu-img')).toBe('/opt/qemu/bin/qemu-img');
    expect(await resolveQemuImg(true)).toBe(await findOnPath('qemu-img'));
  });

  it('looks for qemu-img on PATH when the option is true or not given', async () => {
    await writeFile(join(work, 'qemu-img'), '#!/bin/sh\n');
    await chmod(join(work, 'qemu-img'), 0o755);
    const path = process.env.PATH;
    try {
      process.env.PATH = `/nonexistent:${work}`;
      expect(await resolveQemuImg(true)).toBe(join(work, 'qemu-img'));
      expect(await resolveQemuImg(undefined)).toBe(join(work, 'qemu-img'));
      process.env.PATH = '/nonexistent';
      expect(await resolveQemuImg(true)).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
  });
});
