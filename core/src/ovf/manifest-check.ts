// Checks bytes against their manifest entry while they stream, with whichever algorithm the
// manifest used (SHA-1 from older ovftool versions, SHA-512 on request): an entry that is only
// parsed and never compared would let a new manifest vouch for bytes nobody checked.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { ManifestAlgorithm, ManifestEntry } from './manifest.ts';

/** node:crypto's name of each manifest algorithm. */
export const MANIFEST_HASHES: Readonly<Record<ManifestAlgorithm, string>> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/**
 * A pass-through that hashes what flows with `entry`'s algorithm and fails at the end, before
 * the last byte is taken as complete downstream, with `mismatch(actualHex)` unless it matches.
 */
export class ManifestCheck extends Transform {
  readonly #hash: Hash;
  readonly #entry: ManifestEntry;
  readonly #mismatch: (actualHex: string) => Error;

  constructor(entry: ManifestEntry, mismatch: (actualHex: string) => Error) {
    super();
    this.#entry = entry;
    this.#mismatch = mismatch;
    this.#hash = createHash(MANIFEST_HASHES[entry.algorithm]);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.#hash.digest('hex');
    callback(actual === this.#entry.hex ? null : this.#mismatch(actual));
  }
}
