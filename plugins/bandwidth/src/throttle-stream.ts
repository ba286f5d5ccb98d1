// The stream stage: passes bytes on no faster than every limiter given allows (the job's shared
// cap, a per-stream cap). Chunks pass in pieces of at most 64 KiB (views, not copies), so the
// flow is smooth and no piece exceeds a bucket's burst.
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { BandwidthLimiter } from './bandwidth-limiter.ts';

const PIECE_SIZE = 64 * 1024;

export class ThrottleStream extends Transform {
  readonly #limiters: readonly BandwidthLimiter[];
  readonly #destroyed = new AbortController();
  readonly #signal: AbortSignal;

  constructor(limiters: readonly BandwidthLimiter[], signal: AbortSignal) {
    super();
    this.#limiters = limiters;
    // Released when the job aborts, and when the pipeline destroys this stream.
    this.#signal = AbortSignal.any([signal, this.#destroyed.signal]);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // While the limiters let everything through at once (an `off` period), no promise is made.
    for (let offset = 0; offset < chunk.length; offset += PIECE_SIZE) {
      const piece = chunk.subarray(offset, offset + PIECE_SIZE);
      const blocked = this.#limiters.findIndex((limiter) => !limiter.tryTakeNow(piece.length));
      if (blocked >= 0) {
        this.#passSlowly(chunk, offset, blocked).then(() => callback(), callback);
        return;
      }
      this.push(piece);
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#destroyed.abort(error ?? new Error('the stream was closed'));
    callback(error);
  }

  /** From `offset` on, waiting as needed; the piece at `offset` already passed the limiters before `blocked`. */
  async #passSlowly(chunk: Buffer, offset: number, blocked: number): Promise<void> {
    for (let first = true; offset < chunk.length; offset += PIECE_SIZE, first = false) {
      const piece = chunk.subarray(offset, offset + PIECE_SIZE);
      for (const [index, limiter] of this.#limiters.entries()) {
        if (first && index < blocked) continue;
        if (!limiter.tryTakeNow(piece.length)) await limiter.take(piece.length, this.#signal);
      }
      this.push(piece);
    }
  }
}
