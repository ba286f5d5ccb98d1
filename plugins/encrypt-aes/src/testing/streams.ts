// Helpers of this package's tests: feed a buffer to a stream in pieces, and collect what a
// stream emits, up to an error.
import { randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Splits `data` into pieces: fixed sizes, or random ones (`'random'`). */
export function pieces(data: Buffer, size: number | 'random'): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length;) {
    const length = size === 'random' ? randomInt(1, 200_000) : size;
    out.push(data.subarray(offset, offset + length));
    offset += length;
  }
  return out;
}

/** Runs `data` (in pieces) through `transform`; resolves with the output or rejects with its error. */
export async function run(transform: Duplex, data: Buffer, pieceSize: number | 'random' = 1 << 20): Promise<Buffer> {
  const { output, error } = await runCollecting(transform, data, pieceSize);
  if (error) throw error;
  return output;
}

/** Like run(), but also returns what was emitted before an error. */
export async function runCollecting(transform: Duplex, data: Buffer, pieceSize: number | 'random' = 1 << 20): Promise<{ output: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  try {
    await pipeline(Readable.from(pieces(data, pieceSize)), transform, async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) parts.push(Buffer.from(part));
    });
    return { output: Buffer.concat(parts), error: undefined };
  } catch (error) {
    return { output: Buffer.concat(parts), error };
  }
}

/**
 * Records every buffer `stream` pushes, at the moment it pushes it: what a consumer could have
 * received, whether or not the pipeline delivered it before tearing down on an error.
 */
export function recordPushes<T extends Duplex>(stream: T): { stream: T; pushed: () => Buffer } {
  const parts: Buffer[] = [];
  const push = stream.push.bind(stream);
  stream.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (Buffer.isBuffer(chunk)) parts.push(Buffer.from(chunk));
    return push(chunk, encoding);
  };
  return { stream, pushed: () => Buffer.concat(parts) };
}
