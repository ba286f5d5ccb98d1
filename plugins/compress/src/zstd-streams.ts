// zstd streams: through the zstd-napi binding when it loads (bench/compress.ts measured it well
// ahead of Node's own zlib zstd), else through node:zlib, which every Node 24 has.
import { createRequire } from 'node:module';
import { Duplex, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { constants, createZstdCompress, createZstdDecompress } from 'node:zlib';
import type * as ZstdNapi from 'zstd-napi';
import type * as ZstdBinding from 'zstd-napi/binding.js';

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
 * zstd's worker threads compress while the main thread feeds them. One thread means no workers:
 * zstd then compresses in the calling thread.
 */
export function zstdWorkersFor(threads: number): number {
  return threads <= 1 ? 0 : threads;
}

/**
 * A zstd compressor with `workers` background threads (0: in the calling thread; node:zlib
 * always compresses in the calling thread). The frame carries a content checksum, as the `zstd`
 * program writes by default, so `zstd -t` and every decompressor can verify the file.
 */
export function createZstdCompressStream(level: number, workers: number, backend: ZstdBackend = preferredZstdBackend()): Duplex {
  if (backend === 'zstd-napi') {
    const zstd = loadZstdNapi();
    if (zstd instanceof Error) throw zstd;
    return new ZstdCompress(zstd.binding, level, workers);
  }
  // No workers with node:zlib: its zstd stream throws "push() after EOF" and kills the process
  // when workers are set (nodejs/node#59899; seen here on Node 24.21 with 128 MiB).
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
  return new CheckedZlibZstdDecompress();
}

/**
 * node:zlib's zstd decoder ends at the end of the first frame and ignores whatever follows
 * (nodejs/node#64741): a file of several frames (pzstd, concatenated files) or with trailing
 * bytes would come out short without an error. This one fails instead, unless the decoder took
 * every byte it was given.
 */
class CheckedZlibZstdDecompress extends Duplex {
  readonly #inner = createZstdDecompress();
  #received = 0;

  constructor() {
    super();
    this.#inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.#inner.pause();
    });
    this.#inner.on('end', () => {
      if (this.#inner.bytesWritten < this.#received) {
        this.destroy(new Error(`zstd: ${this.#received - this.#inner.bytesWritten} bytes follow the first frame, which node:zlib's zstd decoder cannot read; decompress with \`zstd -d\`, or install the zstd-napi binding`));
      } else {
        this.push(null);
      }
    });
    this.#inner.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#received += chunk.length;
    this.#inner.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#inner.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
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

  constructor(binding: typeof ZstdBinding, level: number, workers: number) {
    super();
    this.#binding = binding;
    this.#context = new binding.CCtx();
    this.#context.setParameter(binding.CParameter.compressionLevel, level);
    this.#context.setParameter(binding.CParameter.checksumFlag, 1);
    if (workers > 0) this.#context.setParameter(binding.CParameter.nbWorkers, workers);
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
