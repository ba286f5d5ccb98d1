// gzip on several cores, the way pigz does it: the input is cut into blocks that are deflated at
// the same time on libuv's thread pool, each primed with the 32 KiB before it (so the ratio stays
// close to a single deflate) and ended with a sync flush (so the raw deflate outputs concatenate
// into one valid deflate stream). The result is one ordinary gzip member that `gzip -d`, zlib
// and every OVF tool read; node:zlib's own gzip runs on one core only.
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';
import type { ZlibOptions } from 'node:zlib';

const deflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(deflateRaw);

const BLOCK_SIZE = 1 << 20;
/** Deflate's window: what a block may refer back to in the block before it. */
const DICTIONARY_SIZE = 32 << 10;

interface InFlight {
  readonly block: Buffer;
  readonly deflated: Promise<Buffer>;
}

export class ParallelGzip extends Transform {
  readonly #level: number;
  /** Threads to keep busy deflating (on libuv's pool: 4 threads unless UV_THREADPOOL_SIZE says otherwise). */
  readonly #threads: number;
  readonly #blockSize: number;
  #block: Buffer;
  #filled = 0;
  #dictionary: Buffer | undefined;
  #crc = 0;
  #size = 0;
  readonly #inFlight: InFlight[] = [];
  /** Blocks whose deflate finished, reused: fresh memory per block measured slow here. */
  readonly #spare: Buffer[] = [];

  constructor(level: number, threads: number, blockSize = BLOCK_SIZE) {
    super();
    this.#level = level;
    this.#threads = Math.max(1, threads);
    this.#blockSize = blockSize;
    this.#block = Buffer.allocUnsafe(blockSize);
    // Header: magic, deflate, no flags, no mtime, extra flags for the fastest/best levels, OS Unix.
    this.push(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level === 1 ? 4 : 0, 3]));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#write(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#startBlock(true);
    this.#emitUntil(0).then(() => {
      const trailer = Buffer.allocUnsafe(8);
      trailer.writeUInt32LE(this.#crc >>> 0, 0);
      trailer.writeUInt32LE(this.#size % 2 ** 32, 4);
      this.push(trailer);
      callback();
    }, callback);
  }

  async #write(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const copied = chunk.copy(this.#block, this.#filled, offset);
      this.#filled += copied;
      offset += copied;
      if (this.#filled === this.#blockSize) {
        this.#startBlock(false);
        // Back-pressure: one block more than threads in flight, so no thread waits while
        // this one fills the next block; beyond that, no more input until a block is done.
        await this.#emitUntil(this.#threads + 1);
      }
    }
  }

  #startBlock(last: boolean): void {
    const data = this.#block.subarray(0, this.#filled);
    this.#crc = crc32(data, this.#crc);
    this.#size += data.length;
    const options: ZlibOptions = {
      level: this.#level,
      chunkSize: 256 << 10,
      ...(this.#dictionary ? { dictionary: this.#dictionary } : {}),
      // Every block but the last ends on a byte boundary without ending the deflate stream.
      ...(last ? {} : { finishFlush: constants.Z_SYNC_FLUSH }),
    };
    const deflated = deflateRawAsync(data, options);
    deflated.catch(() => undefined); // awaited in order by #emitUntil; never an unhandled rejection
    this.#inFlight.push({ block: this.#block, deflated });
    this.#dictionary = data.length >= DICTIONARY_SIZE ? Buffer.from(data.subarray(data.length - DICTIONARY_SIZE)) : undefined;
    this.#block = this.#spare.pop() ?? Buffer.allocUnsafe(this.#blockSize);
    this.#filled = 0;
  }

  /** Pushes finished blocks, in order, until at most `pending` are still being deflated. */
  async #emitUntil(pending: number): Promise<void> {
    while (this.#inFlight.length > pending) {
      const { block, deflated } = this.#inFlight[0]!;
      this.push(await deflated);
      this.#inFlight.shift();
      this.#spare.push(block);
    }
  }
}
