// ChunkAccumulator: full chunks are handed on only when more input follows, whole chunks are views
// of the input (no copy), split chunks are gathered in one reused buffer.
import { randomBytes, randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkAccumulator } from './chunk-accumulator.ts';

/** Feeds `input` in pieces of the given sizes; returns copies of the full chunks and the rest. */
function feed(size: number, input: Buffer, pieces: readonly number[]): { full: Buffer[]; last: Buffer } {
  const full: Buffer[] = [];
  const chunks = new ChunkAccumulator(size, (chunk) => full.push(Buffer.from(chunk)));
  let offset = 0;
  for (const piece of pieces) {
    chunks.push(input.subarray(offset, offset + piece));
    offset += piece;
  }
  return { full, last: Buffer.from(chunks.take()) };
}

describe('ChunkAccumulator', () => {
  it('holds a full chunk back until more input follows it', () => {
    const input = randomBytes(8);
    const { full, last } = feed(4, input, [8]);
    expect(full).toEqual([input.subarray(0, 4)]);
    expect(last.equals(input.subarray(4))).toBe(true);
  });

  it('cuts the same chunks however the input arrives', () => {
    const input = randomBytes(23);
    for (const pieces of [[23], [1, 1, 1, 20], [5, 5, 5, 8], [3, 0, 4, 16], [4, 4, 4, 4, 4, 3]]) {
      const { full, last } = feed(5, input, pieces);
      expect(
        full.map((chunk) => chunk.toString('hex')),
        `pieces ${pieces.join(',')}`,
      ).toEqual([0, 5, 10, 15].map((at) => input.subarray(at, at + 5).toString('hex')));
      expect(last.equals(input.subarray(20)), `pieces ${pieces.join(',')}`).toBe(true);
    }
  });

  it('starts at the given offset of an input buffer', () => {
    const chunks = new ChunkAccumulator(4, () => undefined);
    chunks.push(Buffer.from('headBODY'), 4);
    expect(chunks.take().toString()).toBe('BODY');
  });

  it('gives an empty chunk when it holds nothing, and nothing after take() or clear()', () => {
    const chunks = new ChunkAccumulator(4, () => undefined);
    expect(chunks.take().length).toBe(0);
    chunks.push(Buffer.from('abc'));
    expect(chunks.length).toBe(3);
    chunks.clear();
    expect(chunks.length).toBe(0);
    expect(chunks.take().length).toBe(0);
  });

  it('hands on a chunk that lies whole in one input buffer as a view of it', () => {
    const input = randomFillSync(Buffer.alloc(16)); // not from Buffer's shared pool, which the reused buffer may come from
    const seen: Buffer[] = [];
    const chunks = new ChunkAccumulator(4, (chunk) => seen.push(chunk));
    chunks.push(input.subarray(0, 10)); // chunks 0 and 1 whole, 2 bytes of chunk 2
    chunks.push(input.subarray(10, 16)); // the rest of chunk 2, then chunk 3 whole
    const last = chunks.take();
    expect(seen).toHaveLength(3);
    expect(seen[0]!.buffer).toBe(input.buffer);
    expect(seen[1]!.buffer).toBe(input.buffer);
    expect(seen[2]!.buffer).not.toBe(input.buffer);
    expect(last.buffer).toBe(input.buffer);
    expect(last.byteOffset).toBe(input.byteOffset + 12);
  });

  it('gathers every split chunk in the same buffer', () => {
    const seen: Buffer[] = [];
    const chunks = new ChunkAccumulator(4, (chunk) => seen.push(chunk));
    for (let piece = 0; piece < 4; piece += 1) chunks.push(randomFillSync(Buffer.alloc(3)));
    const last = chunks.take();
    expect(seen).toHaveLength(2);
    expect(last.length).toBe(4);
    for (const chunk of [seen[1]!, last]) {
      expect(chunk.buffer).toBe(seen[0]!.buffer);
      expect(chunk.byteOffset).toBe(seen[0]!.byteOffset);
    }
  });

  it('lets what the callback throws come out of push()', () => {
    const chunks = new ChunkAccumulator(2, () => {
      throw new Error('bad chunk');
    });
    expect(() => chunks.push(Buffer.from('abc'))).toThrow('bad chunk');
  });
});
