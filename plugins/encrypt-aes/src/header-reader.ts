// Reading a `.hxe` header: gathering its bytes from a stream (its length is known only once the
// version, and for version 2 the binding length, have arrived), then authenticating it — key
// check, then MAC — before anything in it, the binding above all, is trusted.
import { ExportError } from '@hyperexport/core';
import { MAX_HEADER_LENGTH, damagedHeader, headerExtent, minimumHeaderLength, parseHeader } from './format.ts';
import type { Header, HeaderBinding } from './format.ts';
import { deriveFileKeys, headerMac, sameBytes } from './keys.ts';
import { toKeySource } from './key-source.ts';
import type { KeySource } from './key-source.ts';
import type { MasterKey } from './keys.ts';

/**
 * Collects a header from the start of a stream. Never holds more than MAX_HEADER_LENGTH bytes:
 * the binding length is checked against its limits before the rest is read.
 */
export class HeaderGatherer {
  readonly #name: string;
  readonly #bytes = Buffer.alloc(MAX_HEADER_LENGTH);
  #length = 0;
  #complete = false;

  constructor(name: string) {
    this.#name = name;
  }

  get complete(): boolean {
    return this.#complete;
  }

  /** Bytes gathered so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Takes header bytes from `input`, from `start` on; returns the offset in `input` where the
   * header ended (or input.length when it has not yet). Throws as soon as the bytes seen show a
   * file that is not a `.hxe` one, an unknown version or a binding length outside the limits.
   */
  push(input: Buffer, start = 0): number {
    let offset = start;
    let extent = headerExtent(this.#seen(), this.#name);
    while (!this.#complete && offset < input.length) {
      const take = Math.min(extent.length - this.#length, input.length - offset);
      input.copy(this.#bytes, this.#length, offset, offset + take);
      this.#length += take;
      offset += take;
      // The new bytes may tell more: the magic is checked as it arrives, then the length.
      extent = headerExtent(this.#seen(), this.#name);
      this.#complete = extent.complete && this.#length === extent.length;
    }
    return offset;
  }

  /** The whole header, parsed (not authenticated). */
  header(): Header {
    if (!this.#complete) throw this.truncated();
    return parseHeader(this.#seen(), this.#name);
  }

  /** The error for an input that ended before its header did. */
  truncated(): ExportError {
    if (this.#length === 0) {
      return new ExportError(`${this.#name} is empty: it holds not even the encryption header`, {
        code: 'TRUNCATED',
        hint: 'the file was cut off or never written; use another copy of the export',
      });
    }
    const seen = this.#seen();
    const extent = headerExtent(seen, this.#name);
    const expected = extent.complete ? `${extent.length}` : `at least ${minimumHeaderLength(seen)}`;
    return new ExportError(`${this.#name} is truncated: it ends inside the encryption header (${this.#length} of ${expected} bytes)`, {
      code: 'TRUNCATED',
      hint: 'the file was cut off; use another copy of the export',
    });
  }

  #seen(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }
}

/**
 * Authenticates a parsed header with the master key its kdf asks for: the key check first (a
 * mismatch is a wrong passphrase or key, said at once), then the MAC over everything before it.
 * Returns the payload key; the caller wipes it when done.
 */
export async function authenticateHeader(header: Header, keys: KeySource, name: string): Promise<Buffer> {
  const master = await keys.masterKey(header.kdf, name);
  const fileKeys = deriveFileKeys(master, header.fileSalt, header.version);
  try {
    if (!sameBytes(fileKeys.keyCheck, header.keyCheck)) {
      throw new ExportError(`${name} cannot be decrypted with this ${header.kdf.kind === 'raw' ? 'key file' : 'passphrase'}: wrong passphrase or key`, {
        code: 'WRONG_KEY',
        hint:
          header.kdf.kind === 'raw'
            ? 'give the key file the export was encrypted with (--key-file FILE)'
            : `give the passphrase the export was encrypted with (HYPEREXPORT_PASSPHRASE, HYPEREXPORT_PASSPHRASE_FILE or --passphrase-file FILE); if it is right, the file's header is damaged`,
      });
    }
    if (!sameBytes(headerMac(fileKeys.headerKey, header.authenticated), header.mac)) throw damagedHeader(name, 'its authentication code does not match');
  } catch (error) {
    fileKeys.payloadKey.fill(0);
    throw error;
  } finally {
    fileKeys.headerKey.fill(0);
  }
  return fileKeys.payloadKey;
}

export interface ReadBindingOptions {
  /** The file's name, for messages. */
  readonly name?: string | undefined;
}

/**
 * What an encrypted file says it was written as — its stored name and export id — read from its
 * authenticated header (reading no further than the header), or undefined for a version 1 file,
 * which binds nothing. Throws when the header does not authenticate with `keys`. parseHeader()
 * shows the same fields without a key, but unauthenticated: anyone could have written them.
 */
export async function readFileBinding(
  input: AsyncIterable<Buffer | Uint8Array>,
  keys: KeySource | MasterKey,
  options: ReadBindingOptions = {},
): Promise<HeaderBinding | undefined> {
  const name = options.name ?? 'the encrypted file';
  const gatherer = new HeaderGatherer(name);
  for await (const piece of input) {
    gatherer.push(Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    if (gatherer.complete) break;
  }
  const header = gatherer.header();
  const payloadKey = await authenticateHeader(header, toKeySource(keys), name);
  payloadKey.fill(0);
  return header.binding;
}
