import { describe, expect, it } from 'vitest';
import { optionsFromTarget, resolveSettings } from './s3-options.ts';
import { MiB } from './part-size.ts';

describe('resolveSettings', () => {
  it('lets the target override the plugin, and the URL override both', () => {
    const settings = resolveSettings([{ region: 'eu-west-1', storageClass: 'STANDARD_IA', queueSize: 2 }, { storageClass: 'GLACIER_IR' }, { region: 'us-east-2' }], 's3://b/');
    expect(settings).toMatchObject({ region: 'us-east-2', storageClass: 'GLACIER_IR', queueSize: 2, partSize: 8 * MiB, maxAttempts: 5 });
  });

  it('takes a KMS key to mean aws:kms, and refuses one with AES256', () => {
    expect(resolveSettings([{ kmsKeyId: 'alias/x' }], 's3://b/').sse).toBe('aws:kms');
    expect(() => resolveSettings([{ kmsKeyId: 'alias/x', sse: 'AES256' }], 's3://b/')).toThrow(/kmsKeyId with sse AES256/);
  });

  it('refuses an endpoint that carries credentials or is not http(s)', () => {
    expect(() => resolveSettings([{ endpoint: 'http://key:secret@127.0.0.1:9000' }], 's3://b/')).toThrow(/credentials/);
    expect(() => resolveSettings([{ endpoint: 'ftp://127.0.0.1' }], 's3://b/')).toThrow(/not http/);
    expect(() => resolveSettings([{ endpoint: 'localhost:9000x' }], 's3://b/')).toThrow();
  });
});

describe('optionsFromTarget', () => {
  it('checks the options it knows and leaves the others to their readers', () => {
    expect(optionsFromTarget({ storageClass: 'STANDARD_IA', keepLocal: false }, 's3://b/')).toEqual({ storageClass: 'STANDARD_IA' });
    expect(() => optionsFromTarget({ queueSize: 0 }, 's3://b/')).toThrow(/invalid options for the target s3:\/\/b\//);
  });
});
