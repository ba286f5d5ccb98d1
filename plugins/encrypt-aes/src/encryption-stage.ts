// The transform stage a job gets: disks, whole OVAs and the .ovf descriptor are encrypted; the
// .mf manifest stays plain (it lists the stored files' digests, so anyone can check the export's
// integrity without the key) and the record is never transformed. Every file's header binds its
// stored name and the export's job id, so a restore can tell a swapped or foreign file.
import { basename } from 'node:path';
import { addAbortSignal } from 'node:stream';
import { ExportError, Stage } from '@hyperexport/core';
import type { Artifact, StageArtifactKind, TransformStage } from '@hyperexport/core';
import { keyCheckBinding } from './checkpoint-binding.ts';
import type { Rederive } from './checkpoint-binding.ts';
import { createDecryptStream } from './decrypt-stream.ts';
import { createEncryptStream } from './encrypt-stream.ts';
import { SUFFIX } from './format.ts';
import type { HeaderBinding } from './format.ts';
import { masterKeySource } from './key-source.ts';
import type { KeySource } from './key-source.ts';
import type { MasterKey } from './keys.ts';

/** The stage's name, as the export record lists it. */
export const STAGE_NAME = 'aes-256-gcm';

const ENCRYPTED_KINDS: readonly StageArtifactKind[] = ['disk', 'package', 'descriptor'];

export interface EncryptionStageOptions {
  /**
   * The export's id (`job.exportId`, the record's `jobId`), bound into every file's header; a
   * function is asked when each file starts, since a job that continues an interrupted export
   * takes on that export's id only once its checkpoint is open, after the plan is made.
   */
  readonly exportId: string | (() => string);
  /** Plaintext bytes per chunk, 64 KiB to 1 MiB; default 1 MiB. */
  readonly chunkSize?: number | undefined;
  /**
   * The keys `reverse` reads stored files back with (see jobKeySource); default: `master` alone,
   * which cannot read a file an interrupted run wrote under another passphrase salt.
   */
  readonly readBackKeys?: KeySource | undefined;
  /**
   * For a key from a passphrase: derives it again with another salt, so that the stage can check
   * the key check value an interrupted run recorded in the checkpoint (checkpoint-binding.ts).
   */
  readonly rederive?: Rederive | undefined;
}

export function encryptionStage(master: MasterKey, options: EncryptionStageOptions): TransformStage {
  const { exportId, chunkSize } = options;
  const readBackKeys = options.readBackKeys ?? masterKeySource(master);
  // Core hands every stage the artifact as it will be stored, after every rename: that name,
  // without any folder, is what the header binds.
  const bindingOf = (artifact: Artifact): HeaderBinding => ({
    storedName: basename(artifact.name),
    exportId: typeof exportId === 'function' ? exportId() : exportId,
  });
  return {
    name: STAGE_NAME,
    stage: Stage.ENCRYPT,
    effect: 'changes-bytes',
    artifacts: ENCRYPTED_KINDS,
    rename: (name) => `${name}${SUFFIX}`,
    create: (artifact) => createEncryptStream(master, { binding: bindingOf(artifact), chunkSize }),
    // The post-export read-back: the decrypt stream a restore uses, with the key this stage
    // encrypted with, and the header must bind exactly this file of this export.
    reverse: async (artifact, signal) => {
      const written = bindingOf(artifact);
      const onHeader = (binding: HeaderBinding | undefined) => {
        if (binding?.storedName !== written.storedName || binding.exportId !== written.exportId) {
          const found = binding ? `${binding.storedName} of export ${binding.exportId}` : 'nothing';
          throw new ExportError(`its header binds ${found}, not ${written.storedName} of export ${written.exportId}`, { code: 'BINDING' });
        }
      };
      return addAbortSignal(signal, createDecryptStream(readBackKeys, { name: written.storedName, onHeader }));
    },
    // A rerun with another key starts the export over (docs/checkpoint.md, "Encryption").
    checkpointBinding: keyCheckBinding(master, options.rederive),
  };
}
