// How to log in: a private key (the `keyFile` option, or the user's default identity), the
// ssh-agent at SSH_AUTH_SOCK, and a password from HYPEREXPORT_SFTP_PASSWORD or a file; tried in
// that order. Secrets are read here and only handed to ssh2; they are never printed.
import { access, readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ConfigError, readSecretFile } from '@hyperexport/core';
import { KEY_PASSPHRASE_ENV, PASSWORD_ENV } from './sftp-options.ts';
import type { SftpOptions } from './sftp-options.ts';
import { loadSsh2 } from './ssh-libraries.ts';

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface SftpAuth {
  readonly username: string;
  readonly privateKey?: Buffer | undefined;
  readonly passphrase?: string | undefined;
  readonly agent?: string | undefined;
  readonly password?: string | undefined;
  /** ssh2 auth methods, in the order to try them. */
  readonly methods: ReadonlyArray<'publickey' | 'agent' | 'password'>;
  /** What was tried, for messages: `key /root/.ssh/id_ed25519`, `ssh-agent`, `password`. */
  readonly described: string;
}

export async function resolveAuth(username: string | undefined, options: SftpOptions, env: NodeJS.ProcessEnv): Promise<SftpAuth> {
  const user = username ?? env.USER ?? env.LOGNAME ?? userInfo().username;
  const passphrase =
    env[KEY_PASSPHRASE_ENV] || (options.keyPassphraseFile ? await readSecretFile(options.keyPassphraseFile, 'SSH key passphrase file') : undefined);
  const password = env[PASSWORD_ENV] || (options.passwordFile ? await readSecretFile(options.passwordFile, 'SFTP password file') : undefined);
  const agent = options.agent !== false && env.SSH_AUTH_SOCK ? env.SSH_AUTH_SOCK : undefined;

  let keyFile = options.keyFile;
  if (keyFile === undefined && agent === undefined && password === undefined) keyFile = await defaultIdentity(env);
  const privateKey = keyFile === undefined ? undefined : await readPrivateKey(keyFile, passphrase);

  const methods: Array<'publickey' | 'agent' | 'password'> = [];
  const described: string[] = [];
  if (privateKey) {
    methods.push('publickey');
    described.push(`key ${keyFile}`);
  }
  if (agent) {
    methods.push('agent');
    described.push('ssh-agent');
  }
  if (password !== undefined) {
    methods.push('password');
    described.push('password');
  }
  if (methods.length === 0) {
    throw new ConfigError(`no credentials to log in as ${user}`, {
      hint: `give the cloud-sftp \`keyFile\` option (or ?keyFile= in the URL), run an ssh-agent (SSH_AUTH_SOCK), or set ${PASSWORD_ENV} (or \`passwordFile\`)`,
    });
  }
  return { username: user, privateKey, passphrase, agent, password, methods, described: described.join(', ') };
}

async function defaultIdentity(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const home = env.HOME || homedir();
  for (const name of DEFAULT_IDENTITIES) {
    const path = join(home, '.ssh', name);
    try {
      await access(path);
      return path;
    } catch {
      // Not there: try the next one.
    }
  }
  return undefined;
}

/** Reads and checks a private key now, so a wrong path or passphrase is a clear error before connecting. */
async function readPrivateKey(path: string, passphrase: string | undefined): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read the SSH key ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: "check the cloud-sftp `keyFile` option and the file's permissions",
      cause: error,
    });
  }
  const ssh2 = await loadSsh2();
  const parsed = ssh2.utils.parseKey(data, passphrase);
  if (parsed instanceof Error) {
    if (/encrypted|passphrase/i.test(parsed.message)) {
      throw new ConfigError(
        `the SSH key ${path} is encrypted and ${passphrase === undefined ? 'no passphrase was given' : 'the passphrase given does not open it'}`,
        {
          hint: `give its passphrase in ${KEY_PASSPHRASE_ENV} or a file named by the cloud-sftp \`keyPassphraseFile\` option, or use an ssh-agent`,
        },
      );
    }
    throw new ConfigError(`${path} is not a private key ssh2 can use: ${parsed.message}`, {
      hint: 'give an OpenSSH, PEM or PuTTY private key (not the .pub file)',
    });
  }
  const key = Array.isArray(parsed) ? ((parsed as unknown[])[0] as typeof parsed) : parsed;
  if (!key.isPrivateKey()) throw new ConfigError(`${path} is a public key, not a private one`, { hint: 'give the private key file (the one without .pub)' });
  return data;
}
