import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexOva, openOvaMember } from './ova-index.ts';
import { BLOCK_SIZE, encodeTarHeader, endOfArchive, padding, paddingSize } from './tar.ts';

const dir = mkdtempSync(join(tmpdir(), 'hx-ova-index-'));
const files = join(dir, 'files');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LONG_NAME = `${'long-'.repeat(30)}disk.vmdk`; // 159 bytes: more than a ustar name field
const contents: Record<string, Buffer> = {
  'vm.ovf': Buffer.from('<Envelope/>\n'),
  'vm.mf': Buffer.from('SHA256(vm.ovf)= 00\n'),
  'vm-disk1.vmdk': randomBytes(70_001),
  'empty.nvram': Buffer.alloc(0),
};

beforeAll(() => {
  mkdirSync(files);
  for (const [name, bytes] of Object.entries(contents)) writeFileSync(join(files, name), bytes);
});

/** Runs GNU tar in the files folder and returns the archive's path. */
function gnuTar(archive: string, args: string[], names: string[]): string {
  const path = join(dir, archive);
  execFileSync('tar', ['-cf', path, ...args, ...names], { cwd: files, stdio: ['ignore', 'ignore', 'ignore'] });
  return path;
}

async function expectMembersMatch(path: string, names: string[]): Promise<void> {
  const members = await indexOva(path);
  expect(members.map((m) => m.name)).toEqual(names);
  for (const member of members) {
    expect(member.size).toBe(readFileSync(join(files, member.name)).length);
    expect(await buffer(openOvaMember(path, member))).toEqual(readFileSync(join(files, member.name)));
  }
}

describe('indexOva on archives made by GNU tar', () => {
  const names = ['vm.ovf', 'vm.mf', 'vm-disk1.vmdk', 'empty.nvram'];

  it.each(['ustar', 'gnu', 'posix'])('--format=%s', async (format) => {
    await expectMembersMatch(gnuTar(`${format}.ova`, [`--format=${format}`], names), names);
  });

  it('refuses pre-POSIX v7 archives, which have no ustar magic', async () => {
    await expect(indexOva(gnuTar('v7.ova', ['--format=v7'], names))).rejects.toThrow(/not a ustar header .* an OVA is a POSIX ustar archive/);
  });

  it('long names: GNU "L" members and PAX path records', async () => {
    writeFileSync(join(files, LONG_NAME), randomBytes(600));
    await expectMembersMatch(gnuTar('long-gnu.ova', ['--format=gnu'], ['vm.ovf', LONG_NAME]), ['vm.ovf', LONG_NAME]);
    await expectMembersMatch(gnuTar('long-pax.ova', ['--format=posix'], ['vm.ovf', LONG_NAME]), ['vm.ovf', LONG_NAME]);
    rmSync(join(files, LONG_NAME));
  });

  it('reads a member in place as a byte range', async () => {
    const path = gnuTar('range.ova', ['--format=ustar'], names);
    const [ovf] = await indexOva(path);
    expect(ovf).toEqual({ name: 'vm.ovf', offset: BLOCK_SIZE, size: contents['vm.ovf']?.length });
    expect(await text(openOvaMember(path, ovf!))).toBe('<Envelope/>\n');
  });
});

