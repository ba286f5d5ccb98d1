import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, decodeTarHeader, encodeTarHeader, endOfArchive, padding, paddingSize, parseGnuLongName, parsePaxRecords } from './tar.ts';

const GiB = 1024 ** 3;
const dir = mkdtempSync(join(tmpdir(), 'hx-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encodeTarHeader / decodeTarHeader', () => {
  it('writes a POSIX ustar header that decodes back', () => {
    const block = encodeTarHeader({ name: 'vm.ovf', size: 1234, mtime: 1_700_000_000 });
    expect(block.length).toBe(BLOCK_SIZE);
    expect(block.toString('latin1', 257, 265)).toBe('ustar\x0000');
    expect(block.toString('latin1', 148, 156)).toMatch(/^[0-7]{6}\0 $/);
    expect(decodeTarHeader(block)).toEqual({ name: 'vm.ovf', size: 1234, mode: 0o644, mtime: 1_700_000_000, typeflag: '0', linkname: '' });
  });

  it('is read by GNU tar', () => {
    const body = Buffer.from('hello, tar\n');
    const archive = Buffer.concat([encodeTarHeader({ name: 'hello.txt', size: body.length, mtime: 0 }), body, padding(body.length), endOfArchive()]);
    writeFileSync(join(dir, 'hello.tar'), archive);
    expect(execFileSync('tar', ['-tvf', join(dir, 'hello.tar')], { encoding: 'utf8' })).toMatch(/ 11 1970-01-01 00:00 hello\.txt\n$/);
  });

  it('keeps the octal field up to 8 GiB - 1 and switches to GNU base-256 at 8 GiB', () => {
    const below = encodeTarHeader({ name: 'a', size: 8 * GiB - 1 });
    expect(below.toString('latin1', 124, 136)).toBe('77777777777\0');
    for (const size of [8 * GiB, 100 * GiB + 3, 2 ** 52]) {
      const block = encodeTarHeader({ name: 'disk.vmdk', size });
      expect(block[124]).toBe(0x80);
      expect(decodeTarHeader(block)?.size).toBe(size);
    }
  });

  it('GNU tar reads a base-256 size (header followed by a sparse 9 GiB body)', () => {
    const size = 9 * GiB + 5;
    const path = join(dir, 'big.tar');
    writeFileSync(path, encodeTarHeader({ name: 'big.vmdk', size, mtime: 0 }));
    // Extend the file without writing the body: the filesystem keeps the hole sparse.
    execFileSync('truncate', ['-s', String(BLOCK_SIZE + size + paddingSize(size) + 2 * BLOCK_SIZE), path]);
    expect(execFileSync('tar', ['-tvf', path], { encoding: 'utf8' })).toContain(` ${size} 1970-01-01 00:00 big.vmdk`);
  });

  it('rejects names a single ustar header cannot hold', () => {
    expect(() => encodeTarHeader({ name: 'x'.repeat(101), size: 0 })).toThrow(/101 bytes; a ustar header holds 1 to 100/);
    expect(() => encodeTarHeader({ name: '', size: 0 })).toThrow(/0 bytes/);
    expect(() => encodeTarHeader({ name: 'a', size: -1 })).toThrow(/invalid size/);
  });

  it('returns undefined for a zero block and refuses a bad checksum or magic', () => {
    expect(decodeTarHeader(Buffer.alloc(BLOCK_SIZE))).toBeUndefined();
    const block = encodeTarHeader({ name: 'a', size: 1 });
    block[0] = 'b'.charCodeAt(0);
    expect(() => decodeTarHeader(block)).toThrow(/checksum mismatch/);
    expect(() => decodeTarHeader(Buffer.alloc(BLOCK_SIZE, 0x41))).toThrow(/checksum|invalid/);
  });

  it('joins the ustar prefix and reads old GNU headers', () => {
    const block = encodeTarHeader({ name: 'file', size: 0 });
    block.write('some/dir', 345, 'latin1');
    rechecksum(block);
    expect(decodeTarHeader(block)?.name).toBe('some/dir/file');

    const gnu = encodeTarHeader({ name: 'file', size: 0 });
    gnu.write('ustar  \0', 257, 'latin1');
    gnu.write('garbage', 345, 'latin1'); // old GNU uses these bytes for other fields
    rechecksum(gnu);
    expect(decodeTarHeader(gnu)?.name).toBe('file');
  });
});

describe('padding and end of archive', () => {
  it('pads to the next 512-byte boundary', () => {
    expect([0, 1, 511, 512, 513].map(paddingSize)).toEqual([0, 511, 1, 0, 511]);
    expect(padding(3).length).toBe(509);
    expect(endOfArchive()).toEqual(Buffer.alloc(1024));
  });
});

describe('PAX and GNU long names', () => {
  it('parses PAX records, whose length counts the whole record', () => {
    const record = (text: string): string => {
      const rest = Buffer.byteLength(text) + 2; // the space and the newline
      let length = rest + 1;
      while (String(length).length + rest !== length) length++;
      return `${length} ${text}\n`;
    };
    const body = Buffer.from(record('path=' + 'x'.repeat(150)) + record('size=10737418240'));
    expect(parsePaxRecords(body)).toEqual(
      new Map([
        ['path', 'x'.repeat(150)],
        ['size', '10737418240'],
      ]),
    );
    expect(() => parsePaxRecords(Buffer.from('99 path=x\n'))).toThrow(/malformed PAX record length/);
  });

  it('reads a GNU long name up to its NUL', () => {
    expect(parseGnuLongName(Buffer.from('long-name.vmdk\0\0\0'))).toBe('long-name.vmdk');
  });
});

function rechecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}
