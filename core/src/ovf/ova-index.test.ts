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
    writeFileSync(
      path,
      Buffer.concat([encodeWithType('PaxHeaders/x', pax.length, 'x'), pax, padding(pax.length), encodeWithType('x.vmdk', 0, '0'), endOfArchive()]),
    );
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

  it('a cause: the tar error under "not a valid OVA"', async () => {
    const path = join(dir, 'not2.ova');
    writeFileSync(path, Buffer.alloc(2048, 'not a tar archive '));
    const error = await indexOva(path).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toMatchObject({ cause: { message: 'tar: invalid checksum field "a tar ar" in header' } });
  });

  it('an empty file, and a header cut off after a complete member: no tar header', async () => {
    const empty = join(dir, 'zero.ova');
    writeFileSync(empty, Buffer.alloc(0));
    await expect(indexOva(empty)).rejects.toThrow(`${empty}: truncated OVA (no tar header at byte 0)`);
    const cut = join(dir, 'cut-header.ova');
    writeFileSync(cut, Buffer.concat([encodeTarHeader({ name: 'a.ovf', size: 512 }), Buffer.alloc(512, 1), Buffer.alloc(100, 1)]));
    await expect(indexOva(cut)).rejects.toThrow(`${cut}: truncated OVA (no tar header at byte 1024)`);
  });

  it.each([
    ['none', 0],
    ['one', 1],
  ])('%s of the two end blocks after a member that ends exactly at a block boundary is harmless', async (_, endBlocks) => {
    const path = join(dir, `end-${endBlocks}.ova`);
    writeFileSync(path, Buffer.concat([encodeTarHeader({ name: 'a.ovf', size: 1024 }), Buffer.alloc(1024, 1), Buffer.alloc(endBlocks * BLOCK_SIZE)]));
    expect(await indexOva(path)).toEqual([{ name: 'a.ovf', offset: BLOCK_SIZE, size: 1024 }]);
  });

  it.each([
    ['not a number', 'abc'],
    ['a trailing space', '12 '],
    ['a leading space', ' 12'],
    ['a sign', '+12'],
    ['beyond 2^53', '99999999999999999999'],
  ])('a PAX size that is %s', async (_, size) => {
    const pax = paxBody({ size });
    const path = join(dir, 'pax-bad-size.ova');
    writeFileSync(
      path,
      Buffer.concat([
        encodeWithType('PaxHeaders/x', pax.length, 'x'),
        pax,
        padding(pax.length),
        encodeTarHeader({ name: 'x.vmdk', size: 12 }),
        Buffer.alloc(512),
        endOfArchive(),
      ]),
    );
    await expect(indexOva(path)).rejects.toThrow(`${path}: invalid PAX size ${JSON.stringify(size)}`);
  });

  it('an extension header body over 1 MiB (a hostile archive), naming where it starts; 1 MiB itself is read', async () => {
    const limit = 1024 * 1024;
    const first = Buffer.concat([encodeTarHeader({ name: 'vm.ovf', size: 0 })]);
    const withLink = (size: number) =>
      Buffer.concat([
        first,
        encodeWithType('././@LongLink', size, 'K'),
        Buffer.alloc(size, 0x61),
        padding(size),
        encodeTarHeader({ name: 'b.vmdk', size: 0 }),
        endOfArchive(),
      ]);
    const tooLarge = join(dir, 'huge-extension.ova');
    writeFileSync(tooLarge, withLink(limit + 1));
    await expect(indexOva(tooLarge)).rejects.toThrow(`${tooLarge}: tar extension header at byte 512 is too large (${limit + 1} bytes)`);
    const atLimit = join(dir, 'limit-extension.ova');
    writeFileSync(atLimit, withLink(limit));
    expect((await indexOva(atLimit)).map((member) => member.name)).toEqual(['vm.ovf', 'b.vmdk']);
  });
});

