// The writer: plaintext in, a `.hxe` stream out (a version 2 header, which binds the file's stored
// name and its export, then chunks of ciphertext ‖ tag).
// A chunk's nonce says whether it is the last one, so a chunk is sealed only once the next byte
// (or the end) has arrived; ChunkAccumulator holds it until then, without copying whole chunks.
import { createCipheriv, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ConfigError, ExportError } from '@hyperexport/core';
import { ChunkAccumulator } from './chunk-accumulator.ts';
import {
  DEFAULT_CHUNK_SIZE,
  FILE_SALT_LENGTH,
  FORMAT_VERSION,
  MAX_CHUNKS,
  NONCE_LENGTH,
  NONCE_PREFIX_LENGTH,
  TAG_LENGTH,
  chunkSizeProblem,
  encodeHeaderFields,
  setNonce,
} from './format.ts';
import { deriveFileKeys, headerMac } from './keys.ts';
import type { HeaderBinding } from './format.ts';
import type { MasterKey } from './keys.ts';

export interface EncryptOptions {
  /**
   * What the header binds, authenticated: the file's stored name (base name, as it will be
   * stored, every suffix included, e.g. `web01-disk1.vmdk.zst.hxe`) and the export job's id.
   * A reader can then tell a file swapped with another, or taken from another export.
   */
  readonly binding: HeaderBinding;
  /** Plaintext bytes per chunk, 64 KiB to 1 MiB; default 1 MiB. */
  readonly chunkSize?: number | undefined;
}

export function createEncryptStream(master: MasterKey, options: EncryptOptions): Transform {
  return new EncryptStream(master, options);
}

class EncryptStream extends Transform {
  readonly #chunkSize: number;
  readonly #key: Buffer;
  readonly #nonce = Buffer.alloc(NONCE_LENGTH);
  /** Plaintext chunks; a full one is sealed as a middle chunk once more input follows it. */
  readonly #chunks: ChunkAccumulator;
  #counter = 0;

  constructor(master: MasterKey, options: EncryptOptions) {
    super();
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const problem = chunkSizeProblem(chunkSize);
    if (problem) throw new ConfigError(problem);
    this.#chunkSize = chunkSize;
    this.#chunks = new ChunkAccumulator(chunkSize, (plaintext) => this.#seal(plaintext, false));
    // The plugin wipes a job's key when the job ends; encrypting with what is left would be silent.
    if (master.key.every((byte) => byte === 0))
      throw new ExportError('the encryption key is all zeros: it was wiped when its job ended, or it is not a random key', { code: 'BAD_KEY' });
    const fileSalt = randomBytes(FILE_SALT_LENGTH);
    const noncePrefix = randomBytes(NONCE_PREFIX_LENGTH);
    noncePrefix.copy(this.#nonce, 0);
    const keys = deriveFileKeys(master.key, fileSalt, FORMAT_VERSION);
    try {
      const fields = encodeHeaderFields({ kdf: master.kdf, chunkSize, fileSalt, noncePrefix, keyCheck: keys.keyCheck, binding: options.binding });
      this.push(Buffer.concat([fields, headerMac(keys.headerKey, fields)]));
    } catch (error) {
      keys.payloadKey.fill(0);
      throw error;
    } finally {
      keys.headerKey.fill(0);
    }
    this.#key = keys.payloadKey;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#chunks.push(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // The last chunk: short, full, or (only for empty input) empty.
      this.#seal(this.#chunks.take(), true);
      this.#key.fill(0);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#key.fill(0);
    this.#chunks.clear();
    callback(error);
  }

  #seal(plaintext: Buffer, final: boolean): void {
    if (this.#counter >= MAX_CHUNKS) {
      throw new ExportError(`the input is too large for one encrypted file (more than 2^32 chunks of ${this.#chunkSize} bytes)`, {
        code: 'TOO_LARGE',
        hint: 'use a larger chunkSize',
      });
    }
    const cipher = createCipheriv('aes-256-gcm', this.#key, setNonce(this.#nonce, this.#counter, final), { authTagLength: TAG_LENGTH });
    // Ciphertext and tag pushed as they are: joining them would copy every chunk once more.
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    if (ciphertext.length > 0) this.push(ciphertext);
    this.push(cipher.getAuthTag());
    this.#counter += 1;
  }
}
