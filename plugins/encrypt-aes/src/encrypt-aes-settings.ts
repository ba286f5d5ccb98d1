// encrypt-aes's settings: `--encrypt aes`, `--passphrase-file`, `--key-file`, the same keys in a
// profile and among its options in the config. encrypt-pgp declares `encrypt` and
// `passphraseFile` too: one setting each, read by whichever plugin the job's choice names.
import { defineSettings, setting, t } from '@hyperexport/core';

export const ENCRYPT_SETTING = setting.string({
  description: 'Encrypt the export: aes (AES-256-GCM) or pgp (OpenPGP)',
  placeholder: 'aes|pgp',
  schema: t.isEnum(['aes', 'pgp'] as const),
  profile: true,
});

export const PASSPHRASE_FILE_SETTING = setting.string({
  description: 'File holding the encryption passphrase (default: HYPEREXPORT_PASSPHRASE_FILE, HYPEREXPORT_PASSPHRASE; never the passphrase itself)',
  placeholder: 'FILE',
  profile: true,
});

export const ENCRYPT_AES_SETTINGS = defineSettings({
  encrypt: ENCRYPT_SETTING,
  passphraseFile: PASSPHRASE_FILE_SETTING,
  keyFile: setting.string({ description: 'File holding a raw 32-byte AES key, instead of a passphrase', placeholder: 'FILE', profile: true }),
});
