// ExportBindings: what a restore refuses once encrypt-aes read a file's binding from its header.
import { describe, expect, it } from 'vitest';
import { ExportBindings } from './file-bindings.ts';

const bound = (storedName: string, exportId = 'job-1') => ({ storedName, exportId });

describe('ExportBindings', () => {
  it('accepts the files of one export under the names they were written as', () => {
    const bindings = new ExportBindings();
    expect(() => {
      bindings.check('web01.ovf.hxe', bound('web01.ovf.hxe'));
      bindings.check('web01-disk1.vmdk.zst.hxe', bound('web01-disk1.vmdk.zst.hxe'));
    }).not.toThrow();
  });

  it('refuses a file written under another name (two disks swapped), naming both', () => {
    const bindings = new ExportBindings();
    expect(() => bindings.check('web01-disk1.vmdk.hxe', bound('web01-disk2.vmdk.hxe'))).toThrow('web01-disk1.vmdk.hxe was written as web01-disk2.vmdk.hxe: the files of this export were swapped or renamed');
  });

  it('refuses a file of another export among the files of one, and one that is not the record\'s', () => {
    const bindings = new ExportBindings();
    bindings.check('web01.ovf.hxe', bound('web01.ovf.hxe', 'job-new'));
    expect(() => bindings.check('web01-disk1.vmdk.hxe', bound('web01-disk1.vmdk.hxe', 'job-old'))).toThrow('web01-disk1.vmdk.hxe was written by another export (job job-old) than web01.ovf.hxe (job job-new)');
    const fromRecord = new ExportBindings({ exportId: 'job-new' });
    expect(() => fromRecord.check('web01.ova.hxe', bound('web01.ova.hxe', 'job-old'))).toThrow('than the export record (job job-new)');
  });

  it('refuses files with and without a binding in one restore, in either order', () => {
    const first = new ExportBindings();
    first.check('a.vmdk.hxe', undefined);
    expect(() => first.check('b.vmdk.hxe', bound('b.vmdk.hxe'))).toThrow('a.vmdk.hxe carries no binding to its export while b.vmdk.hxe does');
    const second = new ExportBindings();
    second.check('b.vmdk.hxe', bound('b.vmdk.hxe'));
    expect(() => second.check('a.vmdk.hxe', undefined)).toThrow('a.vmdk.hxe carries no binding');
  });

  it('for one file (`hyperexport decrypt`), a renamed file is a warning, not an error', () => {
    const warnings: string[] = [];
    const bindings = new ExportBindings({ onRenamed: (message) => warnings.push(message) });
    bindings.check('backup.vmdk.hxe', bound('web01-disk1.vmdk.hxe'));
    expect(warnings).toEqual(['backup.vmdk.hxe was written as web01-disk1.vmdk.hxe; it may have been renamed']);
  });
});
