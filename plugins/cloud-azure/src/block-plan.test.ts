import { describe, expect, it } from 'vitest';
import { blockSizeAt, capacityOf, concurrencyFor, MAX_BLOCK_SIZE, MAX_BLOCKS, planBlocks } from './block-plan.ts';

const MiB = 1024 * 1024;
const TiB = 1024 * 1024 * MiB;

describe('planBlocks', () => {
  it('keeps the configured block size when the known size fits in 50,000 blocks', () => {
    const plan = planBlocks({ blockSize: 8 * MiB, concurrency: 4, size: 100 * 1024 * MiB });
    expect(plan).toEqual({ firstBlockSize: 8 * MiB, grows: false, bytesInFlight: 32 * MiB });
    expect(blockSizeAt(plan, 49_999)).toBe(8 * MiB);
  });

  it('grows the block size up front, in whole MiB, so a known 5 TiB fits in 50,000 blocks', () => {
    const plan = planBlocks({ blockSize: 8 * MiB, concurrency: 4, size: 5 * TiB });
    expect(plan.firstBlockSize).toBe(105 * MiB);
    expect(plan.firstBlockSize * MAX_BLOCKS).toBeGreaterThanOrEqual(5 * TiB);
    // Bytes in flight stay bounded: one 105 MiB block at a time (plus the one filling).
    expect(concurrencyFor(plan, plan.firstBlockSize)).toBe(1);
  });

  it('refuses a known size beyond what a block blob can hold', () => {
    expect(() => planBlocks({ blockSize: 8 * MiB, concurrency: 4, size: MAX_BLOCK_SIZE * MAX_BLOCKS + 1 })).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    );
  });

  it('doubles blocks every 10,000 when the size is unknown, holding 310,000 × the block size', () => {
    const plan = planBlocks({ blockSize: 8 * MiB, concurrency: 4 });
    expect([0, 9_999, 10_000, 20_000, 30_000, 40_000, 49_999].map((index) => blockSizeAt(plan, index) / MiB)).toEqual([8, 8, 16, 32, 64, 128, 128]);
    expect(capacityOf(plan)).toBe(31 * 10_000 * 8 * MiB);
    expect(capacityOf(plan)).toBeGreaterThan(2.3 * TiB);
    // As blocks grow, fewer go at once: bytes in flight stay at 4 × 8 MiB while they can.
    expect([8, 16, 32, 64, 128].map((size) => concurrencyFor(plan, size * MiB))).toEqual([4, 2, 1, 1, 1]);
  });

  it('never plans a block beyond 4000 MiB', () => {
    const plan = planBlocks({ blockSize: 1000 * MiB, concurrency: 1 });
    expect(blockSizeAt(plan, 49_999)).toBe(MAX_BLOCK_SIZE);
  });
});
