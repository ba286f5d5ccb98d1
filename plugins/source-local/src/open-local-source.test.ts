import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOvfDescriptor, formatManifest, parseOvf, VMDK_FORMAT_URL } from '@hyperexport/core';
import type { ExportSource, FileDigest } from '@hyperexport/core';
import { openLocalSource } from './open-local-source.ts';

const MiB = 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'hx-source-local-'));
const disks = join(root, 'disks'); // pristine disks, copied into each case's folder
afterAll(() => rmSync(root, { recursive: true, force: true }));

const qemuImg = (...args: string[]): void => {
  execFileSync('qemu-img', args, { stdio: 'ignore' });
};
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const signal = new AbortController().signal;

beforeAll(() => {
  mkdirSync(disks);
  const raw = join(disks, 'pattern.raw');
  writeFileSync(raw, Buffer.alloc(8 * MiB, 'HyperExport source-local '));
  qemuImg('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, join(disks, 'stream.vmdk'));
  qemuImg('create', '-f', 'vmdk', join(disks, 'sparse.vmdk'), '4M');
  rmSync(raw);
});

/** A fresh folder for one case holding copies of the given pristine disks. */
function folder(name: string, copies: Record<string, string> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [target, source] of Object.entries(copies)) writeFileSync(join(dir, target), readFileSync(join(disks, source)));
  return dir;
}

/** Reads every file the way the core does and returns their digests. */
async function readAll(source: ExportSource): Promise<{ digests: FileDigest[]; bytes: Map<string, Buffer> }> {
  const bytes = new Map<string, Buffer>();
  const digests: FileDigest[] = [];
  for (const file of source.files) {
    const data = await buffer(await file.open(signal));
    bytes.set(file.name, data);
    digests.push({ name: file.name, size: data.length, sha256: sha256(data) });
  }
  return { digests, bytes };
}

const VMX = (disks: string): string => `.encoding = "UTF-8"
displayName = "web01"
guestOS = "ubuntu-64"
numvcpus = "2"
memsize = "2048"
scsi0.present = "TRUE"
scsi0.virtualDev = "lsilogic"
${disks}
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
`;
const scsiDisk = (unit: number, fileName: string): string => `scsi0:${unit}.present = "TRUE"\nscsi0:${unit}.fileName = "${fileName}"\n`;

