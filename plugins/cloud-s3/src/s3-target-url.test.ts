import { describe, expect, it } from 'vitest';
import { formatS3Url, parseS3Url } from './s3-target-url.ts';

const parse = (url: string) => parseS3Url(new URL(url));

describe('parseS3Url', () => {
  it('reads the bucket and a folder-like prefix', () => {
    expect(parse('s3://backups')).toEqual({ bucket: 'backups', prefix: '', options: {} });
    expect(parse('s3://backups/')).toMatchObject({ prefix: '' });
    expect(parse('s3://backups/vmware/prod')).toMatchObject({ bucket: 'backups', prefix: 'vmware/prod/' });
    expect(parse('s3://backups//vmware/prod%20site/')).toMatchObject({ prefix: 'vmware/prod site/' });
  });

  it('types the options in the query', () => {
    expect(parse('s3://b1/p?endpoint=http://127.0.0.1:9000&forcePathStyle=false&partSizeMiB=64&sse=AES256&storageClass=GLACIER_IR').options).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: false,
      partSizeMiB: 64,
      sse: 'AES256',
      storageClass: 'GLACIER_IR',
    });
  });

  it('lists every problem with the query at once', () => {
    let problems: readonly string[] = [];
    try {
      parse('s3://b1/p?secretAccessKey=x&forcePathStyle=yes&partSizeMiB=4&sse=none&region=a&region=b');
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG' });
      problems = (error as { problems: string[] }).problems;
    }
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/unknown option "secretAccessKey"/);
    expect(problems.join('\n')).toMatch(/"forcePathStyle" must be true or false/);
    expect(problems.join('\n')).toMatch(/"region" is given 2 times/);
  });

  it('checks the values of typed query options', () => {
    expect(() => parse('s3://b1/p?partSizeMiB=4')).toThrow(/invalid options/);
    expect(() => parse('s3://b1/p?sse=none')).toThrow(/invalid options/);
  });

  it('refuses credentials and ports', () => {
    const withCredentials = (() => {
      try {
        parse('s3://AKIAEXAMPLE:verysecret@b1/p');
      } catch (error) {
        return error as Error & { hint: string };
      }
      return undefined;
    })();
    expect(withCredentials?.message).toMatch(/credentials/);
    expect(`${withCredentials?.message} ${withCredentials?.hint}`).not.toMatch(/verysecret|AKIAEXAMPLE/);
    expect(() => parse('s3://b1:9000/p')).toThrow(/port/);
  });

  it('takes dot segments as URLs do (resolved before the prefix is read)', () => {
    expect(parse('s3://b1/a/../b').prefix).toBe('b/');
    expect(parse('s3://b1/a/%2e%2e/b').prefix).toBe('b/');
  });

  it('formats URLs of keys, encoded by segment', () => {
    expect(formatS3Url('b1', 'p/vm 1/disk#1.vmdk')).toBe('s3://b1/p/vm%201/disk%231.vmdk');
    expect(formatS3Url('b1', '')).toBe('s3://b1/');
  });
});
