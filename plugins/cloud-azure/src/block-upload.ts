// Streams a Readable into a block blob with bounded memory. The stream is cut into blocks (see
// block-plan.ts); each block is staged (Put Block) while the next one fills, a few at once; the
// blob appears only when the block list is committed (Put Block List), with the SHA-256 of the
// whole stream in its metadata, so a visible blob always carries its checksum. A stream that
// ends within the first block goes up in a single Put Blob, which is just as atomic.
//
// Nothing is committed when the stream fails or the signal aborts. Blocks already staged stay
// uncommitted: Azure never lists them, a reader never sees them, and the service discards them
// after 7 days (there is no call to drop uncommitted blocks of a blob that does not exist, and
// committing an empty list to delete it would briefly show a blob, or replace an existing one).
//
// The SDK's own uploadStream() is not used because it takes the metadata before the upload
// starts; the SHA-256 is only known at the end.
import { createHash, randomBytes } from 'node:crypto';
import { addAbortSignal } from 'node:stream';
import type { Readable } from 'node:stream';
import type { BlobHTTPHeaders, BlockBlobClient } from '@azure/storage-blob';
import { ExportError } from '@hyperexport/core';
import { SHA256_METADATA } from './blob-metadata.ts';
import { blockSizeAt, capacityOf, concurrencyFor, MAX_BLOCKS } from './block-plan.ts';
import type { BlockPlan } from './block-plan.ts';

export interface BlockUploadOptions {
  readonly plan: BlockPlan;
  readonly signal: AbortSignal;
  /** When given, the stream must deliver exactly this many bytes. */
  readonly expectedSize?: number | undefined;
  /**
   * When given (store-remote announces the SHA-256 of a local file), the stream's SHA-256 must be
   * this, or nothing is committed: the staged blocks are left uncommitted, as on any failure.
   */
  readonly expectedSha256?: string | undefined;
  /** Already encoded for Azure (see blob-metadata.ts); the SHA-256 is added. */
  readonly metadata: Record<string, string>;
  readonly headers: BlobHTTPHeaders;
  readonly tier?: string | undefined;
  readonly onProgress?: ((bytesSent: number) => void) | undefined;
}

export interface BlockUploadResult {
  readonly bytes: number;
  readonly sha256: string;
  /** ETag of the committed blob, to check that what we verify is what we wrote. */
  readonly etag: string | undefined;
  readonly blocks: number;
}

