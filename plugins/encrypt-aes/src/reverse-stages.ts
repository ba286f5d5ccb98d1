// The way back for `hyperexport restore`: a `.hxe` file decrypted as a stream. Keys come from the
// restore's RestoreKeys (the key file, or the passphrase asked for once); one KeySource per
// restore, so scrypt runs once for all files of an export. The restore's bindings see every
// file's authenticated binding before any of its plaintext leaves the stage.
import { addAbortSignal } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { RestoreBindings, RestoreKeys, ReverseStage } from '@hyperexport/core';
import { createDecryptStream } from './decrypt-stream.ts';
import { STAGE_NAME } from './encryption-stage.ts';
import { SUFFIX } from './format.ts';
import type { HeaderBinding } from './format.ts';
import { keySource } from './key-source.ts';
import type { KeySource } from './key-source.ts';
import { readKeyFile } from './keys.ts';

const keySources = new WeakMap<RestoreKeys, KeySource>();

/** The KeySource of one restore's keys (memoised, so the passphrase and scrypt are asked once). */
export function restoreKeySource(keys: RestoreKeys): KeySource {
  let source = keySources.get(keys);
  if (!source) {
    const { keyFile } = keys;
    source = keySource({
      key: keyFile === undefined ? undefined : () => readKeyFile(keyFile),
      passphrase: () => keys.passphrase('decrypting the export'),
    });
    keySources.set(keys, source);
  }
  return source;
}

export const reverseStages: ReverseStage[] = [
  {
    name: STAGE_NAME,
    suffix: SUFFIX,
    async create(storedName: string, keys: RestoreKeys, signal: AbortSignal, bindings?: RestoreBindings): Promise<Duplex> {
      const onHeader = bindings && ((binding: HeaderBinding | undefined) => bindings.check(storedName, binding));
      return addAbortSignal(signal, createDecryptStream(restoreKeySource(keys), { name: storedName, onHeader }));
    },
  },
];
