// The block uploader against Azurite, with the real client's stageBlock observed: memory is
// bounded by the plan (blocks in flight, buffers reused), and the commit happens last.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite } from '../../../test/support/azurite.ts';
import type { Azurite } from '../../../test/support/azurite.ts';
import { planBlocks } from './block-plan.ts';
import { uploadBlocks } from './block-upload.ts';

const MiB = 1024 * 1024;
let azurite: Azurite;
let container: ContainerClient;

beforeAll(async () => {
  azurite = await startAzurite();
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('blocks');
  await container.create();
});
afterAll(async () => {
  await azurite?.stop();
});

/** Watches a real client's Put Block calls: how many at once, and into how many buffers. */
function observe(blob: BlockBlobClient): { peak: number; buffers: Set<ArrayBufferLike>; calls: number } {
  const seen = { peak: 0, buffers: new Set<ArrayBufferLike>(), calls: 0 };
  let active = 0;
  const stageBlock = blob.stageBlock.bind(blob);
  blob.stageBlock = async (...args: Parameters<BlockBlobClient['stageBlock']>) => {
    active++;
    seen.calls++;
    seen.peak = Math.max(seen.peak, active);
    seen.buffers.add((args[1] as Buffer).buffer);
    try {
      return await stageBlock(...args);
    } finally {
      active--;
    }
  };
  return seen;
}

function chunks(content: Buffer, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < content.length; offset += size) yield content.subarray(offset, offset + size);
    })(),
  );
}

describe('uploadBlocks', () => {
  it('keeps at most `concurrency` blocks in flight and reuses concurrency + 1 buffers for 24 blocks', async () => {
    const blob = container.getBlockBlobClient('bounded.bin');
    const seen = observe(blob);
    const content = randomBytes(24 * MiB);
    const result = await uploadBlocks(blob, chunks(content, 300_001), {
      plan: planBlocks({ blockSize: MiB, concurrency: 3 }),
      signal: new AbortController().signal,
      metadata: {},
      headers: {},
    });
    expect(result).toMatchObject({ bytes: content.length, blocks: 24, sha256: createHash('sha256').update(content).digest('hex') });
    expect(seen.calls).toBe(24);
    expect(seen.peak).toBe(3);
    expect(seen.buffers.size).toBeLessThanOrEqual(4);
    const back = await blob.downloadToBuffer();
    expect(back.equals(content)).toBe(true);
  });

  it('stops reading and commits nothing when a block is refused', async () => {
    const blob = container.getBlockBlobClient('refused.bin');
    let reads = 0;
    const stageBlock = blob.stageBlock.bind(blob);
    // The third block goes to a container that does not exist: a real refusal by the server.
    const nowhere = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('missing').getBlockBlobClient('x');
    let staged = 0;
    blob.stageBlock = (...args: Parameters<BlockBlobClient['stageBlock']>) => (++staged === 3 ? nowhere.stageBlock(...args) : stageBlock(...args));
    const body = new Readable({
      read() {
        reads++;
        this.push(reads > 400 ? null : randomBytes(256 * 1024));
      },
    });
    await expect(
      uploadBlocks(blob, body, { plan: planBlocks({ blockSize: MiB, concurrency: 2 }), signal: new AbortController().signal, metadata: {}, headers: {} }),
    ).rejects.toMatchObject({ statusCode: 404 });
    expect(reads).toBeLessThan(400);
    expect(body.destroyed).toBe(true);
    await expect(blob.getProperties()).rejects.toMatchObject({ statusCode: 404 });
  });
});
