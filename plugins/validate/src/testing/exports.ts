// Real exports for the validate tests, and the ways the tests damage them. The exports are made
// by the real pipeline (source-local reading a VM folder of qemu-img-made VMDKs, store-local
// writing them), so the checks are tested against exactly what HyperExport publishes.
import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Exporter, indexOva, runJob } from '@hyperexport/core';
import type { ExportFormat, JobSpec, PluginInstance } from '@hyperexport/core';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { makeVmFolder } from '../../../../test/support/make-vm-folder.ts';
import type { MadeVm } from '../../../../test/support/make-vm-folder.ts';

export const exec = promisify(execFile);

export interface TestExports {
  readonly vm: MadeVm;
  /** `web.ova` as published. */
  readonly ova: string;
  /** The `web/` OVF folder as published. */
  readonly ovfFolder: string;
}

export function jobSpec(overrides: Partial<JobSpec> & { format?: ExportFormat }): JobSpec {
  return { format: 'ova', parallel: 2, overwrite: false, extra: {}, ...overrides };
}

/** Exports a two-disk VM (`web.vmdk` 4 MiB, `web_1.vmdk` 2 MiB) as an OVA and as an OVF folder. */
export async function makeTestExports(work: string, plugins: readonly PluginInstance[] = []): Promise<TestExports> {
  const vm = await makeVmFolder(join(work, 'vm', 'web'), 'web', [4, 2]);
  const exporter = await Exporter.create([sourceLocal(), storeLocal(), ...plugins]);
  const output = join(work, 'published');
  for (const format of ['ova', 'ovf'] as const) {
    const result = await runJob(exporter, jobSpec({ source: vm.directory, format, output }));
    if (result.status !== 'succeeded') throw new Error(`test export failed: ${result.error?.message}`);
  }
  return { vm, ova: join(output, 'web.ova'), ovfFolder: join(output, 'web') };
}

let copies = 0;

/** A fresh copy of a published export to damage. */
export async function copyOf(path: string, work: string): Promise<string> {
  const folder = join(work, 'copies', String(++copies));
  await mkdir(folder, { recursive: true });
  const target = join(folder, path.split('/').pop()!);
  await cp(path, target, { recursive: true });
  return target;
}

/** Inverts one byte at `position`. Synchronous, so a test can damage a file inside a hook tap. */
export function flipByte(path: string, position: number): void {
  xorByte(path, position, 0xff);
}

/**
 * Damages the first grain-table entry of the VMDK that starts at `base` in `path`, so that it
 * points far past the end of the image: qemu-img check reports it (a flipped byte in compressed
 * grain data it does not read). qemu-img writes streamOptimized images with the grain directory
 * offset in the header (byte 56, in sectors), not only in a footer. Synchronous, like flipByte.
 */
export function damageGrainTable(path: string, base = 0): void {
  const fd = openSync(path, 'r');
  let position: number;
  try {
    const header = Buffer.alloc(512);
    readSync(fd, header, 0, 512, base);
    if (header.toString('latin1', 0, 4) !== 'KDMV') throw new Error(`no VMDK header at byte ${base} of ${path}`);
    const gdSector = header.readBigUInt64LE(56);
    if (gdSector === 0xffffffffffffffffn) throw new Error('the grain directory is only in the footer; this helper does not read footers');
    const entry = Buffer.alloc(4);
    readSync(fd, entry, 0, 4, base + Number(gdSector) * 512);
    position = base + entry.readUInt32LE(0) * 512 + 3;
  } finally {
    closeSync(fd);
  }
  xorByte(path, position, 0x40);
}

function xorByte(path: string, position: number, mask: number): void {
  const fd = openSync(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, position);
    byte[0] = byte[0]! ^ mask;
    writeSync(fd, byte, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

/** Where a member's bytes are in an OVA. */
export async function memberOffset(ova: string, name: string): Promise<{ offset: number; size: number }> {
  const member = (await indexOva(ova)).find((candidate) => candidate.name === name);
  if (!member) throw new Error(`${ova} has no member ${name}`);
  return member;
}

/** Extracts an OVA with GNU tar. */
export async function extractOva(ova: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  await exec('tar', ['-xf', ova, '-C', into]);
}

/** Packs `members` of `folder`, in this order, as a ustar OVA with GNU tar. */
export async function packOva(target: string, folder: string, members: readonly string[]): Promise<void> {
  await exec('tar', ['--format=ustar', '-cf', target, '-C', folder, ...members]);
}
