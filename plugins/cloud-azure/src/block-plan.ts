// How a stream is cut into blocks. A block blob holds at most 50,000 committed blocks of at most
// 4000 MiB each, and blocks of one blob may differ in size. Memory is what bounds us: each block
// in flight is a buffer. So:
// - size known: the block size is grown once, up front, so that the blob fits in 50,000 blocks;
// - size unknown (a disk coming out of the pipeline): the block size doubles after every 10,000
//   blocks, so 50,000 blocks hold 310,000 × the configured block size (2.4 TiB at 8 MiB) while a
//   stream under 10,000 blocks (78 GiB at 8 MiB) never uses more than the configured size.
// As blocks grow, fewer are sent at once, so the bytes in flight stay at concurrency × the
// configured block size (one block at least), plus the block being filled.
import { ExportError } from '@hyperexport/core';

export const MAX_BLOCKS = 50_000;
export const MAX_BLOCK_SIZE = 4000 * 1024 * 1024;
export const BLOCKS_PER_SIZE_STEP = 10_000;
const MiB = 1024 * 1024;

export interface BlockPlan {
  /** Size of the first blocks, in bytes. */
  readonly firstBlockSize: number;
  /** True when the size is unknown and blocks grow as the stream goes on. */
  readonly grows: boolean;
  /** Bytes that may be in flight at once (configured concurrency × configured block size). */
  readonly bytesInFlight: number;
}

export function planBlocks(options: { blockSize: number; concurrency: number; size?: number | undefined }): BlockPlan {
  const bytesInFlight = options.concurrency * options.blockSize;
  if (options.size === undefined) return { firstBlockSize: options.blockSize, grows: true, bytesInFlight };
  const needed = Math.ceil(options.size / MAX_BLOCKS / MiB) * MiB;
  const firstBlockSize = Math.max(options.blockSize, needed);
  if (firstBlockSize > MAX_BLOCK_SIZE) {
    throw new ExportError(`${options.size} bytes do not fit in one Azure block blob (at most 50,000 blocks of 4000 MiB)`, {
      code: 'TOO_LARGE',
      hint: 'split the export or store it elsewhere',
    });
  }
  return { firstBlockSize, grows: false, bytesInFlight };
}

/** Size of block number `index` (0-based). */
export function blockSizeAt(plan: BlockPlan, index: number): number {
  if (!plan.grows) return plan.firstBlockSize;
  return Math.min(plan.firstBlockSize * 2 ** Math.floor(index / BLOCKS_PER_SIZE_STEP), MAX_BLOCK_SIZE);
}

/** How many blocks of this size may be uploading at once. */
export function concurrencyFor(plan: BlockPlan, blockSize: number): number {
  return Math.max(1, Math.floor(plan.bytesInFlight / blockSize));
}

/** Bytes the 50,000 blocks of this plan hold: the largest blob it can write. */
export function capacityOf(plan: BlockPlan): number {
  if (!plan.grows) return plan.firstBlockSize * MAX_BLOCKS;
  let total = 0;
  for (let step = 0; step * BLOCKS_PER_SIZE_STEP < MAX_BLOCKS; step++) total += blockSizeAt(plan, step * BLOCKS_PER_SIZE_STEP) * BLOCKS_PER_SIZE_STEP;
  return total;
}
