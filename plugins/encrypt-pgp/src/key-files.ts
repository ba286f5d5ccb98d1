// Reading OpenPGP key files, armored (`gpg --armor --export`) or binary (`gpg --export`), with
// errors that name the file and say how to make a good one.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@hyperexport/core';
import type { Key, PrivateKey, PublicKey } from 'openpgp';
import { loadOpenpgp } from './openpgp-module.ts';

const EXPORT_PUBLIC_HINT = "export the recipient's public key with `gpg --armor --export KEY_ID > FILE`";
const EXPORT_PRIVATE_HINT = 'export your private key with `gpg --armor --export-secret-keys KEY_ID > FILE`';

/** The primary user ID and fingerprint, for messages: `F00D… "Alice <alice@example.org>"`. */
export function describeKey(key: Key): string {
  const userId = key.getUserIDs()[0];
  return `${key.getFingerprint().toUpperCase()}${userId ? ` "${userId}"` : ''}`;
}

async function readKeyFile(file: string, role: 'recipient key' | 'private key', hint: string): Promise<Key[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`cannot read the ${role} file ${file}: ${code}`, { hint: `check the path; ${hint}`, cause: error });
  }
  // Outside the try below: a library that does not load is not a bad key file.
  const { readKeys } = await loadOpenpgp();
  // Armored keys start with an armor header line, possibly after blank lines or a comment.
  const armored = /^\s*-----BEGIN PGP /m.test(bytes.subarray(0, 4096).toString('latin1'));
  try {
    const keys = armored ? await readKeys({ armoredKeys: bytes.toString('utf8') }) : await readKeys({ binaryKeys: new Uint8Array(bytes) });
    if (keys.length === 0) throw new Error('no key found');
    return keys;
  } catch (error) {
    throw new ConfigError(`the ${role} file ${file} is not an OpenPGP key (${error instanceof Error ? error.message : String(error)})`, { hint, cause: error });
  }
}

/** A recipient's public key, checked to be able to encrypt now. */
export interface RecipientKey {
  readonly file: string;
  readonly key: PublicKey;
  readonly description: string;
  /** Things the user should know that do not stop the export (a private key given as recipient). */
  readonly warnings: readonly string[];
}

/**
 * Reads one recipient's public key. A file with a private key is accepted and only its public
 * part used (the user may have exported the wrong half, but encrypting to it is still right),
 * with a warning. A file with several keys is refused: the user would not see whom else the
 * export is readable by. A key that is revoked, expired or has no usable encryption subkey is
 * refused with the reason.
 */
export async function readRecipientKey(file: string, now: Date = new Date()): Promise<RecipientKey> {
  const keys = await readKeyFile(file, 'recipient key', EXPORT_PUBLIC_HINT);
  if (keys.length > 1) {
    throw new ConfigError(
      `the recipient key file ${file} holds ${keys.length} keys (${keys.map((key) => key.getFingerprint().toUpperCase()).join(', ')}); give one key per file`,
      {
        hint: 'give --recipient FILE once per recipient, each file exported with `gpg --armor --export KEY_ID`',
      },
    );
  }
  const found = keys[0]!;
  const warnings: string[] = [];
  let key: PublicKey = found;
  if (found.isPrivate()) {
    key = found.toPublic();
    warnings.push(
      `the recipient key file ${file} holds a private key; only its public part is used. Keep private keys off the machine that exports: give the public key (\`gpg --armor --export ${found.getFingerprint().toUpperCase()}\`)`,
    );
  }
  const description = describeKey(key);
  const refuse = (reason: string, hint: string): never => {
    throw new ConfigError(`the recipient key ${description} in ${file} cannot be encrypted to: ${reason}`, { hint });
  };
  if (await key.isRevoked(undefined, undefined, now)) refuse('it is revoked', 'ask the recipient for their current key');
  const expires = await key.getExpirationTime().catch(() => null);
  if (expires instanceof Date && expires.getTime() <= now.getTime()) {
    refuse(`it expired on ${expires.toISOString()}`, 'ask the recipient to renew it (`gpg --quick-set-expire FINGERPRINT 2y`) and export it again');
  }
  try {
    await key.getEncryptionKey(undefined, now);
  } catch (error) {
    refuse(
      `it has no valid encryption subkey (${error instanceof Error ? error.message : String(error)})`,
      'use a key with an encryption subkey ([E] in `gpg --list-keys`) that is neither expired nor revoked',
    );
  }
  return { file, key, description, warnings };
}

/** The private keys of one file, as given to `--private-key`. */
export interface PrivateKeyFile {
  readonly file: string;
  readonly keys: readonly PrivateKey[];
}

export async function readPrivateKeyFile(file: string): Promise<PrivateKeyFile> {
  const keys = await readKeyFile(file, 'private key', EXPORT_PRIVATE_HINT);
  const privateKeys = keys.filter((key): key is PrivateKey => key.isPrivate());
  if (privateKeys.length === 0) {
    throw new ConfigError(`the private key file ${file} holds only a public key (${keys.map(describeKey).join(', ')}); decrypting needs the private key`, {
      hint: EXPORT_PRIVATE_HINT,
    });
  }
  return { file, keys: privateKeys };
}
