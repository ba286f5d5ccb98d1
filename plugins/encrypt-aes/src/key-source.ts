// Where a reader gets the master key a file's header asks for: a key file for files made with
// one, the passphrase (through scrypt with the header's salt and parameters) for the others.
// scrypt runs once per distinct salt: every file of one export shares its job's salt.
import { ExportError } from '@hyperexport/core';
import type { KdfParams } from './format.ts';
import { scryptKey, sameBytes } from './keys.ts';
import type { MasterKey } from './keys.ts';

export interface KeySource {
  /** The master key for a file whose header says `kdf`; `name` is for messages. */
  masterKey(kdf: KdfParams, name: string): Promise<Buffer>;
}

export interface DecryptKeys {
  /** The raw 32-byte key of files made with a key file (or a function that reads it when needed). */
  readonly key?: Buffer | (() => Promise<Buffer>) | undefined;
  /** The passphrase of files made with one (or a function that asks for it when needed). */
  readonly passphrase?: string | (() => Promise<string>) | undefined;
}

export function keySource(keys: DecryptKeys): KeySource {
  let rawKey: Promise<Buffer> | undefined;
  let passphrase: Promise<string> | undefined;
  const derived = new Map<string, Promise<Buffer>>();
  return {
    async masterKey(kdf, name) {
      if (kdf.kind === 'raw') {
        if (keys.key === undefined) {
          throw new ExportError(`${name} was encrypted with a key file, and none was given`, {
            code: 'KEY_REQUIRED',
            hint: 'give the key file the export was encrypted with: --key-file FILE',
          });
        }
        const { key } = keys;
        rawKey ??= typeof key === 'function' ? key() : Promise.resolve(key);
        return rawKey;
      }
      if (keys.passphrase === undefined) {
        throw new ExportError(`${name} was encrypted with a passphrase, and none was given`, {
          code: 'PASSPHRASE_REQUIRED',
          hint: 'set HYPEREXPORT_PASSPHRASE or HYPEREXPORT_PASSPHRASE_FILE, or give --passphrase-file FILE',
        });
      }
      const { passphrase: given } = keys;
      passphrase ??= typeof given === 'function' ? given() : Promise.resolve(given);
      const id = `${kdf.log2N}:${kdf.r}:${kdf.p}:${kdf.salt.toString('hex')}`;
      let key = derived.get(id);
      if (!key) {
        key = passphrase.then((text) => scryptKey(text, kdf.salt, kdf));
        derived.set(id, key);
      }
      return key;
    },
  };
}

/** A KeySource that knows one master key: for tests, benchmarks, and reading back what was just written. */
export function masterKeySource(master: MasterKey): KeySource {
  return {
    async masterKey(kdf, name) {
      if (!sameDerivation(kdf, master.kdf))
        throw new ExportError(`${name} was not encrypted with this master key (its key derivation differs)`, {
          code: 'WRONG_KEY',
          hint: 'give the passphrase or key file it was encrypted with',
        });
      return master.key;
    },
  };
}

/**
 * The keys to read back what a job wrote (the post-export check): the job's master key, and, for
 * a file that an interrupted run of the same export wrote under another scrypt salt (a job
 * that continues it adopts that file), the job's passphrase through scrypt once more.
 */
export function jobKeySource(master: MasterKey, passphrase: string | undefined): KeySource {
  const own = masterKeySource(master);
  const others = passphrase === undefined ? undefined : keySource({ passphrase });
  return {
    masterKey: (kdf, name) => (others && !sameDerivation(kdf, master.kdf) ? others.masterKey(kdf, name) : own.masterKey(kdf, name)),
  };
}

function sameDerivation(kdf: KdfParams, ours: KdfParams): boolean {
  return (
    kdf.kind === ours.kind &&
    (kdf.kind === 'raw' || (ours.kind === 'scrypt' && sameBytes(kdf.salt, ours.salt) && kdf.log2N === ours.log2N && kdf.r === ours.r && kdf.p === ours.p))
  );
}

export function toKeySource(keys: KeySource | MasterKey): KeySource {
  return 'masterKey' in keys ? keys : masterKeySource(keys);
}
