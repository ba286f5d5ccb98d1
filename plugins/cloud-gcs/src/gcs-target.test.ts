import { describe, expect, it } from 'vitest';
import { keyOf, objectName, parseGcsUrl, urlOfKey } from './gcs-target.ts';

describe('parseGcsUrl', () => {
  it('splits bucket and prefix, and normalises the prefix to end with a slash', () => {
    expect(parseGcsUrl(new URL('gs://my-backups/vsphere/prod'))).toEqual({
      bucket: 'my-backups',
      prefix: 'vsphere/prod/',
      url: 'gs://my-backups/vsphere/prod/',
    });
    expect(parseGcsUrl(new URL('gs://my-backups/vsphere/'))).toMatchObject({ prefix: 'vsphere/' });
    expect(parseGcsUrl(new URL('gs://my-backups'))).toEqual({ bucket: 'my-backups', prefix: '', url: 'gs://my-backups/' });
  });

  it('refuses credentials, ports, queries and invalid bucket names', () => {
    expect(() => parseGcsUrl(new URL('gs://me:pw@bucket/x'))).toThrow(/must not carry credentials/);
    expect(() => parseGcsUrl(new URL('gs://bucket:99/x'))).toThrow(/no port or query/);
    expect(() => parseGcsUrl(new URL('gs://bucket/x?key=1'))).toThrow(/no port or query/);
    expect(() => parseGcsUrl(new URL('gs://a/x'))).toThrow(/not a valid bucket name/);
    expect(() => parseGcsUrl(new URL('s3://bucket/x'))).toThrow(/not a Google Cloud Storage URL/);
  });
});

describe('object names', () => {
  const target = parseGcsUrl(new URL('gs://bucket/pre'));
  it('maps keys under the prefix and back', () => {
    expect(objectName(target, 'vm1/disk.vmdk')).toBe('pre/vm1/disk.vmdk');
    expect(keyOf(target, 'pre/vm1/disk.vmdk')).toBe('vm1/disk.vmdk');
    expect(urlOfKey(target, 'vm1/disk.vmdk')).toBe('gs://bucket/pre/vm1/disk.vmdk');
  });
  it('refuses keys that climb out of the prefix or are empty', () => {
    expect(() => objectName(target, '../other/x')).toThrow(/not a valid object key/);
    expect(() => objectName(target, '')).toThrow(/not a valid object key/);
  });
});
