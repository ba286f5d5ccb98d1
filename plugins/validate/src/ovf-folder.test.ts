// checkOvfFolder on real OVF exports made by the pipeline, intact and then damaged.
import { mkdtemp, rm, stat, truncate, unlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationIssue } from '@hyperexport/core';
import { checkOvfFiles, checkOvfFolder } from './ovf-folder.ts';
import { copyOf, damageGrainTable, flipByte, makeTestExports } from './testing/exports.ts';
import type { TestExports } from './testing/exports.ts';

let work: string;
let exports: TestExports;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-validate-ovf-'));
  exports = await makeTestExports(work);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const errors = (issues: ValidationIssue[]) => issues.filter((issue) => issue.level === 'error');
const checks = (issues: ValidationIssue[]) => [...new Set(errors(issues).map((issue) => issue.check))].sort();

describe('checkOvfFolder', () => {
  it('finds nothing wrong with an intact export', async () => {
    expect(await checkOvfFolder(exports.ovfFolder)).toEqual([]);
  });

  it("a flipped byte in a disk's data: the manifest digest no longer matches", async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    const disk = join(folder, 'web.vmdk');
    flipByte(disk, Math.floor((await stat(disk)).size / 2));
    const issues = await checkOvfFolder(folder);
    expect(checks(issues)).toEqual(['manifest']);
    expect(errors(issues)[0]).toMatchObject({ plugin: 'validate' });
    expect(errors(issues)[0]!.message).toMatch(
      /^web\.vmdk: its SHA256 is [0-9a-f]{64}, web\.mf says [0-9a-f]{64}: the file is corrupt .*; export the VM again$/,
    );
  });

  it('a flipped byte in a grain table: the manifest and qemu-img check both fail', async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    damageGrainTable(join(folder, 'web_1.vmdk'));
    const issues = await checkOvfFolder(folder);
    expect(checks(issues)).toEqual(['manifest', 'qemu-img']);
    const qemu = issues.find((issue) => issue.check === 'qemu-img')!;
    expect(qemu.message).toContain('web_1.vmdk: qemu-img check found the disk image damaged');
    expect(qemu.message).toContain('points after EOF');
    // Without qemu-img only the manifest notices.
    expect(checks(await checkOvfFolder(folder, { qemuImg: false }))).toEqual(['manifest']);
  });

  it("a truncated disk: its size differs from the descriptor's ovf:size", async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    const disk = join(folder, 'web_1.vmdk');
    const size = (await stat(disk)).size;
    await truncate(disk, size - 4096);
    const issues = await checkOvfFolder(folder);
    expect(checks(issues)).toContain('file-size');
    expect(checks(issues)).toContain('manifest');
    expect(issues.find((issue) => issue.check === 'file-size')!.message).toBe(
      `web_1.vmdk is ${size - 4096} bytes but web.ovf declares ${size} (${formatMiB(size)}): the file is truncated or was changed; export the VM again`,
    );
  });

  it('a referenced file removed: reported as missing, by the references and by the manifest', async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    await unlink(join(folder, 'web_1.vmdk'));
    const issues = await checkOvfFolder(folder);
    expect(errors(issues).map((issue) => issue.message)).toEqual([
      'web_1.vmdk is referenced by web.ovf but is not in the export: the export is incomplete; export the VM again',
      'web.mf lists web_1.vmdk, which is not in the export: the export is incomplete; export the VM again',
    ]);
  });

  it('no manifest: a warning that the files cannot be verified, no error', async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    await unlink(join(folder, 'web.mf'));
    const issues = await checkOvfFolder(folder);
    expect(issues).toEqual([{ level: 'warning', check: 'manifest', plugin: 'validate', message: expect.stringContaining('no manifest (web.mf)') }]);
  });

  it('a damaged descriptor or manifest is an error that says so', async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    await writeFile(join(folder, 'web.mf'), 'SHA256(web.vmdk) 1234\n', { flag: 'a' });
    expect(errors(await checkOvfFolder(folder))[0]!.message).toMatch(/^web\.mf: manifest line 4 .*: the manifest is damaged; export the VM again$/);
    await writeFile(join(folder, 'web.ovf'), '<Envelope><References>');
    expect(errors(await checkOvfFolder(folder))).toEqual([
      expect.objectContaining({
        check: 'ovf-descriptor',
        message: expect.stringMatching(/^web\.ovf: not an OVF descriptor.*: the descriptor is damaged; export the VM again$/),
      }),
    ]);
  });

  it('an extra file: a warning that importers ignore it', async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    await writeFile(join(folder, 'notes.txt'), 'hello');
    expect(await checkOvfFolder(folder)).toEqual([
      expect.objectContaining({
        level: 'warning',
        check: 'ovf-references',
        message: expect.stringContaining('notes.txt is in the export but web.ovf does not reference it'),
      }),
    ]);
  });

  it('a folder without exactly one descriptor is refused unless one is named', async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    await copyFile(join(folder, 'web.ovf'), join(folder, 'other.ovf'));
    expect(errors(await checkOvfFolder(folder))[0]!.message).toContain('has 2 .ovf descriptors (');
    expect(errors(await checkOvfFolder(folder, { descriptor: 'web.ovf' }))).toEqual([]);
    expect(errors(await checkOvfFolder(join(work, 'vm', 'web')))[0]!.message).toContain('has no .ovf descriptor');
    expect(errors(await checkOvfFolder(join(work, 'no-such-folder')))[0]!.message).toContain('cannot read the OVF folder');
  });

  it('an explicit qemu-img that cannot run is an error naming the option', async () => {
    const issues = await checkOvfFolder(exports.ovfFolder, { qemuImg: join(work, 'no-qemu-img') });
    expect(errors(issues)[0]!.message).toMatch(
      /^could not run .*no-qemu-img .*: install qemu-utils, fix the validate plugin's qemuImg option, or set it to false$/,
    );
  });
});

describe('checkOvfFiles', () => {
  it('checks files wherever they are, by export name', async () => {
    const folder = await copyOf(exports.ovfFolder, work);
    const paths = new Map(['web.ovf', 'web.mf', 'web.vmdk', 'web_1.vmdk'].map((name) => [name, join(folder, name)]));
    expect(await checkOvfFiles('web.ovf', paths)).toEqual([]);
    // A path that does not exist counts as a missing file.
    paths.set('web_1.vmdk', join(folder, 'gone.vmdk'));
    expect(checks(await checkOvfFiles('web.ovf', paths))).toEqual(['manifest', 'ovf-references']);
  });
});

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
