import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAuth } from './sftp-auth.ts';

const exec = promisify(execFile);
let directory: string;
let keyFile: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'hyperexport-sftp-auth-'));
  keyFile = join(directory, 'id_ed25519');
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('resolveAuth', () => {
  it('tries the key, then the agent, then the password', async () => {
    const auth = await resolveAuth('backup', { keyFile }, { SSH_AUTH_SOCK: '/tmp/agent.sock', HYPEREXPORT_SFTP_PASSWORD: 's3cret', HOME: directory });
    expect(auth.methods).toEqual(['publickey', 'agent', 'password']);
    expect(auth).toMatchObject({ username: 'backup', agent: '/tmp/agent.sock', password: 's3cret' });
    expect(auth.described).toBe(`key ${keyFile}, ssh-agent, password`);
  });

  it('reads the password from a file, and leaves the agent out when told to', async () => {
    const passwordFile = join(directory, 'password');
    await writeFile(passwordFile, 'from-file\n', { mode: 0o600 });
    const auth = await resolveAuth('backup', { passwordFile, agent: false }, { SSH_AUTH_SOCK: '/tmp/agent.sock', HOME: directory });
    expect(auth.methods).toEqual(['password']);
    expect(auth.password).toBe('from-file');
  });

  it('takes the user from the environment when the URL has none', async () => {
    expect((await resolveAuth(undefined, { keyFile }, { USER: 'operator', HOME: directory })).username).toBe('operator');
  });

  it('explains a missing key file', async () => {
    await expect(resolveAuth('u', { keyFile: join(directory, 'nope') }, { HOME: directory })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/cannot read the SSH key .*nope: ENOENT/),
    });
    await expect(resolveAuth('u', { keyFile: `${keyFile}.pub` }, { HOME: directory })).rejects.toMatchObject({
      message: expect.stringMatching(/is a public key, not a private one/),
    });
    await writeFile(join(directory, 'garbage'), 'not a key');
    await expect(resolveAuth('u', { keyFile: join(directory, 'garbage') }, { HOME: directory })).rejects.toMatchObject({
      message: expect.stringMatching(/is not a private key/),
    });
  });
});
