import { describe, expect, it } from 'vitest';
import { redact } from './redact.ts';

describe('redact', () => {
  it('hides the password of a URL and keeps the user and host', () => {
    expect(redact('cannot reach https://admin:s3cr3t@vcenter.example.com/sdk: ECONNREFUSED')).toBe(
      'cannot reach https://admin:***@vcenter.example.com/sdk: ECONNREFUSED',
    );
    expect(redact('sftp://backup:p@ss:w0rd@nas/exports')).toBe('sftp://backup:***@nas/exports');
  });

  it('hides the values of secret-looking keys in every usual spelling', () => {
    expect(redact('GOVC_PASSWORD=hunter2 GOVC_URL=esx')).toBe('GOVC_PASSWORD=*** GOVC_URL=esx');
    expect(redact('{"password":"a b c","user":"root"}')).toBe('{"password":"***","user":"root"}');
    expect(redact("client_secret: 'xyz', region: eu")).toBe("client_secret: '***', region: eu");
    expect(redact('apiKey=AKIA123&bucket=b')).toBe('apiKey=***&bucket=b');
    expect(redact('https://acct.blob.core.windows.net/c?sv=2024&sig=abc%2Bdef&se=1')).toBe('https://acct.blob.core.windows.net/c?sv=2024&sig=***&se=1');
    expect(redact('token: abc.def.ghi')).toBe('token: ***');
    expect(redact('passphrase=correct-horse')).toBe('passphrase=***');
  });

  it('hides authorization headers and bearer tokens', () => {
    expect(redact('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: Basic ***');
    expect(redact('sent Bearer eyJhbGciOi.x.y to the hook')).toBe('sent Bearer *** to the hook');
  });

  it('leaves ordinary messages alone', () => {
    const message = '[store-local] store: /backups/web01.ova exists; pass --overwrite (disk: web01.vmdk, size: 4 MiB)';
    expect(redact(message)).toBe(message);
    expect(redact('file:///backups/web01.ova')).toBe('file:///backups/web01.ova');
  });
});
