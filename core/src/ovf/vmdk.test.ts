import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectVmdk } from './vmdk.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'hx-vmdk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qemuImg = (...args: string[]): void => {
  execFileSync('qemu-img', args, { stdio: 'ignore' });
};

describe('inspectVmdk', () => {
  it('monolithicSparse (qemu-img create -f vmdk)', async () => {
    const path = join(dir, 'sparse.vmdk');
    qemuImg('create', '-f', 'vmdk', path, '8M');
    expect(await inspectVmdk(path)).toEqual({ kind: 'monolithicSparse', createType: 'monolithicSparse', capacityBytes: 8 * MiB });
  });

  it('streamOptimized (qemu-img convert)', async () => {
    const raw = join(dir, 'pattern.raw');
    writeFileSync(raw, Buffer.alloc(8 * MiB, 'HyperExport '));
    const path = join(dir, 'stream.vmdk');
    qemuImg('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, path);
    expect(await inspectVmdk(path)).toEqual({ kind: 'streamOptimized', createType: 'streamOptimized', capacityBytes: 8 * MiB });
  });

  it.each(['monolithicFlat', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat'])('a text descriptor (%s)', async (subformat) => {
    const path = join(dir, `${subformat}.vmdk`);
    qemuImg('create', '-f', 'vmdk', '-o', `subformat=${subformat}`, path, '12M');
    expect(await inspectVmdk(path)).toEqual({ kind: 'descriptor', createType: subformat, capacityBytes: 12 * MiB });
  });

  it('refuses a file that is not a VMDK, naming it', async () => {
    const path = join(dir, 'disk.qcow2');
    qemuImg('create', '-f', 'qcow2', path, '1M');
    await expect(inspectVmdk(path)).rejects.toThrow(`${path} is not a VMDK this tool can read`);
    const empty = join(dir, 'empty.vmdk');
    writeFileSync(empty, '');
    await expect(inspectVmdk(empty)).rejects.toThrow(/is not a VMDK/);
  });
});
