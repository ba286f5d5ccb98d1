// The writer: plaintext in, a `.hxe` stream out (header, then chunks of ciphertext ‖ tag).
// A chunk's nonce says whether it is the last one, so a chunk is sealed only once the next byte
// (or the end) has arrived; until then it waits, either as a view of the input (no copy) or
// copied into one buffer that is reused for every chunk. A view outlives the write callback of
// its input chunk: like Readable's own buffering, this relies on nobody changing a buffer after
// it was written to a stream.
import { createCipheriv, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ConfigError, ExportError } from '@hyperexport/core';
import { DEFAULT_CHUNK_SIZE, FILE_SALT_LENGTH, MAX_CHUNKS, NONCE_LENGTH, NONCE_PREFIX_LENGTH, TAG_LENGTH, chunkSizeProblem, encodeHeaderFields, setNonce } from './format.ts';
import { deriveFileKeys, headerMac } from './keys.ts';
import type { MasterKey } from './keys.ts';

export interface EncryptOptions {
  /** Plaintext bytes per chunk, 64 KiB to 1 MiB; default 1 MiB. */
  readonly chunkSize?: number | undefined;
}

export function createEncryptStream(master: MasterKey, options: EncryptOptions = {}): Transform {
  return new EncryptStream(master, options);
}

class EncryptStream extends Transform {
  readonly #chunkSize: number;
  readonly #key: Buffer;
  readonly #nonce = Buffer.alloc(NONCE_LENGTH);
  /** Where input is gathered when it does not arrive in whole chunks; allocated on first need. */
  #accumulator: Buffer | undefined;
  /** The chunk waiting to learn whether it is the last: a view of the input or the accumulator. */
  #pending: Buffer | undefined;
  #pendingLength = 0;
  #counter = 0;

  constructor(master: MasterKey, options: EncryptOptions) {
    super();
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const problem = chunkSizeProblem(chunkSize);
    if (problem) throw new ConfigError(problem);
    this.#chunkSize = chunkSize;
    // The plugin wipes a job's key when the job ends; encrypting with what is left would be silent.
    if (master.key.every((byte) => byte === 0)) throw new ExportError('the encryption key is all zeros: it was wiped when its job ended, or it is not a random key', { code: 'BAD_KEY' });
    const fileSalt = randomBytes(FILE_SALT_LENGTH);
    const noncePrefix = randomBytes(NONCE_PREFIX_LENGTH);
    noncePrefix.copy(this.#nonce, 0);
    const keys = deriveFileKeys(master.key, fileSalt);
    this.#key = keys.payloadKey;
    const fields = encodeHeaderFields({ kdf: master.kdf, chunkSize, fileSalt, noncePrefix, keyCheck: keys.keyCheck });
    this.push(Buffer.concat([fields, headerMac(keys.headerKey, fields)]));
    keys.headerKey.fill(0);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const size = this.#chunkSize;
      let offset = 0;
      while (offset < chunk.length) {
        // More input follows the pending chunk, so it is not the last one.
        if (this.#pendingLength === size) this.#seal(false);
        const available = chunk.length - offset;
        if (this.#pendingLength === 0 && available >= size) {
          this.#pending = chunk.subarray(offset, offset + size);
          this.#pendingLength = size;
          offset += size;
          continue;
        }
        const take = Math.min(size - this.#pendingLength, available);
        this.#accumulator ??= Buffer.allocUnsafe(size);
        chunk.copy(this.#accumulator, this.#pendingLength, offset, offset + take);
        this.#pending = this.#accumulator;
        this.#pendingLength += take;
        offset += take;
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // The last chunk: short, full, or (only for empty input) empty.
      this.#seal(true);
      this.#key.fill(0);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#key.fill(0);
    this.#pending = undefined;
    callback(error);
  }

  #seal(final: boolean): void {
    if (this.#counter >= MAX_CHUNKS) {
      throw new ExportError(`the input is too large for one encrypted file (more than 2^32 chunks of ${this.#chunkSize} bytes)`, { code: 'TOO_LARGE', hint: 'use a larger chunkSize' });
    }
    const cipher = createCipheriv('aes-256-gcm', this.#key, setNonce(this.#nonce, this.#counter, final), { authTagLength: TAG_LENGTH });
    const plaintext = this.#pendingLength === 0 ? Buffer.alloc(0) : this.#pending!.subarray(0, this.#pendingLength);
    // Ciphertext and tag pushed as they are: joining them would copy every chunk once more.
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    if (ciphertext.length > 0) this.push(ciphertext);
    this.push(cipher.getAuthTag());
    this.#counter += 1;
    this.#pending = undefined;
    this.#pendingLength = 0;
  }
}
