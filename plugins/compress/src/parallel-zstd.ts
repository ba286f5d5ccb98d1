// zstd on several cores, the way pzstd does it: the input is cut into blocks, each compressed
// into an independent frame by a pool of worker threads, and the frames are written in order.
// A file of several frames is an ordinary zstd file: `zstd -d`, `zstd -t` and every decoder read
// all of them (node:zlib's decoder needs help, see zstd-frames.ts). The main thread only copies
// the input into blocks, so reading and compressing overlap on two CPUs; zstd's own workers
// (nbWorkers) left the main thread feeding them and measured slower (bench/compress.ts).
//
// Memory is bounded: at most 4 blocks per thread in flight, each a reused block of shared memory
// and a buffer for its frame, and no new block while the destination has frames waiting. Each
// frame is written into a buffer the main thread allocated and sent along (the workers allocate
// nothing per block); a large frame goes downstream in that buffer, without a copy, and a small
// one is copied out so that it never pins a block-sized buffer. Copying every frame out of shared
// memory instead cost the main thread a copy of every byte.
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import type { BlockRequest, BlockResult, BlockWorkerData } from './zstd-block-worker.ts';

/** 1 MiB: zstd level 3's window is 1–2 MiB, so larger blocks gain little ratio and lose cache. */
export const ZSTD_BLOCK_SIZE = 1 << 20;
/** Blocks in flight per worker: enough that no worker waits for the next block. */
const BLOCKS_PER_WORKER = 4;
/** Frames below this are copied into slabs of FRAME_SLAB_SIZE; larger ones keep their buffer. */
const SMALL_FRAME = 64 << 10;
const FRAME_SLAB_SIZE = 1 << 20;

