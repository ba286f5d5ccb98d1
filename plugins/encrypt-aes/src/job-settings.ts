// Which jobs are encrypted, and with which secret: the config's options encrypt every export;
// `--encrypt aes` (a profile's `encrypt: aes`) encrypts one job, and its `--passphrase-file` /
// `--key-file` override the config's. `--encrypt pgp` belongs to encrypt-pgp.
import { ConfigError, isReadableByOthers, passphraseFileOf, readPassphrase } from '@hyperexport/core';
import type { Job } from '@hyperexport/core';
import type { Rederive } from './checkpoint-binding.ts';
import { jobKeySource } from './key-source.ts';
import type { KeySource } from './key-source.ts';
import { masterKeyFromBytes, masterKeyFromPassphrase, readKeyFile, scryptKey } from './keys.ts';
import type { MasterKey } from './keys.ts';

export interface EncryptAesOptions {
  /**
   * Encrypt every export. Default: true when `passphraseFile` or `keyFile` is set; set it to use
   * the HYPEREXPORT_PASSPHRASE_FILE or HYPEREXPORT_PASSPHRASE variable (or a prompt) for every export.
   */
  enabled?: boolean | undefined;
  /** File whose first line is the passphrase. */
  passphraseFile?: string | undefined;
  /** File holding the 32-byte key (raw, or 64 hex digits) instead of a passphrase. */
  keyFile?: string | undefined;
  /** Plaintext bytes per chunk, 65536 to 1048576 (default 1048576). */
  chunkSize?: number | undefined;
  /** scrypt cost of a passphrase: N = 2^log2N (default 17), r (8), p (1). */
  scrypt?: { log2N?: number | undefined; r?: number | undefined; p?: number | undefined } | undefined;
}

/** The secret a job is encrypted with: a key file, a passphrase file, or neither (variable or prompt). */
export interface JobSecret {
  readonly keyFile?: string | undefined;
  readonly passphraseFile?: string | undefined;
}

const PURPOSE = 'encrypting the export';

function stringSetting(extra: Readonly<Record<string, unknown>>, key: 'encrypt' | 'passphraseFile' | 'keyFile', flag: string): string | undefined {
  const value = extra[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${flag} must be a non-empty string (got ${JSON.stringify(value)})`);
  return value;
}

/**
 * The secret to encrypt a job with (`extra` is its `spec.extra`), or undefined when this plugin
 * does not encrypt it. A `--passphrase-file` given without `--encrypt` may be encrypt-pgp's (its
 * options can enable it for every export): whether anything uses it is decided by the usage
 * check (the plugin's checkSettings tap), not here.
 */
export function jobSecret(extra: Readonly<Record<string, unknown>>, options: EncryptAesOptions): JobSecret | undefined {
  const encrypt = stringSetting(extra, 'encrypt', '--encrypt');
  const keyFile = stringSetting(extra, 'keyFile', '--key-file');
  const passphraseFile = stringSetting(extra, 'passphraseFile', '--passphrase-file');
  if (encrypt !== undefined && encrypt !== 'aes' && encrypt !== 'pgp') {
    throw new ConfigError(`unknown encryption "${encrypt}"`, { hint: 'use --encrypt aes (AES-256-GCM) or --encrypt pgp (OpenPGP)' });
  }
  if (keyFile !== undefined && passphraseFile !== undefined) {
    throw new ConfigError('both --key-file and --passphrase-file were given', { hint: 'encrypt with either a key file or a passphrase, not both' });
  }
  if (encrypt === 'pgp') {
    if (keyFile !== undefined)
      throw new ConfigError('--key-file is for --encrypt aes', { hint: 'OpenPGP encrypts to --recipient PUBLIC_KEY_FILE or with a passphrase' });
    return undefined;
  }
  const fromConfig = options.enabled ?? (options.passphraseFile !== undefined || options.keyFile !== undefined);
  if (encrypt !== 'aes' && !fromConfig) {
    // A key given without asking for encryption must not leave the export silently unencrypted.
    if (keyFile !== undefined) throw new ConfigError('--key-file was given, but encryption was not asked for', { hint: 'add --encrypt aes' });
    return undefined;
  }
  // The job's choice replaces the config's: a --passphrase-file wins over the config's keyFile.
  if (keyFile !== undefined || passphraseFile !== undefined) return { keyFile, passphraseFile };
  if (options.keyFile !== undefined && options.passphraseFile !== undefined) {
    throw new ConfigError('encrypt-aes: both keyFile and passphraseFile are set', { hint: 'set one of them in the config' });
  }
  return { keyFile: options.keyFile, passphraseFile: options.passphraseFile };
}

/** Reads the secret and derives the job's master key (scrypt runs here, once per job). */
export async function loadMasterKey(job: Job, secret: JobSecret, options: EncryptAesOptions, plugin: string): Promise<MasterKey> {
  return (await loadJobKeys(job, secret, options, plugin)).master;
}

/** The job's master key, and the keys to read back what the job wrote (see jobKeySource). */
export interface JobKeys {
  readonly master: MasterKey;
  readonly readBack: KeySource;
  /**
   * Derives the key again from the job's passphrase with the given scrypt parameters and salt:
   * to check a checkpoint's key check value (see checkpoint-binding.ts). Undefined for a key file.
   */
  readonly rederive?: Rederive | undefined;
}

export async function loadJobKeys(job: Job, secret: JobSecret, options: EncryptAesOptions, plugin: string): Promise<JobKeys> {
  if (secret.keyFile !== undefined) {
    const key = await readKeyFile(secret.keyFile);
    await warnIfShared(job, secret.keyFile, 'key file', plugin);
    try {
      const master = masterKeyFromBytes(key);
      return { master, readBack: jobKeySource(master, undefined) };
    } finally {
      key.fill(0);
    }
  }
  const passphrase = await readPassphrase(PURPOSE, { file: secret.passphraseFile, confirm: true });
  // The file it came from, HYPEREXPORT_PASSPHRASE_FILE's included, should be the owner's only.
  const passphraseFile = passphraseFileOf(secret.passphraseFile);
  if (passphraseFile !== undefined) await warnIfShared(job, passphraseFile, 'passphrase file', plugin);
  const master = await masterKeyFromPassphrase(passphrase, options.scrypt ?? {});
  // The passphrase stays in these closures until the job ends (the plugin drops them in release):
  // a prompt cannot be asked again, and the checkpoint and the read-back may need it.
  return { master, readBack: jobKeySource(master, passphrase), rederive: (params, salt) => scryptKey(passphrase, salt, params) };
}

async function warnIfShared(job: Job, path: string, what: string, plugin: string): Promise<void> {
  if (await isReadableByOthers(path).catch(() => false)) {
    job.warn(`the ${what} ${path} can be read by other users of this machine; restrict it with chmod 600`, plugin);
  }
}
