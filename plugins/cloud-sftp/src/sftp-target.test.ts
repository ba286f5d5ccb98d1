import { describe, expect, it } from 'vitest';
import { parseSftpUrl, remotePath, urlOfKey } from './sftp-target.ts';

describe('parseSftpUrl', () => {
  it('reads user, host, port and an absolute path', () => {
    expect(parseSftpUrl(new URL('sftp://backup@10.0.0.5:2222/srv/backups/'))).toEqual({
      host: '10.0.0.5',
      port: 2222,
      username: 'backup',
      root: '/srv/backups',
      query: {},
      url: 'sftp://backup@10.0.0.5:2222/srv/backups/',
    });
    expect(parseSftpUrl(new URL('sftp://nas/data'))).toMatchObject({ host: 'nas', port: 22, username: undefined, root: '/data' });
  });

  it('reads /~/ as relative to the login directory', () => {
    expect(parseSftpUrl(new URL('sftp://u@nas/~/backups'))).toMatchObject({ root: 'backups' });
    expect(parseSftpUrl(new URL('sftp://u@nas/~'))).toMatchObject({ root: '' });
    expect(parseSftpUrl(new URL('sftp://u@nas'))).toMatchObject({ root: '' });
  });

  it('reads IPv6 hosts', () => {
    expect(parseSftpUrl(new URL('sftp://u@[::1]:2222/x'))).toMatchObject({ host: '::1', port: 2222, url: 'sftp://u@[::1]:2222/x/' });
  });

  it('refuses passwords (without repeating them) and unknown query settings', () => {
    let refusal: unknown;
    try {
      parseSftpUrl(new URL('sftp://u:hunter2@nas/x'));
    } catch (error) {
      refusal = error;
    }
    // Asserted outside the catch, so a parse that stopped refusing fails here instead of passing silently.
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as Error).message).toMatch(/a password in the URL is refused/);
    expect((refusal as Error).message).not.toContain('hunter2');
    expect(() => parseSftpUrl(new URL('sftp://u@nas/x?insecure=true'))).toThrow(/take no "insecure" setting/);
  });

  it('keeps non-secret query settings out of the printed URL', () => {
    const target = parseSftpUrl(new URL('sftp://u@nas/x?keyFile=%2Froot%2Fid&fingerprint=SHA256%3Aabc'));
    expect(target.query).toEqual({ keyFile: '/root/id', fingerprint: 'SHA256:abc' });
    expect(target.url).toBe('sftp://u@nas/x/');
  });
});

describe('keys', () => {
  const target = parseSftpUrl(new URL('sftp://u@nas/srv/b'));
  it('maps keys below the root and refuses ones that climb out', () => {
    expect(remotePath(target, 'vm1/disk.vmdk')).toBe('/srv/b/vm1/disk.vmdk');
    expect(urlOfKey(target, 'vm1/disk.vmdk')).toBe('sftp://u@nas/srv/b/vm1/disk.vmdk');
    expect(() => remotePath(target, '../etc/passwd')).toThrow(/not a valid object key/);
    expect(() => remotePath(target, 'a//b')).toThrow(/not a valid object key/);
  });
});
