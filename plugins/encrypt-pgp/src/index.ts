// @hyperexport/encrypt-pgp: encrypts disks, OVAs and descriptors as binary OpenPGP messages
// (`.gpg`) to recipients' public keys or with a passphrase, readable by `gpg --decrypt`; and
// decrypts them (and what gpg wrote) for `hyperexport restore`. Nothing happens unless the
// config's options or `--encrypt pgp` (a profile's `encrypt: pgp`) ask for it.
import { ConfigError, definePlugin, t } from '@hyperexport/core';
import type { Job, ReverseStage } from '@hyperexport/core';
import { prepareEncryption } from './prepare-encryption.ts';
import type { PreparedEncryption } from './prepare-encryption.ts';
import { ENCRYPT_PGP_SETTINGS } from './encrypt-pgp-settings.ts';
import { resolvePgpSettings } from './settings.ts';
import type { EncryptPgpOptions, PgpJobSettings } from './settings.ts';
import { pgpEncryptStage, pgpReverseStage } from './stages.ts';

const PLUGIN_NAME = 'encrypt-pgp';

export { createEncryptStream } from './encrypt-stream.ts';
export type { PgpEncryptionKeys, EncryptStreamOptions } from './encrypt-stream.ts';
export { createDecryptStream, loadPrivateKeyFiles } from './decrypt-stream.ts';
export { readRecipientKey, readPrivateKeyFile } from './key-files.ts';
export type { RecipientKey, PrivateKeyFile } from './key-files.ts';
export { resolvePgpSettings } from './settings.ts';
export type { EncryptPgpOptions, PgpJobSettings } from './settings.ts';
export { pgpEncryptStage, pgpReverseStage, PGP_SUFFIX, STAGE_NAME } from './stages.ts';
export { pgpCheckpointBinding } from './checkpoint-binding.ts';
export { WRITE_CONFIG, READ_CONFIG } from './openpgp-config.ts';

/** The way back, for `hyperexport restore`: strips `.gpg`. */
export const reverseStages: ReverseStage[] = [pgpReverseStage];

export { ENCRYPT_PGP_SETTINGS };

export default definePlugin<EncryptPgpOptions, typeof ENCRYPT_PGP_SETTINGS>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'encrypts disks, OVAs and descriptors with OpenPGP (.gpg) to public keys or a passphrase; gpg-compatible',
  provides: ['transform:encrypt'],
  // `encrypt`, `recipients` and `passphraseFile` are settings (flags, profile keys, options): see encrypt-pgp-settings.ts.
  settings: ENCRYPT_PGP_SETTINGS,
  reverseStages,
  options: t.isObject({
    symmetric: t.isOptional(t.isBoolean()),
  }),
  setup(exporter, rawOptions, jobSettings) {
    // The config's recipients and passphrase file are settings given among the options: under the job's, as before.
    const { recipients, passphraseFile } = jobSettings.configured;
    const options: EncryptPgpOptions = { ...rawOptions, recipients, passphraseFile };
    // Keys are read once per job: in validate (so problems are listed with the other checks,
    // before any data moves), and reused by transform.
    const prepared = new WeakMap<Job, Promise<PreparedEncryption>>();
    const settingsOf = (job: Job): PgpJobSettings | undefined => resolvePgpSettings(options, jobSettings.fromJob(job.spec));
    const prepare = (job: Job, settings: PgpJobSettings): Promise<PreparedEncryption> => {
      let preparation = prepared.get(job);
      if (!preparation) {
        preparation = prepareEncryption(settings);
        prepared.set(job, preparation);
      }
      return preparation;
    };

    // The usage check: misplaced settings are usage errors before anything connects. The
    // passphrase file is used only when the job is encrypted with a passphrase.
    exporter.hooks.checkSettings.tap(PLUGIN_NAME, (spec, check) => {
      const given = jobSettings.fromJob(spec);
      const settings = resolvePgpSettings(options, given);
      if (!settings || given.passphraseFile === undefined) return;
      if (settings.symmetric) check.uses('passphraseFile');
      else
        check.ignores(
          'passphraseFile',
          '--passphrase-file was given, but this export is encrypted with OpenPGP to recipients only',
          'drop --passphrase-file, or set symmetric: true in the encrypt-pgp options to also encrypt with a passphrase',
        );
    });

    // A ConfigError from bad settings becomes an issue of the `openpgp` check, like the key problems.
    exporter.hooks.validate.tapPromise({ name: PLUGIN_NAME, check: 'openpgp' }, async (job, report) => {
      const settings = settingsOf(job);
      if (!settings) return;
      const { problems, warnings } = await prepare(job, settings);
      for (const warning of warnings) report.warning('openpgp', warning, PLUGIN_NAME);
      for (const problem of problems) report.error('openpgp', problem, PLUGIN_NAME);
    });

    exporter.hooks.transform.tapPromise(PLUGIN_NAME, async (plan, job) => {
      const settings = settingsOf(job);
      if (!settings) return plan;
      const { keys, problems, recipients } = await prepare(job, settings);
      if (!keys)
        throw new ConfigError(problems.length === 1 ? problems[0]! : `${problems.length} problems with the OpenPGP keys`, {
          problems: problems.length === 1 ? [] : problems,
        });
      const to = [...recipients.map((recipient) => recipient.description), ...(keys.passphrase === undefined ? [] : ['a passphrase'])];
      job.info(`encrypting with OpenPGP to ${to.join(', ')}`, PLUGIN_NAME);
      plan.stages.push(pgpEncryptStage(keys));
      return plan;
    });
  },
});
