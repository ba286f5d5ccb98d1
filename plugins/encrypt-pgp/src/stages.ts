// The transform stage this plugin adds to a job's plan, and its way back for `hyperexport restore`.
import { basename } from 'node:path';
import { Stage } from '@hyperexport/core';
import type { RestoreKeys, ReverseStage, StageArtifactKind, TransformStage } from '@hyperexport/core';
import { pgpCheckpointBinding } from './checkpoint-binding.ts';
import { createDecryptStream, loadPrivateKeyFiles } from './decrypt-stream.ts';
import { createEncryptStream } from './encrypt-stream.ts';
import type { PgpEncryptionKeys } from './encrypt-stream.ts';
import { loadOpenpgp } from './openpgp-module.ts';

export const STAGE_NAME = 'openpgp';
/** Binary OpenPGP messages, as `gpg --output FILE.gpg --encrypt` names them. */
export const PGP_SUFFIX = '.gpg';

/** Disks, whole OVAs and descriptors; the manifest stays readable and the record is never touched. */
const ENCRYPTED_KINDS: readonly StageArtifactKind[] = ['disk', 'package', 'descriptor'];

export function pgpEncryptStage(keys: PgpEncryptionKeys): TransformStage {
  const { passphrase } = keys;
  const stage: TransformStage = {
    name: STAGE_NAME,
    stage: Stage.ENCRYPT,
    effect: 'changes-bytes',
    artifacts: ENCRYPTED_KINDS,
    rename: (name) => `${name}${PGP_SUFFIX}`,
    create: (artifact, signal) => createEncryptStream(keys, { filename: stripSuffix(artifact.name), signal }),
    // Whom the export is encrypted to: a rerun with other recipients or another passphrase starts over.
    checkpointBinding: pgpCheckpointBinding(keys),
  };
  // The way back during the job (the post-export read-back) exists only with a passphrase: a
  // message encrypted to public keys alone needs a recipient's private key, which an export never
  // has. Such files are compared with the digest recorded as they were written instead.
  if (passphrase === undefined) return stage;
  const byPassphrase: RestoreKeys = { passphrase: async () => passphrase, privateKeyFiles: [] };
  return { ...stage, reverse: (artifact, signal) => pgpReverseStage.create(basename(artifact.name), byPassphrase, signal) };
}

export const pgpReverseStage: ReverseStage = {
  name: STAGE_NAME,
  suffix: PGP_SUFFIX,
  async create(storedName, keys, signal) {
    // A library that does not load and bad --private-key files fail here, before any byte is read.
    await loadOpenpgp();
    await loadPrivateKeyFiles(keys);
    return createDecryptStream(storedName, keys, { signal });
  },
};

function stripSuffix(name: string): string {
  return name.endsWith(PGP_SUFFIX) ? name.slice(0, -PGP_SUFFIX.length) : name;
}
