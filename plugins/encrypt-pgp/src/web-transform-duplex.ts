// OpenPGP.js works on WHATWG (web) streams; the core's pipeline wants Node Duplex stages. This
// bridges one to the other chunk for chunk, without a queue of its own: a write is acknowledged
// only once the web side has pulled the chunk, and the web output is read only as fast as the
// Node side consumes it. Memory therefore stays at a few chunks, whatever the file size.
import { Duplex, addAbortSignal } from 'node:stream';

/** Turns an input web stream into an output web stream (e.g. openpgp.encrypt on a message of it). */
export type WebTransform = (input: ReadableStream<Uint8Array>) => Promise<ReadableStream<Uint8Array>>;

export interface WebTransformDuplexOptions {
  /** Destroys the stream (and cancels the web side) when aborted. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Turns a failure of the web side into the error the Duplex is destroyed with; `bytesOut` is
   * how much output was passed on before it (a failure before any output often means a wrong key).
   */
  readonly mapError?: ((error: unknown, progress: { readonly bytesOut: number }) => Error) | undefined;
  /**
   * Said when the web output ended while a written chunk was never read: the input went on
   * after the end of what the transform understood (trailing data).
   */
  readonly trailingDataError?: (() => Error) | undefined;
}

export function webTransformDuplex(transform: WebTransform, options: WebTransformDuplexOptions = {}): Duplex {
  const duplex = new WebTransformDuplex(transform, options);
  return options.signal ? addAbortSignal(options.signal, duplex) : duplex;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

class WebTransformDuplex extends Duplex {
  readonly #options: WebTransformDuplexOptions;
  #input!: ReadableStreamDefaultController<Uint8Array>;
  #inputClosed = false;
  /** The callback of the last write, held until the web side pulls that chunk. */
  #pendingWrite: ((error?: Error | null) => void) | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #outputDone = false;
  /** The callback of `_final`, held until the web output ended, so `finish` means "all of it came out". */
  #pendingFinal: ((error?: Error | null) => void) | undefined;
  #readRequested = false;
  #pumping = false;
  #bytesOut = 0;

  constructor(transform: WebTransform, options: WebTransformDuplexOptions) {
    // One chunk of 1 MiB either side, like the other stages of the pipeline.
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    this.#options = options;
    const input = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#input = controller;
        },
        // The web side took the queued chunk: the writer may send the next one.
        pull: () => this.#releaseWrite(),
        cancel: (reason) => {
          // The transform gave up on its input (it failed, or found the end of its data); the
          // output side reports why. Until then, accept and drop what is still written.
          this.#inputClosed = true;
          this.#releaseWrite();
          if (reason !== undefined && !this.#outputDone) this.destroy(this.#mapError(reason));
        },
      },
      // A queue of one chunk: `desiredSize` drops to 0 as soon as a chunk waits.
      { highWaterMark: 1, size: () => 1 },
    );
    transform(input).then(
      (output) => {
        if (this.destroyed) {
          output.cancel().catch(() => undefined);
          return;
        }
        this.#reader = output.getReader();
        if (this.#readRequested) void this.#pump();
      },
      (error: unknown) => this.destroy(this.#mapError(error)),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#outputDone) {
      callback(this.#trailingData());
      return;
    }
    if (this.#inputClosed) {
      callback();
      return;
    }
    // A view, not a copy: writers do not reuse a buffer once written (Node's stream contract).
    this.#input.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((this.#input.desiredSize ?? 0) > 0) callback();
    else this.#pendingWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#inputClosed) {
      this.#inputClosed = true;
      this.#input.close();
    }
    if (this.#outputDone) callback();
    else this.#pendingFinal = callback;
  }

  override _read(): void {
    this.#readRequested = true;
    if (this.#reader) void this.#pump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const reason = error ?? new Error('stream destroyed');
    if (!this.#inputClosed) {
      this.#inputClosed = true;
      try {
        this.#input.error(reason);
      } catch {
        // already closed or errored
      }
    }
    this.#reader?.cancel(reason).catch(() => undefined);
    this.#pendingWrite = undefined;
    this.#pendingFinal = undefined;
    callback(error);
  }

  #releaseWrite(): void {
    const callback = this.#pendingWrite;
    this.#pendingWrite = undefined;
    callback?.();
  }

  async #pump(): Promise<void> {
    if (this.#pumping || this.#outputDone) return;
    this.#pumping = true;
    const reader = this.#reader!;
    try {
      while (!this.destroyed) {
        const { done, value } = await reader.read();
        if (this.destroyed) return;
        if (done) {
          this.#outputDone = true;
          // A chunk still waiting to be pulled was never part of the transformed data.
          if (this.#pendingWrite) {
            this.destroy(this.#trailingData());
            return;
          }
          this.push(null);
          const final = this.#pendingFinal;
          this.#pendingFinal = undefined;
          final?.();
          return;
        }
        if (value.byteLength === 0) continue;
        this.#readRequested = false;
        this.#bytesOut += value.byteLength;
        const wantsMore = this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        // Stop when the buffer is full, unless the consumer asked again from inside push().
        if (!wantsMore && !this.#readRequested) return;
      }
    } catch (error) {
      this.destroy(this.#mapError(error));
    } finally {
      this.#pumping = false;
    }
  }

  #mapError(error: unknown): Error {
    return this.#options.mapError ? this.#options.mapError(error, { bytesOut: this.#bytesOut }) : asError(error);
  }

  #trailingData(): Error {
    return this.#options.trailingDataError?.() ?? new Error('data after the end of the stream');
  }
}