describe('a VM folder', () => {
  it('exports the .vmx disks byte for byte and describes them in a generated OVF', async () => {
    const dir = folder('vm', { 'web01.vmdk': 'stream.vmdk', 'web01_1.vmdk': 'sparse.vmdk' });
    writeFileSync(join(dir, 'web01.vmx'), VMX(scsiDisk(0, 'web01.vmdk') + scsiDisk(1, 'web01_1.vmdk')));
    writeFileSync(join(dir, 'web01.nvram'), 'not exported');

    const source = await openLocalSource(dir);
    expect(source.kind).toBe('source-local');
    expect(source.vmName).toBe('web01');
    expect(source.files.map((f) => [f.name, f.size, f.rereadable])).toEqual([
      ['web01.vmdk', statSync(join(dir, 'web01.vmdk')).size, true],
      ['web01_1.vmdk', statSync(join(dir, 'web01_1.vmdk')).size, true],
    ]);

    const { digests, bytes } = await readAll(source);
    expect(bytes.get('web01.vmdk')).toEqual(readFileSync(join(dir, 'web01.vmdk')));
    const ovf = parseOvf(await source.descriptor(digests, signal));
    expect(ovf.vmName).toBe('web01');
    expect(ovf.files.map((f) => [f.href, f.size])).toEqual(digests.map((d) => [d.name, d.size]));
    expect(ovf.disks.map((d) => d.capacityBytes)).toEqual([8 * MiB, 4 * MiB]);
    const xml = await source.descriptor(digests, signal);
    expect(xml).toContain(`ovf:format="${VMDK_FORMAT_URL.streamOptimized}"`);
    expect(xml).toContain(`ovf:format="${VMDK_FORMAT_URL.monolithicSparse}"`);
    expect(xml).toContain('vmw:osType="ubuntu64Guest"');
    await source.complete();
  });

  it('refuses a disk that is a text descriptor, with the command that fixes it', async () => {
    const dir = folder('flat');
    qemuImg('create', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', join(dir, 'flat.vmdk'), '1M');
    writeFileSync(join(dir, 'flat.vmx'), VMX(scsiDisk(0, 'flat.vmdk')));
    const opening = openLocalSource(dir);
    await expect(opening).rejects.toThrow(`disk ${join(dir, 'flat.vmdk')} is a VMDK descriptor (createType "monolithicFlat")`);
    await expect(opening).rejects.toThrow(`qemu-img convert -O vmdk -o subformat=streamOptimized ${join(dir, 'flat.vmdk')} `);
  });

  it('names a missing disk', async () => {
    const dir = folder('missing');
    writeFileSync(join(dir, 'vm.vmx'), VMX(scsiDisk(0, 'gone.vmdk')));
    await expect(openLocalSource(dir)).rejects.toThrow(`${join(dir, 'vm.vmx')} refers to disk "gone.vmdk", which does not exist`);
  });

  it('needs exactly one .vmx', async () => {
    const none = folder('no-vmx');
    await expect(openLocalSource(none)).rejects.toThrow(`no .vmx file in ${none}`);
    const two = folder('two-vmx');
    writeFileSync(join(two, 'a.vmx'), VMX(''));
    writeFileSync(join(two, 'b.vmx'), VMX(''));
    await expect(openLocalSource(two)).rejects.toThrow(/contains several \.vmx files \(a\.vmx, b\.vmx\)/);
  });

  it('says which .vmx is incomplete', async () => {
    const dir = folder('no-memsize');
    writeFileSync(join(dir, 'vm.vmx'), 'displayName = "x"\n');
    await expect(openLocalSource(dir)).rejects.toThrow(`${join(dir, 'vm.vmx')}: the .vmx has no memsize`);
  });
});

describe('an .ovf file', () => {
  /** An OVF folder as vSphere would export it: descriptor, manifest, disk. */
  function ovfFolder(name: string): { dir: string; ovfPath: string; ovfText: string; disk: Buffer } {
    const dir = folder(name, { 'web01-disk1.vmdk': 'stream.vmdk' });
    const disk = readFileSync(join(dir, 'web01-disk1.vmdk'));
    const ovfText = buildOvfDescriptor({
      name: 'web01',
      cpus: 1,
      memoryMiB: 512,
      disks: [{ fileName: 'web01-disk1.vmdk', fileSize: disk.length, capacityBytes: 8 * MiB, format: VMDK_FORMAT_URL.streamOptimized }],
    });
    const ovfPath = join(dir, 'web01.ovf');
    writeFileSync(ovfPath, ovfText);
    writeFileSync(
      join(dir, 'web01.mf'),
      formatManifest([
        { name: 'web01.ovf', size: ovfText.length, sha256: sha256(Buffer.from(ovfText)) },
        { name: 'web01-disk1.vmdk', size: disk.length, sha256: sha256(disk) },
      ]),
    );
    return { dir, ovfPath, ovfText, disk };
  }

  it('exports the referenced files and returns the descriptor unchanged', async () => {
    const { ovfPath, ovfText, disk } = ovfFolder('ovf');
    const source = await openLocalSource(ovfPath);
    expect(source.vmName).toBe('web01');
    expect(source.files.map((f) => [f.name, f.size])).toEqual([['web01-disk1.vmdk', disk.length]]);
    const { digests, bytes } = await readAll(source);
    expect(bytes.get('web01-disk1.vmdk')).toEqual(disk);
    expect(await source.descriptor(digests, signal)).toBe(ovfText);
  });

  it('checks sizes against ovf:size and digests against the input manifest', async () => {
    const { dir, ovfPath, disk } = ovfFolder('ovf-changed');
    writeFileSync(join(dir, 'web01-disk1.vmdk'), Buffer.concat([disk, Buffer.alloc(1)]));
    await expect(openLocalSource(ovfPath)).rejects.toThrow(`web01-disk1.vmdk is ${disk.length + 1} bytes but ${ovfPath} declares ovf:size="${disk.length}"`);

    const corrupt = Buffer.from(disk);
    corrupt[corrupt.length - 1]! ^= 0xff;
    writeFileSync(join(dir, 'web01-disk1.vmdk'), corrupt);
    const source = await openLocalSource(ovfPath);
    const { digests } = await readAll(source);
    await expect(source.descriptor(digests, signal)).rejects.toThrow(/web01-disk1\.vmdk does not match the manifest .*web01\.mf: SHA-256 is/);
  });

  it('refuses an edited descriptor whose manifest no longer matches', async () => {
    const { ovfPath, ovfText } = ovfFolder('ovf-edited');
    writeFileSync(ovfPath, ovfText.replace('<Name>web01</Name>', '<Name>web02</Name>'));
    await expect(openLocalSource(ovfPath)).rejects.toThrow(/web01\.ovf does not match the manifest .*web01\.mf: SHA256 is/);
  });

  it('names a missing file and refuses references that are paths', async () => {
    const { dir, ovfPath, ovfText } = ovfFolder('ovf-missing');
    rmSync(join(dir, 'web01.mf'));
    rmSync(join(dir, 'web01-disk1.vmdk'));
    await expect(openLocalSource(ovfPath)).rejects.toThrow(`${ovfPath} references web01-disk1.vmdk, which is not next to it`);
    writeFileSync(ovfPath, ovfText.replace('ovf:href="web01-disk1.vmdk"', 'ovf:href="../../etc/passwd"'));
    await expect(openLocalSource(ovfPath)).rejects.toThrow(`file reference in ${ovfPath}: unsafe file name "../../etc/passwd"`);
  });

  it('says which file is not an OVF', async () => {
    const dir = folder('not-ovf');
    writeFileSync(join(dir, 'x.ovf'), '<html/>');
    await expect(openLocalSource(join(dir, 'x.ovf'))).rejects.toThrow(`${join(dir, 'x.ovf')}: not an OVF descriptor`);
  });
});

describe('an .ova file', () => {
  function ovaFrom(name: string, members: Record<string, Buffer | string>): string {
    const dir = folder(name);
    for (const [member, data] of Object.entries(members)) writeFileSync(join(dir, member), data);
    const ova = join(root, `${name}.ova`);
    execFileSync('tar', ['--format=ustar', '-cf', ova, ...Object.keys(members)], { cwd: dir });
    return ova;
  }
  const disk = (): Buffer => readFileSync(join(disks, 'stream.vmdk'));
  const ovfFor = (diskBytes: Buffer): string =>
    buildOvfDescriptor({
      name: 'db01',
      cpus: 1,
      memoryMiB: 512,
      disks: [{ fileName: 'db01-disk1.vmdk', fileSize: diskBytes.length, capacityBytes: 8 * MiB, format: VMDK_FORMAT_URL.streamOptimized }],
    });

  it('reads the referenced members in place and returns the .ovf member unchanged', async () => {
    const diskBytes = disk();
    const ovfText = ovfFor(diskBytes);
    const ova = ovaFrom('ova', {
      'db01.ovf': ovfText,
      'db01.mf': formatManifest([
        { name: 'db01.ovf', size: 0, sha256: sha256(Buffer.from(ovfText)) },
        { name: 'db01-disk1.vmdk', size: 0, sha256: sha256(diskBytes) },
      ]),
      'db01-disk1.vmdk': diskBytes,
    });
    const source = await openLocalSource(ova);
    expect(source.vmName).toBe('db01');
    expect(source.files.map((f) => [f.name, f.size, f.rereadable])).toEqual([['db01-disk1.vmdk', diskBytes.length, true]]);
    const { digests, bytes } = await readAll(source);
    expect(bytes.get('db01-disk1.vmdk')).toEqual(diskBytes);
    // Read again: the same bytes (the core hashes first, then writes).
    expect(await buffer(await source.files[0]!.open(signal))).toEqual(diskBytes);
    expect(await source.descriptor(digests, signal)).toBe(ovfText);
    await source.abort(new Error('test'));
  });

  it('needs the .ovf first and every referenced file inside', async () => {
    const diskBytes = disk();
    await expect(openLocalSource(ovaFrom('ova-order', { 'db01-disk1.vmdk': diskBytes, 'db01.ovf': ovfFor(diskBytes) }))).rejects.toThrow(
      /the first member is "db01-disk1\.vmdk", but an OVA must start with its \.ovf descriptor/,
    );
    await expect(openLocalSource(ovaFrom('ova-missing', { 'db01.ovf': ovfFor(diskBytes) }))).rejects.toThrow(
      /the OVF references db01-disk1\.vmdk, which the OVA does not contain/,
    );
  });

  it('refuses a malicious archive', async () => {
    const dir = folder('ova-evil');
    writeFileSync(join(dir, 'x.ovf'), ovfFor(disk()));
    const ova = join(root, 'evil.ova');
    execFileSync('tar', ['--format=ustar', '-P', '--transform', 's,.*,../x.ovf,', '-cf', ova, 'x.ovf'], { cwd: dir });
    await expect(openLocalSource(ova)).rejects.toThrow(/unsafe file name "\.\.\/x\.ovf"/);
  });
});

describe('other paths', () => {
  it('a missing path says what is accepted', async () => {
    const path = join(root, 'nope');
    await expect(openLocalSource(path)).rejects.toThrow(
      `source not found: ${path} (expected a VM folder containing one .vmx file, an .ovf file or an .ova file)`,
    );
  });

  it('a file of another kind', async () => {
    await expect(openLocalSource(join(disks, 'stream.vmdk'))).rejects.toThrow(/^unsupported source: .*stream\.vmdk \(expected a VM folder/);
  });
});
