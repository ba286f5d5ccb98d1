import { describe, expect, it } from 'vitest';
import { rewriteFileReferences } from './file-references.ts';

const descriptor = `<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:href="vm-disk1.vmdk" ovf:id="file1" ovf:size="1000"/>
    <File ovf:id="file2" ovf:href="a&amp;b.vmdk" ovf:size="2000" ovf:compression="gzip"/>
    <File ovf:href="cd.iso" ovf:id="file3" ovf:size="30"/>
  </References>
  <DiskSection><Disk ovf:fileRef="file1" ovf:capacity="4"/></DiskSection>
</Envelope>`;

describe('rewriteFileReferences', () => {
  it('renames, resizes and marks compression on the files named, leaving the rest as it was', () => {
    const out = rewriteFileReferences(
      descriptor,
      new Map([
        ['vm-disk1.vmdk', { href: 'vm-disk1.vmdk.gz', size: 512, compression: 'gzip' }],
        ['a&b.vmdk', { href: 'a&b.vmdk', size: 2100 }],
      ]),
    );
    expect(out).toContain('<File ovf:href="vm-disk1.vmdk.gz" ovf:id="file1" ovf:size="512" ovf:compression="gzip"/>');
    expect(out).toContain('<File ovf:id="file2" ovf:href="a&amp;b.vmdk" ovf:size="2100"/>');
    expect(out).toContain('<File ovf:href="cd.iso" ovf:id="file3" ovf:size="30"/>');
    expect(out).toContain('<Disk ovf:fileRef="file1" ovf:capacity="4"/>');
  });

  it('works with a default namespace (no prefix) and adds a missing size', () => {
    const out = rewriteFileReferences('<References><File href="d.vmdk" id="f"/></References>', new Map([['d.vmdk', { href: 'd.vmdk.zst', size: 9 }]]));
    expect(out).toBe('<References><File href="d.vmdk.zst" id="f" size="9"/></References>');
  });
});
