// The reader: a `.hxe` stream in (version 1 or 2), plaintext out. It checks the header (key
// check, then MAC) before anything else, hands its binding to `onHeader` before any plaintext,
// and hands out each chunk's plaintext only after that chunk's tag verified. Whether a chunk is the last is learnt from the input: a chunk followed by more bytes
// is opened as a middle chunk, the one the input ends with as the final chunk, so truncation at
// a chunk boundary, reordering, duplication and appended bytes all fail authentication.
import { createDecipheriv } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ExportError } from '@hyperexport/core';
import { ChunkAccumulator } from './chunk-accumulator.ts';
import { MAX_CHUNKS, NONCE_LENGTH, TAG_LENGTH, setNonce } from './format.ts';
import type { HeaderBinding } from './format.ts';
import { HeaderGatherer, authenticateHeader } from './header-reader.ts';
import { toKeySource } from './key-source.ts';
import type { KeySource } from './key-source.ts';
import type { MasterKey } from './keys.ts';

export interface DecryptOptions {
  /** The file's name, for messages. */
  readonly name?: string | undefined;
  /**
   * Called once the header authenticated and before any plaintext is handed out, with what the
   * file says it was written as (its stored name and export id), or undefined for a version 1
   * file, which binds nothing. Whatever it throws (or its promise rejects with) fails the stream,
   * and nothing of the file is emitted: this is where a reader refuses a swapped or foreign file.
   */
  readonly onHeader?: ((binding: HeaderBinding | undefined) => void | Promise<void>) | undefined;
}

/** `keys` is a KeySource (passphrase and/or key file, see keySource()) or the MasterKey a writer used. */
export function createDecryptStream(keys: KeySource | MasterKey, options: DecryptOptions = {}): Transform {
  return new DecryptStream(toKeySource(keys), options.name ?? 'the encrypted file', options.onHeader);
}

class DecryptStream extends Transform {
  readonly #keys: KeySource;
  readonly #name: string;
  readonly #onHeader: DecryptOptions['onHeader'];
  readonly #header: HeaderGatherer;
  #key: Buffer | undefined;
  readonly #nonce = Buffer.alloc(NONCE_LENGTH);
  /**
   * Sealed chunks (ciphertext ‖ tag), made with the header's chunk size once the header is open;
   * a full one is opened as a middle chunk once more input follows it.
   */
  #chunks: ChunkAccumulator | undefined;
  #counter = 0;

  constructor(keys: KeySource, name: string, onHeader: DecryptOptions['onHeader']) {
    super();
    this.#keys = keys;
    this.#name = name;
    this.#onHeader = onHeader;
    this.#header = new HeaderGatherer(name);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#key) {
      this.#consume(chunk, 0, callback);
      return;
    }
    let end: number;
    try {
      end = this.#header.push(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (!this.#header.complete) {
      callback();
      return;
    }
    this.#openHeader().then(
      () => this.#consume(chunk, end, callback),
      (error: unknown) => callback(error as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.#key) throw this.#header.truncated();
      const pendingLength = this.#chunks!.length;
      if (pendingLength < TAG_LENGTH) {
        if (pendingLength === 0 && this.#counter === 0)
          throw this.#error(
            'TRUNCATED',
            'is truncated: it ends right after the encryption header, before its first chunk',
            'the file was cut off; use another copy of the export',
          );
        if (pendingLength === 0)
          throw this.#error(
            'TRUNCATED',
            `is truncated: it ends after chunk ${this.#counter - 1}, at a chunk boundary, without its final chunk`,
            'the file was cut off; use another copy of the export',
          );
        throw this.#error('TRUNCATED', `is truncated: it ends inside chunk ${this.#counter}`, 'the file was cut off; use another copy of the export');
      }
      this.#open(this.#chunks!.take(), true);
      this.#release();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#release();
    callback(error);
  }

  #release(): void {
    this.#key?.fill(0);
    this.#chunks?.clear();
  }

  async #openHeader(): Promise<void> {
    const header = this.#header.header();
    const payloadKey = await authenticateHeader(header, this.#keys, this.#name);
    try {
      // The binding is authenticated now; whether it is the file the reader wants is its call.
      await this.#onHeader?.(header.binding);
    } catch (error) {
      payloadKey.fill(0);
      throw error;
    }
    this.#key = payloadKey;
    this.#chunks = new ChunkAccumulator(header.chunkSize + TAG_LENGTH, (sealed) => this.#open(sealed, false));
    header.noncePrefix.copy(this.#nonce, 0);
  }

  #consume(chunk: Buffer, start: number, callback: TransformCallback): void {
    try {
      this.#chunks!.push(chunk, start);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** Opens one sealed chunk; its plaintext is pushed only once its tag verified. */
  #open(sealed: Buffer, final: boolean): void {
    const index = this.#counter;
    if (index >= MAX_CHUNKS)
      throw this.#error('CORRUPT', `has more than 2^32 chunks, which no writer produces`, 'the file is damaged; use another copy of the export');
    const plaintext = this.#tryOpen(sealed, index, final);
    if (!plaintext) throw this.#explainFailure(sealed, index, final);
    if (final && plaintext.length === 0 && index > 0) {
      // Writers never end with an empty chunk after data; accepting one would give a file two encodings.
      throw this.#error(
        'CORRUPT',
        `ends with an empty chunk after chunk ${index - 1}, which no writer produces`,
        'the file is damaged or was altered; use another copy of the export',
      );
    }
    this.#counter += 1;
    if (plaintext.length > 0) this.push(plaintext);
  }

  /** The plaintext of a sealed chunk, or undefined when its tag does not verify. */
  #tryOpen(sealed: Buffer, index: number, final: boolean): Buffer | undefined {
    const ciphertextLength = sealed.length - TAG_LENGTH;
    const decipher = createDecipheriv('aes-256-gcm', this.#key!, setNonce(this.#nonce, index, final), { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(sealed.subarray(ciphertextLength));
    // update() returns plaintext before the tag is checked: it stays here until final() passes.
    const plaintext = decipher.update(sealed.subarray(0, ciphertextLength));
    try {
      decipher.final();
      return plaintext;
    } catch {
      plaintext.fill(0);
      return undefined;
    }
  }

  /**
   * A chunk failed: try the other final flag, which tells truncation at a chunk boundary and
   * bytes appended after the end from other damage (only for the message; nothing is emitted).
   */
  #explainFailure(sealed: Buffer, index: number, final: boolean): ExportError {
    const other = this.#tryOpen(sealed, index, !final);
    if (other) {
      other.fill(0);
      return final
        ? this.#error(
            'TRUNCATED',
            `is truncated: it ends after chunk ${index}, at a chunk boundary, without its final chunk`,
            'the file was cut off; use another copy of the export',
          )
        : this.#error('CORRUPT', `has data after its final chunk (chunk ${index})`, 'bytes were appended to the file; use another copy of the export');
    }
    return this.#error(
      'CORRUPT',
      `chunk ${index} failed authentication: the file is damaged or was altered (a changed byte, chunks reordered or duplicated, cut off, or data appended)`,
      'use another copy of the export; nothing of this chunk was written out',
    );
  }

  #error(code: string, what: string, hint: string): ExportError {
    return new ExportError(`${this.#name} ${what}`, { code, hint });
  }
}
