import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSourceDriver } from './source-driver.ts';

const exec = promisify(execFile);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'convert-qemu-driver-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('detectSourceDriver on images qemu-img made', () => {
  const cases: { name: string; args: string[]; driver: string }[] = [
    { name: 'stream.vmdk', args: ['-f', 'vmdk', '-o', 'subformat=streamOptimized'], driver: 'vmdk' },
    { name: 'sparse.vmdk', args: ['-f', 'vmdk'], driver: 'vmdk' },
    { name: 'disk.qcow2', args: ['-f', 'qcow2'], driver: 'qcow2' },
    { name: 'disk.vhdx', args: ['-f', 'vhdx'], driver: 'vhdx' },
    { name: 'dynamic.vhd', args: ['-f', 'vpc'], driver: 'vpc' },
    { name: 'fixed.vhd', args: ['-f', 'vpc', '-o', 'subformat=fixed'], driver: 'vpc' },
    { name: 'disk.vdi', args: ['-f', 'vdi'], driver: 'vdi' },
    { name: 'disk.raw', args: ['-f', 'raw'], driver: 'raw' },
  ];
  it.each(cases)('$name is $driver', async ({ name, args, driver }) => {
    const path = join(work, name);
    await exec('qemu-img', ['create', '-q', ...args, path, '1M']);
    expect(await detectSourceDriver({ path }, name)).toBe(driver);
  });

  it('finds a disk at an offset inside a larger file (an OVA member)', async () => {
    const vmdk = join(work, 'member.vmdk');
    await exec('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'subformat=streamOptimized', vmdk, '1M']);
    const body = await readFile(vmdk);
    const ova = join(work, 'fake.ova');
    await writeFile(ova, Buffer.concat([randomBytes(1536), body, randomBytes(1024)]));
    expect(await detectSourceDriver({ path: ova, offset: 1536, size: body.length }, 'member.vmdk in fake.ova')).toBe('vmdk');
  });

  it('refuses a VMDK descriptor that points at other files', async () => {
    const path = join(work, 'flat.vmdk');
    await exec('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', path, '1M']);
    await expect(detectSourceDriver({ path }, 'flat.vmdk')).rejects.toMatchObject({
      code: 'CONVERT_SOURCE',
      message: expect.stringContaining('flat.vmdk is a VMDK descriptor'),
    });
  });
});
