import { describe, expect, it } from 'vitest';
import { MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, MiB, largestStream, partSizeFor } from './part-size.ts';

const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

/** Parts a stream of `size` bytes is cut into. */
function cut(size: number, plan: Parameters<typeof partSizeFor>[1]): number[] {
  const parts: number[] = [];
  for (let sent = 0; sent < size;) {
    const part = Math.min(partSizeFor(sent, plan), size - sent);
    parts.push(part);
    sent += part;
  }
  return parts;
}

describe('partSizeFor', () => {
  it('fits a 5 TiB stream of unknown length in 10,000 parts from any starting size', () => {
    for (const initialMiB of [5, 8, 16, 64, 512]) {
      expect(largestStream({ initial: initialMiB * MiB })).toBeGreaterThanOrEqual(5 * TiB);
      expect(cut(5 * TiB, { initial: initialMiB * MiB }).length).toBeLessThanOrEqual(MAX_PARTS);
    }
  });

  it('keeps small streams in parts of the configured size', () => {
    expect(new Set(cut(2 * GiB, { initial: 8 * MiB }).slice(0, -1))).toEqual(new Set([8 * MiB]));
    expect(partSizeFor(0, { initial: 8 * MiB })).toBe(8 * MiB);
  });

  it('grows parts in powers of two as the stream goes on, never past 5 GiB', () => {
    const parts = cut(5 * TiB, { initial: 8 * MiB });
    for (let index = 1; index < parts.length - 1; index++) expect(parts[index]).toBeGreaterThanOrEqual(parts[index - 1]!);
    const grown = parts.filter((part) => part > 8 * MiB).slice(0, -1);
    for (const part of grown) expect(Math.log2(part) % 1).toBe(0);
    expect(Math.max(...parts)).toBeLessThanOrEqual(MAX_PART_SIZE);
    // Memory per part stays far below a fixed part size chosen for 5 TiB until the stream is large.
    expect(partSizeFor(100 * GiB, { initial: 8 * MiB })).toBe(128 * MiB);
    expect(partSizeFor(TiB, { initial: 8 * MiB })).toBe(GiB);
  });

  it('never goes below the 5 MiB S3 minimum', () => {
    expect(partSizeFor(0, { initial: MiB })).toBe(MIN_PART_SIZE);
  });

  it('uses one constant part size for a known size, with headroom for a stream that runs over', () => {
    expect(partSizeFor(0, { initial: 8 * MiB, expectedSize: 100 * GiB })).toBe(13 * MiB);
    const size = 5 * TiB;
    const parts = cut(size, { initial: 5 * MiB, expectedSize: size });
    expect(new Set(parts.slice(0, -1)).size).toBe(1);
    expect(parts.length).toBeLessThanOrEqual(8_000);
    // Running past the announced size: parts grow again instead of running out.
    expect(largestStream({ initial: 5 * MiB, expectedSize: GiB })).toBeGreaterThan(5 * TiB);
  });
});
