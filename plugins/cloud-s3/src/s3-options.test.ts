import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hyperexport/core';
import { optionsFromTarget, resolveSettings } from './s3-options.ts';
import { MiB } from './part-size.ts';

describe('resolveSettings', () => {
  it('lets the target override the plugin, and the URL override both', () => {
    const settings = resolveSettings(
      [{ region: 'eu-west-1', storageClass: 'STANDARD_IA', queueSize: 2 }, { storageClass: 'GLACIER_IR' }, { region: 'us-east-2' }],
      's3://b/',
    );
    expect(settings).toMatchObject({ region: 'us-east-2', storageClass: 'GLACIER_IR', queueSize: 2, partSize: 8 * MiB, maxAttempts: 5 });
  });

  it('takes a KMS key to mean aws:kms, and refuses one with AES256', () => {
    expect(resolveSettings([{ kmsKeyId: 'alias/x' }], 's3://b/').sse).toBe('aws:kms');
    expect(() => resolveSettings([{ kmsKeyId: 'alias/x', sse: 'AES256' }], 's3://b/')).toThrow(/kmsKeyId with sse AES256/);
  });

  it('refuses an endpoint that carries credentials or is not http(s)', () => {
    expect(() => resolveSettings([{ endpoint: 'http://key:secret@127.0.0.1:9000' }], 's3://b/')).toThrow(/credentials/);
    expect(() => resolveSettings([{ endpoint: 'ftp://127.0.0.1' }], 's3://b/')).toThrow(/not http/);
    // `localhost:9000x` parses as a URL of scheme "localhost:"; one that does not parse at all is refused too.
    expect(() => resolveSettings([{ endpoint: 'localhost:9000x' }], 's3://b/')).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/S3 endpoint .* of s3:\/\/b\/ is not http:\/\/ or https:\/\//) }),
    );
    expect(() => resolveSettings([{ endpoint: 'http://[::1' }], 's3://b/')).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: 'the S3 endpoint "http://[::1" of s3://b/ is not a URL' }),
    );
  });
});

describe('optionsFromTarget', () => {
  it('checks the options it knows', () => {
    expect(optionsFromTarget({ storageClass: 'STANDARD_IA', region: undefined }, 's3://b/')).toEqual({ storageClass: 'STANDARD_IA' });
    expect(() => optionsFromTarget({ queueSize: 0 }, 's3://b/')).toThrow(/invalid options for the target s3:\/\/b\//);
  });

  it("refuses keys it does not know, as its README says (nothing else reads a target's options)", () => {
    let thrown: unknown;
    try {
      optionsFromTarget({ storageclass: 'STANDARD_IA', keepLocal: false }, 's3://b/');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe('invalid options for the target s3://b/');
    expect((thrown as ConfigError).problems).toEqual([
      expect.stringMatching(/^unknown option "storageclass" \(known: endpoint, region, .*storageClass/),
      expect.stringMatching(/^unknown option "keepLocal" /),
    ]);
  });
});
