// checkOva on real OVAs made by the pipeline, intact and then damaged; bad OVAs are packed with
// GNU tar, as a careless tool would pack them.
import { copyFile, mkdir, mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationIssue } from '@hyperexport/core';
import { checkOva } from './ova.ts';
import { copyOf, damageGrainTable, extractOva, flipByte, makeTestExports, memberOffset, packOva } from './testing/exports.ts';
import type { TestExports } from './testing/exports.ts';

let work: string;
let exports: TestExports;
let extracted: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-validate-ova-'));
  exports = await makeTestExports(work);
  extracted = join(work, 'extracted');
  await extractOva(exports.ova, extracted);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const errors = (issues: ValidationIssue[]) => issues.filter((issue) => issue.level === 'error');
const checks = (issues: ValidationIssue[]) => [...new Set(errors(issues).map((issue) => issue.check))].sort();

describe('checkOva', () => {
  it('finds nothing wrong with an intact OVA', async () => {
    expect(await checkOva(exports.ova)).toEqual([]);
  });

  it('an OVA packed by GNU tar in the right order passes too', async () => {
    const ova = join(work, 'repacked.ova');
    await packOva(ova, extracted, ['web.ovf', 'web.mf', 'web.vmdk', 'web_1.vmdk']);
    expect(await checkOva(ova)).toEqual([]);
  });

  it('members out of order: the manifest first, or the disks swapped', async () => {
    const mfFirst = join(work, 'mf-first.ova');
    await packOva(mfFirst, extracted, ['web.mf', 'web.ovf', 'web.vmdk', 'web_1.vmdk']);
    const issues = await checkOva(mfFirst);
    expect(errors(issues)).toEqual([expect.objectContaining({ check: 'ova-order', plugin: 'validate' })]);
    expect(errors(issues)[0]!.message).toBe(
      'mf-first.ova: its first member is web.mf, not the descriptor web.ovf (web.mf, web.ovf, web.vmdk, web_1.vmdk); an OVA must hold web.ovf, web.mf, web.vmdk, web_1.vmdk in this order (the .ovf first, then the .mf, then the files in References order), or importers that stream it fail; export the VM again',
    );

    const swapped = join(work, 'swapped.ova');
    await packOva(swapped, extracted, ['web.ovf', 'web.mf', 'web_1.vmdk', 'web.vmdk']);
    const swappedIssues = await checkOva(swapped);
    expect(checks(swappedIssues)).toEqual(['ova-order']);
    expect(errors(swappedIssues)[0]!.message).toContain('swapped.ova: its members are out of order (web.ovf, web.mf, web_1.vmdk, web.vmdk)');
  });

  it('a flipped byte in a disk member: manifest mismatch and qemu-img check failure, checked in place', async () => {
    const ova = await copyOf(exports.ova, work);
    const disk = await memberOffset(ova, 'web.vmdk');
    damageGrainTable(ova, disk.offset);
    const issues = await checkOva(ova);
    expect(checks(issues)).toEqual(['manifest', 'qemu-img']);
    expect(issues.find((issue) => issue.check === 'manifest')!.message).toMatch(/^web\.ova: web\.vmdk: its SHA256 is [0-9a-f]{64}, web\.mf says/);
    expect(issues.find((issue) => issue.check === 'qemu-img')!.message).toContain(
      'web.ova: web.vmdk: qemu-img check found the disk image damaged (ERROR: cluster offset',
    );

    // A flip in the compressed data of the other disk: only the manifest can tell.
    const other = await copyOf(exports.ova, work);
    const second = await memberOffset(other, 'web_1.vmdk');
    flipByte(other, second.offset + Math.floor(second.size / 2));
    const otherIssues = await checkOva(other);
    expect(checks(otherIssues)).toEqual(['manifest']);
    expect(errors(otherIssues)[0]!.message).toContain('web_1.vmdk: its SHA256 is');
  });

  it('a member shorter than the descriptor says: a size error (packed with a truncated disk)', async () => {
    const folder = join(work, 'short');
    await mkdir(folder);
    for (const name of ['web.ovf', 'web.mf', 'web.vmdk', 'web_1.vmdk']) await copyFile(join(extracted, name), join(folder, name));
    const size = (await stat(join(folder, 'web.vmdk'))).size;
    await truncate(join(folder, 'web.vmdk'), size - 512);
    const ova = join(work, 'short.ova');
    await packOva(ova, folder, ['web.ovf', 'web.mf', 'web.vmdk', 'web_1.vmdk']);
    const issues = await checkOva(ova);
    // The cut-off end-of-stream marker is nothing qemu-img check complains about: the size and
    // the digest are what catch it.
    expect(checks(issues)).toEqual(['file-size', 'manifest']);
    expect(issues.find((issue) => issue.check === 'file-size')!.message).toContain(`short.ova: web.vmdk is ${size - 512} bytes but web.ovf declares ${size}`);
  });

  it('a referenced disk left out: reported missing', async () => {
    const ova = join(work, 'missing.ova');
    await packOva(ova, extracted, ['web.ovf', 'web.mf', 'web.vmdk']);
    const issues = await checkOva(ova);
    expect(checks(issues)).toEqual(['manifest', 'ovf-references']);
    expect(errors(issues).map((issue) => issue.message)).toContain(
      'missing.ova: web_1.vmdk is referenced by web.ovf but is not in the export: the export is incomplete; export the VM again',
    );
  });

  it('a truncated OVA: a structure error, nothing else read', async () => {
    const ova = await copyOf(exports.ova, work);
    await truncate(ova, (await stat(ova)).size - 100_000);
    const issues = await checkOva(ova);
    expect(issues).toEqual([
      expect.objectContaining({
        level: 'error',
        check: 'ova-structure',
        message: expect.stringMatching(/truncated OVA .*: the OVA is damaged; export the VM again$/),
      }),
    ]);
  });

  it('a file name with a comma and a colon reaches qemu-img intact', async () => {
    const odd = join(work, 'odd,name:1');
    await mkdir(odd);
    const ova = join(odd, 'a,b:c.ova');
    await copyFile(exports.ova, ova);
    expect(await checkOva(ova)).toEqual([]);
    damageGrainTable(ova, (await memberOffset(ova, 'web_1.vmdk')).offset);
    expect(checks(await checkOva(ova))).toEqual(['manifest', 'qemu-img']);
  });
});
