// The real GnuPG (/usr/bin/gpg) in a throw-away home directory, for interop tests: keys are made
// by gpg itself, and files are encrypted and decrypted by gpg. Passphrases go through files in
// that home (mode 0600, `--passphrase-file`), never on a command line.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const GPG = '/usr/bin/gpg';

export interface GpgKey {
  readonly userId: string;
  readonly fingerprint: string;
}

export interface GenerateKeyOptions {
  /** `default`, `future-default` (ed25519 + cv25519), `rsa3072`, `ed25519`, ... */
  readonly algorithm?: string;
  /** `default` (sign + encryption subkey), `sign`, `sign,cert`, ... */
  readonly usage?: string;
  /** Adds an encryption subkey of this algorithm (`rsa3072`, `cv25519`) after the primary key. */
  readonly encryptionSubkey?: string;
  /** `never`, `1d`, `2y`, ... */
  readonly expire?: string;
  /** Protects the secret key; empty or undefined leaves it unprotected. */
  readonly passphrase?: string;
  /** Pretends to be at this time (`--faked-system-time`), e.g. to make a key that has expired. */
  readonly fakedSystemTime?: Date;
}

/** The installed gpg's version, e.g. `2.2.40`. */
export async function gpgVersion(): Promise<string> {
  const { stdout } = await run(GPG, ['--version']);
  return /gpg \(GnuPG\) (\S+)/.exec(stdout)?.[1] ?? 'unknown';
}

const gpgTime = (date: Date) =>
  `${date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')}!`;

export class GpgHome {
  readonly home: string;
  #secrets = 0;

  private constructor(home: string) {
    this.home = home;
  }

  /** A fresh GNUPGHOME under the OS temp directory; `close()` removes it and stops its agent. */
  static async create(): Promise<GpgHome> {
    const home = await mkdtemp(join(tmpdir(), 'hx-gpg-'));
    await chmod(home, 0o700);
    return new GpgHome(home);
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, GNUPGHOME: this.home, LC_ALL: 'C' };
  }

  /** Runs gpg in batch mode in this home; rejects with its stderr on failure. */
  async gpg(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
    try {
      return await run(GPG, ['--batch', '--no-tty', '--yes', '--pinentry-mode', 'loopback', ...args], { env: this.env, maxBuffer: 64 << 20 });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`gpg ${args.join(' ')} failed: ${stderr ?? String(error)}`, { cause: error });
    }
  }

  /** Writes a secret into a 0600 file in the home, for `--passphrase-file`. */
  async secretFile(secret: string): Promise<string> {
    const path = join(this.home, `secret-${++this.#secrets}`);
    await writeFile(path, `${secret}\n`, { mode: 0o600 });
    return path;
  }

  async generateKey(userId: string, options: GenerateKeyOptions = {}): Promise<GpgKey> {
    const passphraseFile = await this.secretFile(options.passphrase ?? '');
    const faked = options.fakedSystemTime ? ['--faked-system-time', gpgTime(options.fakedSystemTime)] : [];
    // An empty passphrase file means "no protection" to gpg in loopback mode.
    const protect = options.passphrase ? ['--passphrase-file', passphraseFile] : ['--passphrase', ''];
    await this.gpg([
      ...faked,
      ...protect,
      '--quick-gen-key',
      userId,
      options.algorithm ?? 'future-default',
      options.usage ?? 'default',
      options.expire ?? 'never',
    ]);
    const { stdout } = await this.gpg(['--with-colons', '--list-keys', userId]);
    const fingerprint = stdout
      .split('\n')
      .find((line) => line.startsWith('fpr:'))
      ?.split(':')[9];
    if (!fingerprint) throw new Error(`gpg made no key for ${userId}`);
    if (options.encryptionSubkey) {
      await this.gpg([...faked, ...protect, '--quick-add-key', fingerprint, options.encryptionSubkey, 'encr', options.expire ?? 'never']);
    }
    return { userId, fingerprint };
  }

  /** Exports the public key, armored (default) or binary, into `path`. */
  async exportPublicKey(key: GpgKey, path: string, armor = true): Promise<string> {
    await this.gpg([...(armor ? ['--armor'] : []), '--output', path, '--export', key.fingerprint]);
    return path;
  }

  /** Exports the secret key (armored); `passphrase` is the key's own, when it has one. */
  async exportSecretKey(key: GpgKey, path: string, passphrase?: string): Promise<string> {
    const unlock = passphrase ? ['--passphrase-file', await this.secretFile(passphrase)] : ['--passphrase', ''];
    await this.gpg([...unlock, '--armor', '--output', path, '--export-secret-keys', key.fingerprint]);
    return path;
  }

  /** Revokes the key with the revocation certificate gpg made when it generated it. */
  async revoke(key: GpgKey): Promise<void> {
    const directory = join(this.home, 'openpgp-revocs.d');
    const file = (await readdir(directory)).find((name) => name.startsWith(key.fingerprint));
    if (!file) throw new Error(`no revocation certificate for ${key.fingerprint}`);
    // gpg stores it with a leading ':' on the armor line, so that it is not imported by mistake.
    const certificate = (await readFile(join(directory, file), 'utf8')).replace(/^:-----BEGIN/m, '-----BEGIN');
    const path = join(this.home, `revoke-${key.fingerprint}.asc`);
    await writeFile(path, certificate);
    await this.gpg(['--import', path]);
  }

  /** `gpg --encrypt` to keys of this home (by fingerprint); `compress: false` adds `-z 0`. */
  async encrypt(input: string, output: string, recipients: readonly GpgKey[], options: { compress?: boolean } = {}): Promise<void> {
    await this.gpg([
      '--trust-model',
      'always',
      ...recipients.flatMap((key) => ['--recipient', key.fingerprint]),
      ...(options.compress === false ? ['-z', '0'] : []),
      '--output',
      output,
      '--encrypt',
      input,
    ]);
  }

  /** `gpg --symmetric` with a passphrase given through a file. */
  async encryptSymmetric(input: string, output: string, passphrase: string, options: { compress?: boolean } = {}): Promise<void> {
    await this.gpg([
      '--passphrase-file',
      await this.secretFile(passphrase),
      ...(options.compress === false ? ['-z', '0'] : []),
      '--output',
      output,
      '--symmetric',
      input,
    ]);
  }

  /** `gpg --decrypt` with the keys of this home, or a passphrase for a symmetric message. */
  async decrypt(input: string, output: string, passphrase?: string): Promise<{ stderr: string }> {
    const unlock = passphrase === undefined ? [] : ['--passphrase-file', await this.secretFile(passphrase)];
    const { stderr } = await this.gpg([...unlock, '--output', output, '--decrypt', input]);
    return { stderr };
  }

  /** `gpg --list-packets`: the packet structure, to check what was written. */
  async listPackets(input: string, passphrase?: string): Promise<string> {
    const unlock = passphrase === undefined ? [] : ['--passphrase-file', await this.secretFile(passphrase)];
    const { stdout } = await this.gpg([...unlock, '--list-packets', input]);
    return stdout;
  }

  /** Stops this home's gpg-agent and removes the home. */
  async close(): Promise<void> {
    await run('gpgconf', ['--kill', 'all'], { env: this.env }).catch(() => undefined);
    await rm(this.home, { recursive: true, force: true });
  }
}
