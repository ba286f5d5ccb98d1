// The transform stage a job gets: disks, whole OVAs and the .ovf descriptor are encrypted; the
// .mf manifest stays plain (it lists the stored files' digests, so anyone can check the export's
// integrity without the key) and the record is never transformed. Every file's header binds its
// stored name and the export's job id, so a restore can tell a swapped or foreign file.
import { basename } from 'node:path';
import { Stage } from '@hyperexport/core';
import type { Artifact, TransformStage } from '@hyperexport/core';
import { createEncryptStream } from './encrypt-stream.ts';
import { SUFFIX } from './format.ts';
import type { MasterKey } from './keys.ts';

/** The stage's name, as the export record lists it. */
export const STAGE_NAME = 'aes-256-gcm';

const ENCRYPTED_KINDS: ReadonlySet<Artifact['kind']> = new Set(['disk', 'package', 'descriptor']);

export interface EncryptionStageOptions {
  /**
   * The export's id (`job.exportId`, the record's `jobId`), bound into every file's header; a
   * function is asked when each file starts, since a job that continues an interrupted export
   * takes on that export's id only once its checkpoint is open, after the plan is made.
   */
  readonly exportId: string | (() => string);
  /** Plaintext bytes per chunk, 64 KiB to 1 MiB; default 1 MiB. */
  readonly chunkSize?: number | undefined;
}

export function encryptionStage(master: MasterKey, options: EncryptionStageOptions): TransformStage {
  const { exportId, chunkSize } = options;
  return {
    name: STAGE_NAME,
    stage: Stage.ENCRYPT,
    appliesTo: (artifact) => ENCRYPTED_KINDS.has(artifact.kind),
    rename: (name) => `${name}${SUFFIX}`,
    // Core hands every stage the artifact as it will be stored, after every rename: that name,
    // without any folder, is what the header binds.
    create: (artifact) => createEncryptStream(master, { binding: { storedName: basename(artifact.name), exportId: typeof exportId === 'function' ? exportId() : exportId }, chunkSize }),
  };
}
