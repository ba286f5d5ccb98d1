// ExportBindings: what a restore refuses once encrypt-aes read a file's binding from its header.
import { describe, expect, it } from 'vitest';
import { ExportBindings } from './file-bindings.ts';

const bound = (storedName: string, exportId = 'job-1') => ({ storedName, exportId });

/** The error `action` throws (failing the test when it throws none). */
function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}

const ONE_EXPORT_HINT = 'restore the files of one export together, as that export wrote them; restore another copy if this one was altered';

describe('ExportBindings', () => {
  it('says what to do in every refusal: code RESTORE_BINDING and a hint', () => {
    expect(thrown(() => new ExportBindings().check('web01-disk1.vmdk.hxe', bound('web01-disk2.vmdk.hxe')))).toMatchObject({
      code: 'RESTORE_BINDING',
      hint: 'restore another copy of the export; if you renamed the file yourself, give it back its name web01-disk2.vmdk.hxe',
    });
    const mixedExports = new ExportBindings();
    mixedExports.check('web01.ovf.hxe', bound('web01.ovf.hxe', 'job-new'));
    expect(thrown(() => mixedExports.check('web01-disk1.vmdk.hxe', bound('web01-disk1.vmdk.hxe', 'job-old')))).toMatchObject({
      code: 'RESTORE_BINDING',
      hint: ONE_EXPORT_HINT,
    });
    const mixedVersions = new ExportBindings();
    mixedVersions.check('a.vmdk.hxe', undefined);
    expect(thrown(() => mixedVersions.check('b.vmdk.hxe', bound('b.vmdk.hxe')))).toMatchObject({ code: 'RESTORE_BINDING', hint: ONE_EXPORT_HINT });
  });

  it('accepts the files of one export under the names they were written as', () => {
    const bindings = new ExportBindings();
    expect(() => {
      bindings.check('web01.ovf.hxe', bound('web01.ovf.hxe'));
      bindings.check('web01-disk1.vmdk.zst.hxe', bound('web01-disk1.vmdk.zst.hxe'));
    }).not.toThrow();
  });

  it('refuses a file written under another name (two disks swapped), naming both', () => {
    const bindings = new ExportBindings();
    expect(() => bindings.check('web01-disk1.vmdk.hxe', bound('web01-disk2.vmdk.hxe'))).toThrow(
      'web01-disk1.vmdk.hxe was written as web01-disk2.vmdk.hxe: the files of this export were swapped or renamed',
    );
  });

  it("refuses a file of another export among the files of one, and one that is not the record's", () => {
    const bindings = new ExportBindings();
    bindings.check('web01.ovf.hxe', bound('web01.ovf.hxe', 'job-new'));
    expect(() => bindings.check('web01-disk1.vmdk.hxe', bound('web01-disk1.vmdk.hxe', 'job-old'))).toThrow(
      'web01-disk1.vmdk.hxe was written by another export (job job-old) than web01.ovf.hxe (job job-new)',
    );
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