export async function uploadBlocks(blob: BlockBlobClient, body: Readable, options: BlockUploadOptions): Promise<BlockUploadResult> {
  options.signal.throwIfAborted();
  const { plan } = options;
  // One signal for every request: the caller's, or ours when a block fails and the rest must stop.
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  // A cancelled job destroys the source, which ends the read loop below at once.
  addAbortSignal(options.signal, body);

  const uploadId = randomBytes(8).toString('hex');
  const hash = createHash('sha256');
  const blockIds: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const spare: Buffer[] = [];
  let failure: { error: unknown } | undefined;
  let bytesRead = 0;
  let bytesStaged = 0;
  // A block that fails sets this from its callback; the loop checks it between steps.
  const throwIfFailed = (): void => {
    if (failure !== undefined) throw failure.error;
  };

  const takeBuffer = (size: number): Buffer => {
    // Reusing buffers keeps memory flat and avoids the cost of fresh pages for every block.
    const index = spare.findIndex((buffer) => buffer.length === size);
    if (index >= 0) return spare.splice(index, 1)[0]!;
    spare.length = 0; // blocks grew: the smaller buffers are of no more use
    return Buffer.allocUnsafeSlow(size);
  };

  const stage = async (block: Buffer, length: number): Promise<void> => {
    if (blockIds.length >= MAX_BLOCKS) {
      throw new ExportError(`the stream is larger than one Azure block blob can hold with these block sizes (${capacityOf(plan)} bytes in 50,000 blocks)`, {
        code: 'TOO_LARGE',
        hint: 'raise the blockSizeMiB option, or pass the size when it is known',
      });
    }
    // Block ids must all have the same length; the random part keeps two uploads to the same
    // name from mixing their blocks.
    const id = Buffer.from(`${uploadId}-${String(blockIds.length).padStart(5, '0')}`).toString('base64');
    blockIds.push(id);
    const limit = concurrencyFor(plan, block.length);
    while (inFlight.size >= limit && failure === undefined) await Promise.race(inFlight);
    throwIfFailed();
    const task: Promise<void> = blob
      .stageBlock(id, length === block.length ? block : block.subarray(0, length), length, { abortSignal: signal })
      .then(
        () => {
          bytesStaged += length;
          spare.push(block);
          options.onProgress?.(bytesStaged);
        },
        (error: unknown) => {
          if (failure !== undefined) return;
          failure = { error };
          stop.abort();
          // Wake the read loop if it waits on the source.
          body.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      )
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  try {
    let buffer = takeBuffer(blockSizeAt(plan, 0));
    let filled = 0;
    for await (const chunk of body) {
      const data = asBuffer(chunk);
      hash.update(data);
      bytesRead += data.length;
      if (options.expectedSize !== undefined && bytesRead > options.expectedSize) throw sizeMismatch(bytesRead, options.expectedSize);
      for (let offset = 0; offset < data.length;) {
        const copied = data.copy(buffer, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === buffer.length) {
          await stage(buffer, filled);
          buffer = takeBuffer(blockSizeAt(plan, blockIds.length));
          filled = 0;
        }
      }
    }
    throwIfFailed();
    if (options.expectedSize !== undefined && bytesRead !== options.expectedSize) throw sizeMismatch(bytesRead, options.expectedSize);
    const sha256 = hash.digest('hex');
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) throw hashMismatch(sha256, options.expectedSha256);
    if (blockIds.length > 0) {
      if (filled > 0) await stage(buffer, filled);
      await Promise.all(inFlight);
      throwIfFailed();
    }
    options.signal.throwIfAborted();
    // The commit itself is not cancelled halfway: a cancel could arrive after the service has
    // committed but before the answer, leaving a blob the caller believes was never written.
    // It is one short request; when the signal aborted meanwhile, the blob is taken back.
    const commit = {
      metadata: { ...options.metadata, [SHA256_METADATA]: sha256 },
      blobHTTPHeaders: options.headers,
      ...(options.tier ? { tier: options.tier } : {}),
    };
    const response = blockIds.length === 0 ? await blob.upload(buffer.subarray(0, filled), filled, commit) : await blob.commitBlockList(blockIds, commit);
    if (options.signal.aborted) {
      await blob.deleteIfExists({ conditions: { ifMatch: response.etag } }).catch(() => undefined);
      options.signal.throwIfAborted();
    }
    options.onProgress?.(bytesRead);
    return { bytes: bytesRead, sha256, etag: response.etag, blocks: blockIds.length };
  } catch (error) {
    // The first failure is the cause; what follows from it (the source we destroyed, the blocks
    // we cancel now) is not.
    failure ??= { error };
    stop.abort();
    await Promise.allSettled(inFlight);
    throw failure.error;
  }
}

function sizeMismatch(bytes: number, expected: number): ExportError {
  const delivered = bytes > expected ? `more than ${expected}` : String(bytes);
  return new ExportError(`the stream delivered ${delivered} bytes, but ${expected} were announced; nothing was committed`, {
    code: 'SIZE_MISMATCH',
    hint: 'this is a bug in the stage that produced the stream; please report it',
  });
}

function hashMismatch(sha256: string, expected: string): ExportError {
  return new ExportError(`the stream's SHA-256 is ${sha256}, not the ${expected} it was announced with; nothing was committed`, {
    code: 'VERIFY',
    hint: 'the source changed or was corrupted while it was read; export again',
  });
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`the upload stream must yield bytes, not ${typeof chunk}`);
}
