import { describe, expect, it } from 'vitest';
import { formatManifest, parseManifest } from './manifest.ts';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);

describe('formatManifest', () => {
  it('writes one SHA256 line per file, in order, lower-case', () => {
    const text = formatManifest([
      { name: 'vm.ovf', size: 1, sha256: A },
      { name: 'vm-disk1.vmdk', size: 2, sha256: B },
    ]);
    expect(text).toBe(`SHA256(vm.ovf)= ${A}\nSHA256(vm-disk1.vmdk)= ${B.toLowerCase()}\n`);
  });

  it('refuses names that would corrupt the manifest', () => {
    expect(() => formatManifest([{ name: 'a\nSHA256(b)', size: 1, sha256: A }])).toThrow(/manifest entry.*control character/);
    expect(() => formatManifest([{ name: 'ok', size: 1, sha256: 'xyz' }])).toThrow(/not a SHA-256/);
  });

  it('refuses a digest with anything before or after its 64 hex digits', () => {
    expect(() => formatManifest([{ name: 'ok', size: 1, sha256: `x${A}` }])).toThrow(/manifest entry "ok": "xa+" is not a SHA-256 hex digest/);
    expect(() => formatManifest([{ name: 'ok', size: 1, sha256: `${A}0` }])).toThrow(/manifest entry "ok": "a+0" is not a SHA-256 hex digest/);
  });
});

describe('parseManifest', () => {
  it('round-trips what formatManifest writes', () => {
    const map = parseManifest(formatManifest([{ name: 'vm.ovf', size: 1, sha256: A }]));
    expect(map).toEqual(new Map([['vm.ovf', { algorithm: 'SHA256', hex: A }]]));
  });

  it('accepts SHA1 and SHA512, no space after "=", CRLF and blank lines', () => {
    const sha1 = 'C'.repeat(40);
    const sha512 = 'd'.repeat(128);
    const map = parseManifest(`SHA1(old.ovf)=${sha1}\r\n\r\nSHA512(disk (1).vmdk)= ${sha512}\r\n`);
    expect(map.get('old.ovf')).toEqual({ algorithm: 'SHA1', hex: sha1.toLowerCase() });
    expect(map.get('disk (1).vmdk')).toEqual({ algorithm: 'SHA512', hex: sha512 });
  });

  it('skips lines of whitespace only, and allows whitespace after the digest', () => {
    const map = parseManifest(`SHA256(a)= ${A} \t\n  \t\nSHA256(b)= ${A}\n`);
    expect([...map.keys()]).toEqual(['a', 'b']);
    expect(map.get('a')).toEqual({ algorithm: 'SHA256', hex: A });
  });

  it('refuses anything before the algorithm or after the digest', () => {
    expect(() => parseManifest(`*SHA256(a)= ${A}\n`)).toThrow(/^manifest line 1 "\*SHA256\(a\)= a+": expected "SHA256\(file\)= hex"/);
    expect(() => parseManifest(`SHA256(a)= ${A} trailing\n`)).toThrow(/^manifest line 1 .*: expected "SHA256\(file\)= hex"/);
  });

  it('names the bad line', () => {
    expect(() => parseManifest(`SHA256(a)= ${A}\nSHA256 b ${A}\n`)).toThrow(/manifest line 2 "SHA256 b a+": expected "SHA256\(file\)= hex"/);
    expect(() => parseManifest(`SHA256(a)= ${'a'.repeat(40)}\n`)).toThrow(/line 1.*64 hex digits, this one 40/);
    expect(() => parseManifest(`SHA256(a)= ${A}\nSHA256(a)= ${A}\n`)).toThrow(/line 2.*listed twice/);
  });

  it('refuses a digest of an algorithm it does not check, naming the algorithm and the file', () => {
    expect(() => parseManifest(`SHA256(a)= ${A}\nMD5(disk.vmdk)= ${'e'.repeat(32)}\n`)).toThrow(
      `manifest line 2 "MD5(disk.vmdk)= ${'e'.repeat(32)}" lists a MD5 digest of disk.vmdk; HyperExport checks SHA1, SHA256 and SHA512 digests only`,
    );
    expect(() => parseManifest(`SHA384(a)= ${'f'.repeat(96)}\n`)).toThrow(
      /lists a SHA384 digest of a; HyperExport checks SHA1, SHA256 and SHA512 digests only/,
    );
    // Object.prototype's names are no algorithms either.
    expect(() => parseManifest(`constructor(a)= ${A}\n`)).toThrow(/lists a constructor digest of a/);
  });
});
