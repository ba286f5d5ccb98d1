// The transform stage a job gets: disks, whole OVAs and the .ovf descriptor are encrypted; the
// .mf manifest stays plain (it lists the stored files' digests, so anyone can check the export's
// integrity without the key) and the record is never transformed.
import { Stage } from '@hyperexport/core';
import type { Artifact, TransformStage } from '@hyperexport/core';
import { createEncryptStream } from './encrypt-stream.ts';
import { SUFFIX } from './format.ts';
import type { MasterKey } from './keys.ts';

/** The stage's name, as the export record lists it. */
export const STAGE_NAME = 'aes-256-gcm';

const ENCRYPTED_KINDS: ReadonlySet<Artifact['kind']> = new Set(['disk', 'package', 'descriptor']);

export function encryptionStage(master: MasterKey, chunkSize?: number): TransformStage {
  return {
    name: STAGE_NAME,
    stage: Stage.ENCRYPT,
    appliesTo: (artifact) => ENCRYPTED_KINDS.has(artifact.kind),
    rename: (name) => `${name}${SUFFIX}`,
    create: () => createEncryptStream(master, { chunkSize }),
  };
}
