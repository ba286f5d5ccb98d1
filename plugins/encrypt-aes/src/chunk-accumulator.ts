// Cuts a byte stream into fixed-size chunks, for the `.hxe` writer (plaintext chunks) and reader
// (sealed chunks). A full chunk is handed on only once the next byte arrives, so the chunk still
// held when the input ends, taken with take(), is known to be the last: a chunk's nonce says
// whether it is. A chunk that lies whole inside one input buffer is kept as a view of it (no
// copy); only a chunk split across input buffers is copied, into one buffer reused for every
// chunk. A view outlives the write callback of its input buffer: like Readable's own buffering,
// this relies on nobody changing a buffer after it was written to a stream.

const EMPTY = Buffer.alloc(0);

export class ChunkAccumulator {
  readonly #size: number;
  readonly #onFull: (chunk: Buffer) => void;
  /** Where input is gathered when it does not arrive in whole chunks; allocated on first need. */
  #buffer: Buffer | undefined;
  /** The chunk being gathered or waiting for the next byte: a view of the input, or #buffer. */
  #pending: Buffer | undefined;
  #length = 0;

  /** `onFull` gets each full chunk that more input follows; it must be done with it on return. */
  constructor(size: number, onFull: (chunk: Buffer) => void) {
    this.#size = size;
    this.#onFull = onFull;
  }

  /** Bytes held: a partial chunk, a full one waiting for the next byte, or 0. */
  get length(): number {
    return this.#length;
  }

  /** Adds `input` from `start` on. Whatever `onFull` throws comes out of here. */
  push(input: Buffer, start = 0): void {
    const size = this.#size;
    let offset = start;
    while (offset < input.length) {
      // More input follows the held chunk, so it is not the last one.
      if (this.#length === size) this.#onFull(this.take());
      const available = input.length - offset;
      if (this.#length === 0 && available >= size) {
        this.#pending = input.subarray(offset, offset + size);
        this.#length = size;
        offset += size;
        continue;
      }
      const count = Math.min(size - this.#length, available);
      this.#buffer ??= Buffer.allocUnsafe(size);
      input.copy(this.#buffer, this.#length, offset, offset + count);
      this.#pending = this.#buffer;
      this.#length += count;
      offset += count;
    }
  }

  /**
   * The bytes held (possibly none), and holds nothing after. The result may be a view of the
   * reused buffer: use it before the next push().
   */
  take(): Buffer {
    const chunk = this.#length === 0 ? EMPTY : this.#pending!.subarray(0, this.#length);
    this.clear();
    return chunk;
  }

  /** Drops what is held, so no view of an input buffer is kept (on destroy). */
  clear(): void {
    this.#pending = undefined;
    this.#length = 0;
  }
}
