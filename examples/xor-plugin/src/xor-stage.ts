// The transform stage and its reverse stage for `hyperexport restore`: the same streams, so what
// the export writes is exactly what restore undoes.
import { ConfigError, Stage } from '@hyperexport/core';
import type { ReverseStage, TransformStage } from '@hyperexport/core';
import { keyCheckValue, readXorKey } from './xor-key.ts';
import { unxorStream, xorStream } from './xor-stream.ts';

/** The name export records list; restore refuses an export with it unless a reverse stage undoes it. */
export const STAGE_NAME = 'xor';
export const SUFFIX = '.xor';
/** Where restore finds the key when `--key-file` is not given. */
export const KEY_FILE_ENV = 'HYPEREXPORT_XOR_KEY_FILE';

export function xorStage(key: Buffer): TransformStage {
  return {
    name: STAGE_NAME,
    stage: Stage.ENCRYPT,
    // It changes bytes, so it sits in the byte-changing band; it sees the disks of an OVF folder
    // only, so an OVA export with it is refused before it starts.
    effect: 'changes-bytes',
    artifacts: ['disk'],
    rename: (name) => `${name}${SUFFIX}`,
    create: () => xorStream(key),
    // validate's post-export check reads every stored file back through this.
    reverse: (artifact) => Promise.resolve(unxorStream(key, artifact.name)),
    // A run with another key starts an interrupted export over instead of mixing two keys.
    checkpointBinding: (recorded) => {
      const value = keyCheckValue(key);
      return Promise.resolve({
        value,
        mismatch: recorded !== undefined && recorded !== value ? 'the XOR key is not the one the export began with' : undefined,
      });
    },
  };
}

export const reverseStages: readonly ReverseStage[] = [
  {
    name: 'xor-undo',
    undoes: STAGE_NAME,
    suffix: SUFFIX,
    async create(storedName, keys) {
      const file = keys.keyFile ?? process.env[KEY_FILE_ENV];
      if (file === undefined || file === '') {
        throw new ConfigError(`${storedName} was XORed by hyperexport-xor; restore needs its key file`, {
          hint: `give --key-file FILE (or set ${KEY_FILE_ENV}) with the file the export was written with`,
        });
      }
      return unxorStream(await readXorKey(file), storedName);
    },
  },
];
