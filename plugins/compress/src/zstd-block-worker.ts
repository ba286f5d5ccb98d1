// A worker thread of ParallelZstd: compresses each block it is told of into one whole zstd frame
// (with the content size and a content checksum, as the `zstd` program writes). Blocks live in
// memory shared with the main thread; frames are written into buffers the main thread allocated
// and sends along, so this thread allocates nothing per block. Loaded
// as .ts from the sources (Node strips the types) and as .js from dist, so it imports nothing but
// Node and the binding.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type * as ZstdBinding from 'zstd-napi/binding.js';

export interface BlockWorkerData {
  readonly level: number;
}

export interface BlockRequest {
  readonly sequence: number;
  /** The block's bytes, from the start. */
  readonly input: SharedArrayBuffer;
  readonly length: number;
  /** Where the frame goes (transferred here and back): room for zstd's bound on the block size. */
  readonly output: ArrayBuffer;
}

export type BlockResult =
  { readonly sequence: number; readonly produced: number; readonly output: ArrayBuffer } | { readonly sequence: number; readonly error: string };

if (parentPort) {
  const port = parentPort;
  const { level } = workerData as BlockWorkerData;
  const binding = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof ZstdBinding;
  const context = new binding.CCtx();
  context.setParameter(binding.CParameter.compressionLevel, level);
  context.setParameter(binding.CParameter.checksumFlag, 1);

  port.on('message', ({ sequence, input, length, output }: BlockRequest) => {
    try {
      const produced = context.compress2(new Uint8Array(output), new Uint8Array(input, 0, length));
      port.postMessage({ sequence, produced, output } satisfies BlockResult, [output]);
    } catch (error) {
      port.postMessage({ sequence, error: error instanceof Error ? error.message : String(error) } satisfies BlockResult);
    }
  });
}
