// Whether and how one job is encrypted with OpenPGP: the plugin's options (config) merged with the
// job's settings from the command line or a profile (see encrypt-pgp-settings.ts), the latter winning.
import { ConfigError } from '@hyperexport/core';

/** The plugin's options, as written in hyperexport.config.ts. */
export interface EncryptPgpOptions {
  /** Public key files (armored or binary) to encrypt to; each recipient can decrypt. */
  recipients?: string[] | undefined;
  /** A file holding the passphrase (first line) for symmetric encryption. */
  passphraseFile?: string | undefined;
  /** Also (or, without recipients, only) encrypt with a passphrase. */
  symmetric?: boolean | undefined;
}

/** What a job asks for once options and command line are merged. */
export interface PgpJobSettings {
  readonly recipients: readonly string[];
  /** True when a passphrase is needed: no recipients, or `symmetric: true`. */
  readonly symmetric: boolean;
  readonly passphraseFile: string | undefined;
}

/**
 * The job's settings, or undefined when this job is not encrypted with OpenPGP: neither
 * `--encrypt pgp` (`extra.encrypt`) nor options that enable it. `--encrypt` naming another
 * method (`aes`) turns this plugin off for the job even when its options enable it: the command
 * line overrides the config.
 */
export function resolvePgpSettings(options: EncryptPgpOptions | undefined, extra: Readonly<Record<string, unknown>>): PgpJobSettings | undefined {
  const config = options ?? {};
  const requested = extra.encrypt;
  const configRecipients = config.recipients ?? [];
  const enabledByConfig = configRecipients.length > 0 || config.symmetric === true || config.passphraseFile !== undefined;
  // Recipients are OpenPGP's alone: given for a job this plugin does not encrypt, they would
  // leave it plain (or encrypted with something else) without a word.
  const jobRecipients = extra.recipients === undefined ? [] : stringList(extra.recipients, 'recipients');
  if (requested !== undefined && requested !== 'pgp') {
    if (jobRecipients.length > 0)
      throw new ConfigError(`--recipient is for --encrypt pgp, but --encrypt ${String(requested)} was given`, {
        hint: 'encrypt to public keys with --encrypt pgp --recipient FILE, or drop --recipient',
      });
    return undefined;
  }
  if (requested === undefined && !enabledByConfig) {
    if (jobRecipients.length > 0) throw new ConfigError('--recipient was given, but encryption was not asked for', { hint: 'add --encrypt pgp' });
    return undefined;
  }

  const recipients = extra.recipients === undefined ? configRecipients : stringList(extra.recipients, 'recipients');
  const passphraseFile = extra.passphraseFile === undefined ? config.passphraseFile : singleString(extra.passphraseFile, 'passphraseFile');
  return {
    recipients: [...new Set(recipients)],
    symmetric: recipients.length === 0 || config.symmetric === true,
    passphraseFile,
  };
}

function stringList(value: unknown, key: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw new ConfigError(`encrypt-pgp: "${key}" must be a list of public key files (got ${typeof value})`, { hint: 'give --recipient FILE once per recipient' });
}

function singleString(value: unknown, key: string): string {
  if (typeof value === 'string') return value;
  throw new ConfigError(`encrypt-pgp: "${key}" must be a file path (got ${typeof value})`);
}