// The sources run as .ts (tests, --conditions=hyperexport-source), the build as .js.
const WORKER_URL = new URL(`./zstd-block-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);

interface PoolWorker {
  readonly thread: Worker;
  /** Blocks sent to this thread and not back yet. */
  inFlight: number;
}

interface Slot {
  readonly input: SharedArrayBuffer;
  readonly block: Buffer;
  /** Where the next frame goes; given away downstream with a large frame, then made anew. */
  output: ArrayBuffer | undefined;
}

interface PendingWrite {
  readonly chunk: Buffer;
  offset: number;
  readonly callback: TransformCallback;
}

export class ParallelZstd extends Transform {
  readonly #binding: typeof ZstdBinding;
  readonly #level: number;
  readonly #threads: number;
  readonly #blockSize: number;
  readonly #maximumSlots: number;
  /** Started with the first full block: a small file is compressed here, without a thread. */
  #workers: PoolWorker[] = [];
  readonly #freeSlots: Slot[] = [];
  /** The slot being filled, and how far. */
  #current: Slot | undefined;
  #filled = 0;
  #nextSequence = 0;
  #nextToPush = 0;
  readonly #inFlight = new Map<number, Slot>();
  readonly #finished = new Map<number, Buffer>();
  #slab = Buffer.alloc(0);
  #slabUsed = 0;
  /** A write whose rest waits for a free slot. */
  #pending: PendingWrite | undefined;
  /** The end of _flush, once every block is back. */
  #whenDrained: (() => void) | undefined;

  constructor(binding: typeof ZstdBinding, level: number, threads: number, blockSize = ZSTD_BLOCK_SIZE) {
    super();
    this.#binding = binding;
    this.#level = level;
    this.#threads = Math.max(1, threads);
    this.#blockSize = blockSize;
    this.#maximumSlots = this.#threads * BLOCKS_PER_WORKER;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending = { chunk, offset: 0, callback };
    this.#fill();
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.#nextSequence === 0) {
        // Everything fits in one block (or nothing came): one frame, compressed here.
        this.push(this.#compressHere(this.#current?.block.subarray(0, this.#filled) ?? Buffer.alloc(0)));
        callback();
        return;
      }
      if (this.#filled > 0) this.#send();
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.#whenDrained = () => {
      this.#stopWorkers();
      callback();
    };
    this.#checkDrained();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#stopWorkers();
    callback(error);
  }

  override _read(size: number): void {
    super._read(size);
    // Downstream wants more: a write held back for it goes on, once this read is done (inside
    // it, the piece being read still counts as waiting).
    process.nextTick(() => {
      this.#fill();
      // Still held back, and no thread will push a frame: Readable asks again only after a
      // push, so an empty one lets it (without, the stream hung with 64 KiB reads into a file).
      if (this.#pending && this.#inFlight.size === 0 && !this.destroyed) this.push(Buffer.alloc(0));
    });
  }

  /**
   * Copies the pending write into blocks while there are slots and downstream keeps up; calls
   * back once it is all taken.
   */
  #fill(): void {
    const pending = this.#pending;
    if (!pending) return;
    try {
      while (pending.offset < pending.chunk.length) {
        if (!this.#current) {
          // Frames are pushed when a thread is done, after this write's callback: Transform's own
          // check of the readable side, made at the callback, never sees them. No new block
          // while frames wait for a slow destination; _read resumes.
          if (this.readableLength >= this.readableHighWaterMark) return;
          const slot = this.#takeSlot();
          if (!slot) return; // every slot is in flight: #received resumes this write
          this.#current = slot;
        }
        const copied = pending.chunk.copy(this.#current.block, this.#filled, pending.offset);
        this.#filled += copied;
        pending.offset += copied;
        if (this.#filled === this.#blockSize) this.#send();
      }
    } catch (error) {
      this.#pending = undefined;
      pending.callback(error as Error);
      return;
    }
    this.#pending = undefined;
    pending.callback();
  }

  #takeSlot(): Slot | undefined {
    // Frames done out of order wait for an earlier one (a thread still starting, a slow block)
    // and count against the limit as much as blocks in flight: else one late block let the
    // others run ahead without bound (bench/chain.ts: 583 MB peak RSS for a 1 GiB disk, 289 MB
    // for 256 MiB).
    if (this.#inFlight.size + this.#finished.size >= this.#maximumSlots) return undefined;
    // Slots in use are those in flight, so no more than the limit are ever made.
    const free = this.#freeSlots.pop();
    if (free) return free;
    const input = new SharedArrayBuffer(this.#blockSize);
    return { input, block: Buffer.from(input), output: undefined };
  }

  #compressHere(data: Buffer): Buffer {
    const context = new this.#binding.CCtx();
    context.setParameter(this.#binding.CParameter.compressionLevel, this.#level);
    context.setParameter(this.#binding.CParameter.checksumFlag, 1);
    const frame = Buffer.allocUnsafe(this.#binding.compressBound(data.length));
    return frame.subarray(0, context.compress2(frame, data));
  }

  #send(): void {
    const slot = this.#current!;
    if (this.#workers.length === 0) this.#startWorkers();
    const sequence = this.#nextSequence++;
    // Not zero-filled (`new ArrayBuffer` is): zstd writes every byte it reports.
    const output = slot.output ?? (Buffer.allocUnsafeSlow(this.#binding.compressBound(this.#blockSize)).buffer as ArrayBuffer);
    slot.output = undefined;
    const request: BlockRequest = { sequence, input: slot.input, length: this.#filled, output };
    // To the least busy thread: blocks differ a lot in cost (zeros take almost nothing), so
    // taking turns would leave one thread with the hard ones.
    const worker = this.#workers.reduce((least, candidate) => (candidate.inFlight < least.inFlight ? candidate : least));
    worker.thread.postMessage(request, [output]);
    worker.inFlight++;
    this.#inFlight.set(sequence, slot);
    this.#current = undefined;
    this.#filled = 0;
  }

  #startWorkers(): void {
    const workerData: BlockWorkerData = { level: this.#level };
    for (let index = 0; index < this.#threads; index++) {
      const worker: PoolWorker = { thread: new Worker(WORKER_URL, { workerData }), inFlight: 0 };
      worker.thread.on('message', (result: BlockResult) => {
        worker.inFlight--;
        this.#received(result);
      });
      worker.thread.on('error', (error) => this.destroy(error));
      worker.thread.on('exit', (code) => {
        if (worker.inFlight > 0 && !this.destroyed) this.destroy(new Error(`zstd: a compression thread stopped (exit code ${code}) with blocks in flight`));
      });
      this.#workers.push(worker);
    }
  }

  #stopWorkers(): void {
    const workers = this.#workers;
    this.#workers = [];
    // Nothing is left to lose: every block was received, or the stream is being destroyed.
    for (const worker of workers) void worker.thread.terminate().catch(() => undefined);
  }

  #received(result: BlockResult): void {
    if (this.destroyed) return;
    if ('error' in result) {
      this.destroy(new Error(`zstd: compressing block ${result.sequence} failed: ${result.error}`));
      return;
    }
    const slot = this.#inFlight.get(result.sequence)!;
    this.#inFlight.delete(result.sequence);
    let frame: Buffer;
    if (result.produced < SMALL_FRAME) {
      // A block that compressed well: copied out, so downstream never holds a block-sized buffer
      // for a few bytes, and the buffer goes back with the slot.
      frame = this.#roomFor(result.produced);
      Buffer.from(result.output, 0, result.produced).copy(frame);
      slot.output = result.output;
    } else {
      frame = Buffer.from(result.output, 0, result.produced);
    }
    this.#freeSlots.push(slot);
    this.#finished.set(result.sequence, frame);
    for (let next = this.#finished.get(this.#nextToPush); next; next = this.#finished.get(this.#nextToPush)) {
      this.#finished.delete(this.#nextToPush++);
      this.push(next);
    }
    this.#fill();
    this.#checkDrained();
  }

  /**
   * Room for a small frame in the current slab; downstream holds views of a slab, so a slab is
   * never written twice, and a full one is left to the garbage collector.
   */
  #roomFor(size: number): Buffer {
    if (this.#slab.length - this.#slabUsed < size) {
      this.#slab = Buffer.allocUnsafeSlow(FRAME_SLAB_SIZE);
      this.#slabUsed = 0;
    }
    const room = this.#slab.subarray(this.#slabUsed, this.#slabUsed + size);
    this.#slabUsed += size;
    return room;
  }

  #checkDrained(): void {
    const whenDrained = this.#whenDrained;
    if (whenDrained && this.#inFlight.size === 0) {
      this.#whenDrained = undefined;
      whenDrained();
    }
  }
}
