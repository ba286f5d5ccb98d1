import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '@hyperexport/core';
import { checkConnectionSettings, parseSdkUrl, redactUrl, resolveConnection } from './connection-settings.ts';

describe('resolveConnection', () => {
  const env = { GOVC_URL: 'vc.example.com', GOVC_USERNAME: 'env-user', GOVC_PASSWORD: 'env-secret', GOVC_INSECURE: 'true', GOVC_DATACENTER: 'DC-env' };

  it('reads the govc variables, with a bare host becoming https://HOST/sdk', async () => {
    const { settings, datacenter } = await resolveConnection({}, {}, env);
    expect(settings.url.href).toBe('https://vc.example.com/sdk');
    expect(settings).toMatchObject({ username: 'env-user', password: 'env-secret', insecure: true });
    expect(datacenter).toBe('DC-env');
  });

  it('flags win over the config, which wins over the environment', async () => {
    const { settings, datacenter } = await resolveConnection(
      { url: 'https://config.example.com/sdk', username: 'config-user', insecure: false, datacenter: 'DC-config' },
      { username: 'flag-user', datacenter: 'DC-flag' },
      env,
    );
    expect(settings.url.host).toBe('config.example.com');
    expect(settings.username).toBe('flag-user');
    expect(settings.insecure).toBe(false);
    expect(datacenter).toBe('DC-flag');
  });

  it('takes the password from a file before the environment, and from the URL last', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hyperexport-pw-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'pw'), 'file-secret\nignored second line\n');
    expect((await resolveConnection({}, { passwordFile: join(dir, 'pw') }, env)).settings.password).toBe('file-secret');
    const fromUrl = await resolveConnection({}, {}, { GOVC_URL: 'https://root:url%40secret@esx.local/sdk' });
    expect(fromUrl.settings).toMatchObject({ username: 'root', password: 'url@secret' });
    expect(fromUrl.settings.url.href).toBe('https://esx.local/sdk'); // credentials dropped from the URL
    await expect(resolveConnection({}, { passwordFile: join(dir, 'missing') }, env)).rejects.toThrow(/cannot read the password file .*missing: ENOENT/);
  });

  it('reads GOVC_PASSWORD_FILE before GOVC_PASSWORD, after --password-file and the config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hyperexport-pw-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'env-pw'), 'env-file-secret\n');
    await writeFile(join(dir, 'flag-pw'), 'flag-file-secret\n');
    const withFile = { ...env, GOVC_PASSWORD_FILE: join(dir, 'env-pw') };
    expect((await resolveConnection({}, {}, withFile)).settings.password).toBe('env-file-secret');
    expect((await resolveConnection({}, { passwordFile: join(dir, 'flag-pw') }, withFile)).settings.password).toBe('flag-file-secret');
    expect((await resolveConnection({ passwordFile: join(dir, 'flag-pw') }, {}, withFile)).settings.password).toBe('flag-file-secret');
    // A config that names its own variable replaces both GOVC_ ones.
    expect((await resolveConnection({ passwordEnv: 'VC_PW' }, {}, { ...withFile, VC_PW: 'named' })).settings.password).toBe('named');
    await expect(resolveConnection({}, {}, { ...env, GOVC_PASSWORD_FILE: join(dir, 'missing') })).rejects.toThrow(
      /cannot read the password file named by GOVC_PASSWORD_FILE .*missing: ENOENT/,
    );
  });

  it('takes the user name from the URL where the URL was given: -u user@host wins over GOVC_USERNAME', async () => {
    expect((await resolveConnection({}, { url: 'backup@vc.example.com' }, env)).settings).toMatchObject({ username: 'backup' });
    expect((await resolveConnection({}, { url: 'backup@vc.example.com', username: 'flag-user' }, env)).settings.username).toBe('flag-user');
    expect((await resolveConnection({ url: 'https://cfg@vc.example.com/sdk' }, {}, env)).settings.username).toBe('cfg');
    expect((await resolveConnection({ url: 'https://cfg@vc.example.com/sdk', username: 'named' }, {}, env)).settings.username).toBe('named');
    // In GOVC_URL, GOVC_USERNAME wins, as in govc.
    expect((await resolveConnection({}, {}, { ...env, GOVC_URL: 'https://inurl@vc.example.com/sdk' })).settings.username).toBe('env-user');
    const resolved = await resolveConnection({}, { url: 'backup@vc.example.com' }, env);
    expect(resolved.settings.url.href).toBe('https://vc.example.com/sdk');
  });

  it('asks for a missing password only when a prompt is available', async () => {
    const noPassword = { GOVC_URL: 'vc', GOVC_USERNAME: 'u' };
    await expect(resolveConnection({}, {}, noPassword)).rejects.toThrow(
      'no password for u: set GOVC_PASSWORD or GOVC_PASSWORD_FILE, or give --password-file FILE',
    );
    const prompted = await resolveConnection({}, {}, noPassword, async (question) => {
      expect(question).toBe('Password for u@vc: ');
      return 'typed';
    });
    expect(prompted.settings.password).toBe('typed');
  });

  it('refuses a password in --url (every user sees it in ps) and in the config, never repeating it', async () => {
    const fromFlag = await resolveConnection({}, { url: 'https://root:PASSWORD@esx.local/sdk' }, env).catch((error: unknown) => error);
    expect(fromFlag).toBeInstanceOf(ConfigError);
    expect((fromFlag as ConfigError).message).toBe(
      '--url https://root:***@esx.local/sdk has a password in it, which every user of this machine can read in the process list',
    );
    expect((fromFlag as ConfigError).hint).toContain(
      'keep the user name (user@host) and remove the password; give it with GOVC_PASSWORD, GOVC_PASSWORD_FILE, --password-file FILE',
    );
    expect(() => checkConnectionSettings({ url: 'https://root:PASSWORD@esx.local/sdk' }, {}, {})).toThrow(
      /^the source-vsphere url option https:\/\/root:\*\*\*@esx\.local\/sdk has a password in it/,
    );
    // A user name alone is fine, and GOVC_URL may carry a password, as govc allows.
    expect(() => checkConnectionSettings({}, { url: 'https://root@esx.local/sdk' }, {})).not.toThrow();
    expect(() => checkConnectionSettings({}, {}, { GOVC_URL: 'https://root:PASSWORD@esx.local/sdk' })).not.toThrow();
  });

  it('rejects a malformed thumbprint (a usage error) and an unknown scheme with what is expected', async () => {
    await expect(resolveConnection({ thumbprint: 'AB:CD' }, {}, env)).rejects.toThrow('neither a SHA-1 (40 hex digits) nor a SHA-256 (64 hex digits)');
    expect(() => checkConnectionSettings({}, { thumbprint: 'nope' }, {})).toThrow(ConfigError);
    expect(() => parseSdkUrl('ftp://vc/sdk')).toThrow('unsupported URL scheme ftp:');
    expect(redactUrl('https://root:secret@esx/sdk')).toBe('https://root:***@esx/sdk');
    // A password with an @ or a / (a URL too malformed to parse, so the parser cannot split it): none of it shows.
    expect(redactUrl('https://root:P@ss w0rd@esx/sdk')).toBe('https://root:***@esx/sdk');
    expect(redactUrl('https://root:pa/ss@esx/sdk')).toBe('https://root:***@esx/sdk');
    expect(() => parseSdkUrl('https://root:P@ss@esx host/sdk')).toThrow(
      expect.objectContaining({ message: '"https://root:***@esx host/sdk" is not a URL; expected https://HOST/sdk' }),
    );
  });
});
