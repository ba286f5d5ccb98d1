import { describe, expect, it } from 'vitest';
import { assertSafeFileName, unsafeFileNameReason } from './safe-name.ts';

describe('assertSafeFileName', () => {
  it.each(['disk1.vmdk', 'vm.ovf', 'My VM (copy)-disk1.vmdk', '.hidden', 'a..b', 'disk.', 'v1...', 'é.vmdk', 'x'.repeat(255)])('accepts %j', (name) => {
    expect(() => assertSafeFileName(name, 'test')).not.toThrow();
  });

  it.each([
    ['', /empty/],
    ['../evil', /"\/"/],
    ['/etc/passwd', /"\/"/],
    ['sub/dir/file', /"\/"/],
    ['a\\b', /"\\"/],
    ['.', /only of dots/],
    ['..', /only of dots/],
    ['...', /only of dots/],
    ['a\0b', /NUL/],
    ['a\nb', /control character/],
    ['a\x7fb', /control character/],
    ['x'.repeat(256), /256 bytes/],
    ['é'.repeat(128), /256 bytes/],
  ])('refuses %j', (name, reason) => {
    expect(unsafeFileNameReason(name)).toMatch(reason);
    expect(() => assertSafeFileName(name, 'OVA member in /tmp/x.ova')).toThrow(/^OVA member in \/tmp\/x\.ova: unsafe file name/);
  });

  it('refuses a name that is not a string (from parsed JSON or XML) as empty, without a TypeError', () => {
    for (const name of [undefined, null, 42]) {
      expect(unsafeFileNameReason(name as unknown as string), String(name)).toBe('it is empty');
    }
  });

  it('quotes the name so that invisible characters show', () => {
    expect(() => assertSafeFileName('a\tb', 'ctx')).toThrow('"a\\tb"');
  });
});