describe('indexOva refuses what an OVA must not contain', () => {
  const transformed = (archive: string, target: string): string =>
    gnuTar(archive, ['--format=ustar', '--absolute-names', '--transform', `s,.*,${target},`], ['vm.ovf']);

  it.each([
    ['../evil', 'dotdot.ova'],
    ['/etc/passwd', 'absolute.ova'],
    ['sub/dir/file', 'subdir.ova'],
  ])('a member named %s', async (name, archive) => {
    await expect(indexOva(transformed(archive, name))).rejects.toThrow(`OVA member in ${join(dir, archive)}: unsafe file name "${name}"`);
  });

  it('a symbolic link', async () => {
    symlinkSync('/etc/passwd', join(files, 'link.vmdk'));
    const path = gnuTar('symlink.ova', ['--format=ustar'], ['vm.ovf', 'link.vmdk']);
    rmSync(join(files, 'link.vmdk'));
    await expect(indexOva(path)).rejects.toThrow(/OVA member "link\.vmdk" is a symbolic link; an OVA may only contain regular files/);
  });

  it('a hard link', async () => {
    // Append a hard link member after vm.ovf (header + 12-byte body padded to one block).
    const path = gnuTar('hardlink.ova', ['--format=ustar'], ['vm.ovf']);
    const firstMember = readFileSync(path).subarray(0, 2 * BLOCK_SIZE);
    writeFileSync(path, Buffer.concat([firstMember, encodeWithType('copy.ovf', 0, '1', 'vm.ovf'), endOfArchive()]));
    await expect(indexOva(path)).rejects.toThrow(/"copy\.ovf" is a hard link/);
  });

  it('a directory', async () => {
    mkdirSync(join(files, 'sub'));
    const path = gnuTar('dir.ova', ['--format=ustar'], ['vm.ovf', 'sub']);
    rmSync(join(files, 'sub'), { recursive: true });
    await expect(indexOva(path)).rejects.toThrow(/"sub\/" is a directory/);
  });

  it('a NUL in a PAX path', async () => {
    const pax = paxBody({ path: 'evil\0.vmdk' });
    const path = join(dir, 'nul.ova');
    writeFileSync(path, Buffer.concat([encodeWithType('PaxHeaders/x', pax.length, 'x'), pax, padding(pax.length), encodeWithType('x.vmdk', 0, '0'), endOfArchive()]));
    await expect(indexOva(path)).rejects.toThrow(/unsafe file name "evil\\u0000\.vmdk": it contains a NUL character/);
  });

  it('two members of the same name', async () => {
    const path = join(dir, 'dup.ova');
    writeFileSync(path, Buffer.concat([encodeWithType('a.ovf', 0, '0'), encodeWithType('a.ovf', 0, '0'), endOfArchive()]));
    await expect(indexOva(path)).rejects.toThrow(/"a\.ovf" appears twice/);
  });
});

describe('indexOva on damaged input', () => {
  it('a truncated member', async () => {
    const path = join(dir, 'truncated.ova');
    writeFileSync(path, Buffer.concat([encodeTarHeader({ name: 'disk.vmdk', size: 10_000 }), Buffer.alloc(5000)]));
    await expect(indexOva(path)).rejects.toThrow(/truncated OVA \(member "disk\.vmdk" needs 10000 bytes at byte 512/);
  });

  it('a file that is not a tar archive', async () => {
    const path = join(dir, 'not.ova');
    writeFileSync(path, Buffer.alloc(2048, 'not a tar archive '));
    await expect(indexOva(path)).rejects.toThrow(/not a valid OVA \(tar archive\) at byte 0/);
  });

  it('an empty archive', async () => {
    const path = join(dir, 'empty.ova');
    writeFileSync(path, endOfArchive());
    await expect(indexOva(path)).rejects.toThrow(/contains no files/);
  });

  it('a size from a PAX record above 8 GiB, on a sparse file', async () => {
    const size = 9 * 1024 ** 3 + 7;
    const pax = paxBody({ size: String(size) });
    const head = Buffer.concat([encodeWithType('PaxHeaders/big', pax.length, 'x'), pax, padding(pax.length), encodeTarHeader({ name: 'big.vmdk', size: 0 })]);
    const path = join(dir, 'pax-size.ova');
    writeFileSync(path, head);
    execFileSync('truncate', ['-s', String(head.length + size + paddingSize(size) + 1024), path]);
    expect(await indexOva(path)).toEqual([{ name: 'big.vmdk', offset: head.length, size }]);
  });

  it('leaves nothing behind', () => {
    expect(readdirSync(files).sort()).toEqual(Object.keys(contents).sort());
  });
});

/** A header of any type, built from a regular one with the type flag (and link name) patched. */
function encodeWithType(name: string, size: number, type: string, linkname = ''): Buffer {
  const block = encodeTarHeader({ name, size });
  block.write(type, 156, 'latin1');
  block.write(linkname, 157, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return block;
}

function paxBody(records: Record<string, string>): Buffer {
  return Buffer.concat(Object.entries(records).map(([key, value]) => {
    const rest = Buffer.byteLength(`${key}=${value}`) + 2;
    let length = rest + 1;
    while (String(length).length + rest !== length) length++;
    return Buffer.from(`${length} ${key}=${value}\n`);
  }));
}