describe('indexOva on the other tar member kinds', () => {
  it('skips global PAX headers and GNU long link names: they name no member', async () => {
    const global = paxBody({ comment: 'made by a tool' });
    const longLink = Buffer.from('some/link/target\0');
    const path = join(dir, 'global.ova');
    writeFileSync(
      path,
      Buffer.concat([
        encodeWithType('pax_global_header', global.length, 'g'),
        global,
        padding(global.length),
        encodeWithType('././@LongLink', longLink.length, 'K'),
        longLink,
        padding(longLink.length),
        encodeTarHeader({ name: 'a.ovf', size: 0 }),
        endOfArchive(),
      ]),
    );
    expect(await indexOva(path)).toEqual([{ name: 'a.ovf', offset: 5 * BLOCK_SIZE, size: 0 }]);
  });

  it('a PAX header without a path keeps the name a GNU long name set before it', async () => {
    const longName = Buffer.from(`${LONG_NAME}\0`);
    const pax = paxBody({ mtime: '1700000000' });
    const path = join(dir, 'long-then-pax.ova');
    writeFileSync(
      path,
      Buffer.concat([
        encodeWithType('././@LongLink', longName.length, 'L'),
        longName,
        padding(longName.length),
        encodeWithType('PaxHeaders/x', pax.length, 'x'),
        pax,
        padding(pax.length),
        encodeTarHeader({ name: 'short.vmdk', size: 0 }),
        endOfArchive(),
      ]),
    );
    expect((await indexOva(path)).map((member) => member.name)).toEqual([LONG_NAME]);
  });

  it('reads pre-POSIX regular files (NUL type) and contiguous files (type 7) as regular files', async () => {
    const path = join(dir, 'old-types.ova');
    writeFileSync(path, Buffer.concat([encodeWithType('a.ovf', 0, '\0'), encodeWithType('b.vmdk', 0, '7'), endOfArchive()]));
    expect((await indexOva(path)).map((member) => member.name)).toEqual(['a.ovf', 'b.vmdk']);
  });

  it('names a type it does not know by its flag', async () => {
    const path = join(dir, 'volume.ova');
    writeFileSync(path, Buffer.concat([encodeWithType('label', 0, 'V'), endOfArchive()]));
    await expect(indexOva(path)).rejects.toThrow(`${path}: OVA member "label" is of tar type "V"; an OVA may only contain regular files`);
  });

  it('closes the file it read, whether it succeeded or failed', async () => {
    const good = gnuTar('close.ova', ['--format=ustar'], ['vm.ovf']);
    const bad = join(dir, 'close-bad.ova');
    writeFileSync(bad, Buffer.alloc(2048, 'not a tar archive '));
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let round = 0; round < 5; round++) {
      await indexOva(good);
      await indexOva(bad).catch(() => undefined);
    }
    expect(openFiles()).toBe(before);
  });
});

describe('openOvaMember', () => {
  it('an empty member is an empty byte stream, like any other member', async () => {
    const stream = openOvaMember(join(dir, 'any.ova'), { name: 'empty.nvram', offset: 512, size: 0 });
    expect(stream.readableObjectMode).toBe(false);
    expect(await buffer(stream)).toEqual(Buffer.alloc(0));
  });

  it('stops reading when the signal aborts', async () => {
    const path = gnuTar('abort.ova', ['--format=ustar'], ['vm-disk1.vmdk']);
    const [member] = await indexOva(path);
    const controller = new AbortController();
    controller.abort();
    await expect(buffer(openOvaMember(path, member!, { signal: controller.signal }))).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('indexOva leaves', () => {
  it('nothing behind', () => {
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
  return Buffer.concat(
    Object.entries(records).map(([key, value]) => {
      const rest = Buffer.byteLength(`${key}=${value}`) + 2;
      let length = rest + 1;
      while (String(length).length + rest !== length) length++;
      return Buffer.from(`${length} ${key}=${value}\n`);
    }),
  );
}
