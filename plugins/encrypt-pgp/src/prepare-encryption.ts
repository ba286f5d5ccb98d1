// Everything a job needs to encrypt, read once and early (in the validate hook): recipients' keys
// parsed and checked, the passphrase read. A missing or bad key file or a missing passphrase is
// reported there, before any data moves.
import { formatErrorWithHint, isReadableByOthers, passphraseFileOf, readPassphrase } from '@hyperexport/core';
import type { PgpEncryptionKeys } from './encrypt-stream.ts';
import { readRecipientKey } from './key-files.ts';
import type { RecipientKey } from './key-files.ts';
import { loadOpenpgp } from './openpgp-module.ts';
import type { PgpJobSettings } from './settings.ts';

export interface PreparedEncryption {
  /** Undefined when any problem was found. */
  readonly keys: PgpEncryptionKeys | undefined;
  readonly recipients: readonly RecipientKey[];
  /** One line per problem, each naming the file and what to do. */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

export async function prepareEncryption(settings: PgpJobSettings): Promise<PreparedEncryption> {
  // The library is loaded here, in validate, so that a missing one is reported with the other
  // checks (once, not once per key file) and before a passphrase is asked for.
  try {
    await loadOpenpgp();
  } catch (error) {
    return { keys: undefined, recipients: [], problems: [formatErrorWithHint(error)], warnings: [] };
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const recipients: RecipientKey[] = [];
  const results = await Promise.allSettled(settings.recipients.map((file) => readRecipientKey(file)));
  for (const result of results) {
    if (result.status === 'fulfilled') {
      recipients.push(result.value);
      warnings.push(...result.value.warnings);
    } else problems.push(formatErrorWithHint(result.reason));
  }
  let passphrase: string | undefined;
  if (settings.symmetric) {
    try {
      passphrase = await readPassphrase('OpenPGP encryption', { file: settings.passphraseFile, confirm: true });
      // The file it came from, HYPEREXPORT_PASSPHRASE_FILE's included, should be the owner's only.
      const passphraseFile = passphraseFileOf(settings.passphraseFile);
      if (passphraseFile !== undefined && (await isReadableByOthers(passphraseFile))) {
        warnings.push(`the passphrase file ${passphraseFile} can be read by other users; restrict it with \`chmod 600 ${passphraseFile}\``);
      }
    } catch (error) {
      problems.push(formatErrorWithHint(error));
    }
  }
  return {
    keys: problems.length === 0 ? { recipients: recipients.map((recipient) => recipient.key), passphrase } : undefined,
    recipients,
    problems,
    warnings,
  };
}
