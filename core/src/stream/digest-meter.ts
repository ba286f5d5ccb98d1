// A pass-through that measures what flows through it: byte count, SHA-256, and a throttled
// progress callback. Hashing here costs one pass over bytes that are in cache anyway, so every
// file gets its digest while it streams instead of being read again.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface DigestMeterOptions {
  /** Called at most every `intervalMs` while bytes flow, and once at the end. */
  onProgress?: (bytes: number, bytesPerSecond: number) => void;
  intervalMs?: number;
  /** Skip hashing when only the count is wanted. */
  hash?: boolean;
}

export class DigestMeter extends Transform {
  bytes = 0;
  readonly #hash: Hash | undefined;
  #hex: string | undefined;
  readonly #onProgress: DigestMeterOptions['onProgress'];
  readonly #intervalMs: number;
  readonly #startedAt = performance.now();
  #lastReportAt = 0;

  constructor(options: DigestMeterOptions = {}) {
    super();
    this.#hash = options.hash === false ? undefined : createHash('sha256');
    this.#onProgress = options.onProgress;
    this.#intervalMs = options.intervalMs ?? 250;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash?.update(chunk);
    this.bytes += chunk.length;
    if (this.#onProgress) {
      const now = performance.now();
      if (now - this.#lastReportAt >= this.#intervalMs) {
        this.#lastReportAt = now;
        this.#report(now);
      }
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#hash) this.#hex = this.#hash.digest('hex');
    this.#report(performance.now());
    callback();
  }

  /** The SHA-256 in hex; available once the stream has ended. */
  get sha256(): string {
    if (this.#hex === undefined) throw new Error('DigestMeter: the digest is read before the stream ended');
    return this.#hex;
  }

  #report(now: number): void {
    const seconds = (now - this.#startedAt) / 1000;
    this.#onProgress?.(this.bytes, seconds > 0 ? Math.round(this.bytes / seconds) : 0);
  }
}

/** Reads a stream to its end and returns its size and SHA-256 (nothing is kept in memory). */
export async function digestStream(
  input: NodeJS.ReadableStream,
  signal: AbortSignal,
  onProgress?: DigestMeterOptions['onProgress'],
): Promise<{ size: number; sha256: string }> {
  const meter = new DigestMeter(onProgress ? { onProgress } : {});
  await pipeline(
    input,
    meter,
    async function* drain(chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) void chunk;
    },
    { signal },
  );
  return { size: meter.bytes, sha256: meter.sha256 };
}
