// zstd streams: through the zstd-napi binding when it loads (bench/compress.ts measured it well
// ahead of Node's own zlib zstd), else through node:zlib, which every Node 24 has.
import { createRequire } from 'node:module';
import { Duplex, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { constants, createZstdCompress, createZstdDecompress } from 'node:zlib';
import type { ZstdDecompress } from 'node:zlib';
import type * as ZstdNapi from 'zstd-napi';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { ParallelZstd } from './parallel-zstd.ts';
import { ZstdFrameScanner } from './zstd-frames.ts';

export type ZstdBackend = 'zstd-napi' | 'node:zlib';

interface Loaded {
  readonly napi: typeof ZstdNapi;
  readonly binding: typeof ZstdBinding;
}

let loaded: Loaded | Error | undefined;

/** The binding, or why it did not load (not built for this Node, missing); tried once. */
export function loadZstdNapi(): Loaded | Error {
  if (loaded === undefined) {
    try {
      const require = createRequire(import.meta.url);
      loaded = { napi: require('zstd-napi') as typeof ZstdNapi, binding: require('zstd-napi/binding.js') as typeof ZstdBinding };
    } catch (error) {
      loaded = error instanceof Error ? error : new Error(String(error));
    }
  }
  return loaded;
}

export function preferredZstdBackend(): ZstdBackend {
  return loadZstdNapi() instanceof Error ? 'node:zlib' : 'zstd-napi';
}

/**
 * A zstd compressor. With the binding and more than one thread, blocks are compressed at once in
 * worker threads into a file of several frames (ParallelZstd); on one thread, or with node:zlib,
 * in the calling thread into one frame. Every frame carries a content checksum, as the `zstd`
 * program writes by default, so `zstd -t` and every decompressor can verify the file.
 */
export function createZstdCompressStream(level: number, threads: number, backend: ZstdBackend = preferredZstdBackend()): Duplex {
  if (backend === 'zstd-napi') {
    const zstd = loadZstdNapi();
    if (zstd instanceof Error) throw zstd;
    return threads > 1 ? new ParallelZstd(zstd.binding, level, threads) : new ZstdCompress(zstd.binding, level);
  }
  // One thread with node:zlib: its zstd stream throws "push() after EOF" and kills the process
  // when zstd's workers are set (nodejs/node#59899; seen here on Node 24.21 with 128 MiB).
  return createZstdCompress({
    params: {
      [constants.ZSTD_c_compressionLevel]: level,
      [constants.ZSTD_c_checksumFlag]: 1,
    },
  });
}

/**
 * Node's own zstd decoder stops after the first frame of a file of several (nodejs/node#64741);
 * the binding's reads them all.
 */
export function createZstdDecompressStream(backend: ZstdBackend = preferredZstdBackend()): Duplex {
  if (backend === 'zstd-napi') {
    const zstd = loadZstdNapi();
    if (zstd instanceof Error) throw zstd;
    return new zstd.napi.DecompressStream();
  }
  return new FramewiseZlibZstdDecompress();
}

/**
 * node:zlib's zstd decoder ends at the end of the first frame and ignores whatever follows
 * (nodejs/node#64741). This one finds where each frame ends (zstd-frames.ts) and decodes each
 * with a decoder of its own, so files of several frames restore whole; bytes that are not a
 * frame, and a file that ends inside one, are errors.
 */
class FramewiseZlibZstdDecompress extends Duplex {
  readonly #scanner = new ZstdFrameScanner();
  #decoder: ZstdDecompress | undefined;
  #decoderEnded: Promise<void> | undefined;

  override _read(): void {
    this.#decoder?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#decode(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#scanner.atFrameBoundary) {
      callback(new Error(`zstd: the file ends inside a frame, after ${this.#scanner.offset} bytes: it is truncated`));
      return;
    }
    this.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#decoder?.destroy();
    callback(error);
  }

  async #decode(chunk: Buffer): Promise<void> {
    let start = 0;
    for (const end of [...this.#scanner.frameEnds(chunk), chunk.length]) {
      if (end > start) await this.#write(chunk.subarray(start, end));
      if (end < chunk.length || this.#scanner.atFrameBoundary) await this.#endFrame();
      start = end;
    }
  }

  #write(bytes: Buffer): Promise<void> {
    if (!this.#decoder) {
      const decoder = createZstdDecompress();
      decoder.on('data', (data: Buffer) => {
        if (!this.push(data)) decoder.pause();
      });
      this.#decoderEnded = new Promise<void>((resolve, reject) => {
        decoder.on('end', resolve);
        decoder.on('error', reject);
      });
      this.#decoderEnded.catch(() => undefined); // awaited by #endFrame or #write
      this.#decoder = decoder;
    }
    const decoder = this.#decoder;
    return new Promise<void>((resolve, reject) => {
      decoder.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Ends the current frame's decoder once its output is out. */
  async #endFrame(): Promise<void> {
    const decoder = this.#decoder;
    if (!decoder) return;
    this.#decoder = undefined;
    decoder.end();
    await this.#decoderEnded;
  }
}

const SLAB_SIZE = 1 << 20;

/**
 * ZSTD_compressStream2 over the binding's context. zstd-napi's own CompressStream allocates a
 * fresh output buffer for every piece it pushes; this one writes successive pieces into one
 * 1 MiB slab and pushes views of it (the pieces never overlap), a new slab only when the room
 * left is under zstd's recommended output size: bench/compress.ts measured it faster.
 */
class ZstdCompress extends Transform {
  readonly #binding: typeof ZstdBinding;
  readonly #context: ZstdBinding.CCtx;
  readonly #minimumRoom: number;
  #slab = Buffer.allocUnsafe(SLAB_SIZE);
  #used = 0;

  constructor(binding: typeof ZstdBinding, level: number) {
    super();
    this.#binding = binding;
    this.#context = new binding.CCtx();
    this.#context.setParameter(binding.CParameter.compressionLevel, level);
    this.#context.setParameter(binding.CParameter.checksumFlag, 1);
    this.#minimumRoom = binding.cStreamOutSize();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#run(chunk, this.#binding.EndDirective.continue, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#run(Buffer.alloc(0), this.#binding.EndDirective.end, callback);
  }

  #run(input: Buffer, directive: ZstdBinding.EndDirective, callback: TransformCallback): void {
    try {
      for (;;) {
        if (this.#slab.length - this.#used < this.#minimumRoom) {
          this.#slab = Buffer.allocUnsafe(SLAB_SIZE);
          this.#used = 0;
        }
        const room = this.#slab.subarray(this.#used);
        const [remaining, produced, consumed] = this.#context.compressStream2(room, input, directive);
        if (produced > 0) {
          this.push(room.subarray(0, produced));
          this.#used += produced;
        }
        input = input.subarray(consumed);
        // Done when the input is taken; at the end, also when zstd has nothing left to flush.
        if (input.length === 0 && (directive === this.#binding.EndDirective.continue || remaining === 0)) break;
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback();
  }
}
