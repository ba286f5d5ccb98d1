// encrypt-pgp's settings: `--encrypt pgp`, `--recipient FILE` (repeatable; `recipients` in a
// profile and in the config) and `--passphrase-file`. `encrypt` and `passphraseFile` are the same
// settings encrypt-aes declares (see its encrypt-aes-settings.ts): one flag each, whichever plugin is loaded.
import { defineSettings, setting, t } from '@hyperexport/core';

export const ENCRYPT_PGP_SETTINGS = defineSettings({
  encrypt: setting.string({
    description: 'Encrypt the export: aes (AES-256-GCM) or pgp (OpenPGP)',
    placeholder: 'aes|pgp',
    schema: t.isEnum(['aes', 'pgp'] as const),
    profile: true,
  }),
  passphraseFile: setting.string({
    description: 'File holding the encryption passphrase (default: HYPEREXPORT_PASSPHRASE_FILE, HYPEREXPORT_PASSPHRASE; never the passphrase itself)',
    placeholder: 'FILE',
    profile: true,
  }),
  recipients: setting.list({
    description: 'OpenPGP public key file to encrypt to (repeat for several recipients)',
    flag: '--recipient',
    placeholder: 'FILE',
    profile: true,
  }),
});
