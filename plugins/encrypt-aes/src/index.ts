// @hyperexport/encrypt-aes: encrypts exports with streaming AES-256-GCM in a documented,
// versioned format (docs/encryption.md). Nothing happens unless the config's options or
// `--encrypt aes` (a profile's `encrypt: aes`) ask for it.
import { ConfigError, definePlugin, t } from '@hyperexport/core';
import type { Job } from '@hyperexport/core';
import { encryptionStage } from './encryption-stage.ts';
import { DEFAULT_SCRYPT, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, SCRYPT_LIMITS, scryptProblem } from './format.ts';
import { jobSecret, loadJobKeys } from './job-settings.ts';
import type { EncryptAesOptions, JobKeys } from './job-settings.ts';

const PLUGIN_NAME = 'encrypt-aes';

export { createEncryptStream } from './encrypt-stream.ts';
export type { EncryptOptions } from './encrypt-stream.ts';
export { createDecryptStream } from './decrypt-stream.ts';
export type { DecryptOptions } from './decrypt-stream.ts';
export { jobKeySource, keySource, masterKeySource } from './key-source.ts';
export type { DecryptKeys, KeySource } from './key-source.ts';
export { deriveFileKeys, masterKeyFromBytes, masterKeyFromPassphrase, parseKeyFile, readKeyFile, scryptKey, KEY_LENGTH } from './keys.ts';
export type { FileKeys, MasterKey } from './keys.ts';
export {
  BINDING_LIMITS,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_SCRYPT,
  FORMAT_VERSION,
  FORMAT_VERSION_1,
  MAGIC,
  MAX_CHUNK_SIZE,
  MAX_HEADER_LENGTH,
  MIN_CHUNK_SIZE,
  READABLE_VERSIONS,
  SUFFIX,
  TAG_LENGTH,
  V1_HEADER_LENGTH,
  headerLength,
  parseHeader,
} from './format.ts';
export type { Header, HeaderBinding, KdfParams, ScryptParams } from './format.ts';
export { readFileBinding } from './header-reader.ts';
export type { ReadBindingOptions } from './header-reader.ts';
export { encryptionStage, STAGE_NAME } from './encryption-stage.ts';
export type { EncryptionStageOptions } from './encryption-stage.ts';
export { reverseStages, restoreKeySource } from './reverse-stages.ts';
import { reverseStages } from './reverse-stages.ts';
import { ENCRYPT_AES_SETTINGS } from './encrypt-aes-settings.ts';
export type { EncryptAesOptions } from './job-settings.ts';
export { ENCRYPT_AES_SETTINGS } from './encrypt-aes-settings.ts';
export { keyCheckBinding } from './checkpoint-binding.ts';
export type { Rederive } from './checkpoint-binding.ts';

const isCount = (min: number, max: number) => t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(min, max)]);

export default definePlugin<EncryptAesOptions, typeof ENCRYPT_AES_SETTINGS>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'encrypts disks, OVAs and descriptors with streaming AES-256-GCM (.hxe, see docs/encryption.md)',
  provides: ['encrypt:aes'],
  // `encrypt`, `passphraseFile` and `keyFile` are settings (flags, profile keys, options): see encrypt-aes-settings.ts.
  settings: ENCRYPT_AES_SETTINGS,
  reverseStages,
  options: t.isObject({
    enabled: t.isOptional(t.isBoolean()),
    chunkSize: t.isOptional(isCount(MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)),
    scrypt: t.isOptional(
      t.isObject({
        log2N: t.isOptional(isCount(SCRYPT_LIMITS.minLog2N, SCRYPT_LIMITS.maxLog2N)),
        r: t.isOptional(isCount(1, SCRYPT_LIMITS.maxR)),
        p: t.isOptional(isCount(1, SCRYPT_LIMITS.maxP)),
      }),
    ),
  }),
  setup(exporter, options, jobSettings) {
    // The config's secret files are settings given among the options: under the job's, as before.
    const { passphraseFile, keyFile } = jobSettings.configured;
    const settings: EncryptAesOptions = { ...options, passphraseFile, keyFile };
    const scrypt = { ...DEFAULT_SCRYPT, ...settings.scrypt };
    const problem = scryptProblem(scrypt);
    if (problem) throw new ConfigError(`encrypt-aes: ${problem}`);

    // One master key per job: scrypt is slow on purpose, so it runs once, and every file gets its
    // own key from it through HKDF and a random salt.
    const masterKeys = new WeakMap<Job, Promise<JobKeys | undefined>>();
    const masterKeyOf = (job: Job): Promise<JobKeys | undefined> => {
      let key = masterKeys.get(job);
      if (!key) {
        key = (async () => {
          const secret = jobSecret(jobSettings.fromJob(job.spec), settings);
          return secret && loadJobKeys(job, secret, settings, PLUGIN_NAME);
        })();
        masterKeys.set(job, key);
      }
      return key;
    };

    // The usage check: contradictory or misplaced settings are usage errors before anything
    // connects. A --passphrase-file this plugin does not encrypt with is an error unless
    // encrypt-pgp uses it (the config may enable OpenPGP for every export).
    exporter.hooks.checkSettings.tap(PLUGIN_NAME, (spec, check) => {
      const given = jobSettings.fromJob(spec);
      const secret = jobSecret(given, settings);
      // With --encrypt pgp, whether the passphrase file is used is encrypt-pgp's to say.
      if (given.passphraseFile === undefined || given.encrypt === 'pgp') return;
      if (secret) check.uses('passphraseFile');
      else check.ignores('passphraseFile', '--passphrase-file was given, but encryption was not asked for', 'add --encrypt aes (or --encrypt pgp)');
    });
    // In the checks, so a missing passphrase or a bad key file fails before any data moves.
    exporter.hooks.validate.tapPromise(PLUGIN_NAME, async (job) => {
      await masterKeyOf(job);
    });
    exporter.hooks.transform.tapPromise(PLUGIN_NAME, async (plan, job) => {
      const keys = await masterKeyOf(job);
      // The job's id goes into every file's header: a restore refuses files of another export.
      // The key check goes into the checkpoint: a rerun with another key starts over.
      if (keys)
        plan.stages.push(
          encryptionStage(keys.master, { exportId: () => job.exportId, chunkSize: settings.chunkSize, readBackKeys: keys.readBack, rederive: keys.rederive }),
        );
      return plan;
    });
    exporter.hooks.release.tapPromise(PLUGIN_NAME, async (job) => {
      const keys = await masterKeys.get(job)?.catch(() => undefined);
      keys?.master.key.fill(0);
      masterKeys.delete(job);
    });
  },
});
