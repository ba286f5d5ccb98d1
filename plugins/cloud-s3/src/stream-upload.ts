// Uploads one stream of unknown length to S3: a single PutObject when it ends within the first
// part, else a multipart upload whose parts grow with the stream (part-size.ts). The object becomes
// visible only through PutObject or CompleteMultipartUpload, so an upload that fails or is cancelled
// leaves no object; its multipart upload is aborted once the part requests in flight have settled,
// so no stray part outlives it (S3 would keep and bill it).
//
// Why not @aws-sdk/lib-storage's Upload: its part size is fixed for the whole upload (so a stream of
// unknown length would need 525 MiB parts to be sure of fitting 5 TiB), `abort()` settles `done()`
// before AbortMultipartUpload is sent, its part requests cannot be cancelled, and a failing abort
// replaces the error that caused it. Here every part request honours the cancellation, the abort is
// awaited, and an abort that fails is reported with the upload ID to clean up by hand.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { CompletedPart, S3Client, ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3';
import { CancelledError, ExportError, HyperExportError, formatBytes } from '@hyperexport/core';
import { MAX_PARTS, MIN_PART_SIZE, partSizeFor } from './part-size.ts';
import type { PartSizePlan } from './part-size.ts';
import { loadS3Sdk } from './s3-sdk.ts';
import type { S3Sdk } from './s3-sdk.ts';

/** Headers every object of the upload is created with. */
export interface ObjectHeaders {
  readonly ContentType?: string | undefined;
  readonly Metadata: Readonly<Record<string, string>>;
  readonly ServerSideEncryption?: ServerSideEncryption | undefined;
  readonly SSEKMSKeyId?: string | undefined;
  readonly StorageClass?: StorageClass | undefined;
}

export interface StreamUploadOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** `s3://bucket/key`, for messages. */
  readonly shown: string;
  readonly headers: ObjectHeaders;
  /** The SHA-256 the caller says the stream has: checked before the object is made visible. */
  readonly expectedSha256?: string | undefined;
  readonly plan: PartSizePlan;
  readonly queueSize: number;
  /** Send checksums S3 verifies: CRC32 per part, SHA-256 of a single-request object. */
  readonly checksums: boolean;
  readonly signal: AbortSignal;
  readonly onProgress?: ((bytesSent: number) => void) | undefined;
  /** Turns an SDK error into the error to report (s3-errors.ts). */
  readonly explain: (error: unknown) => Error;
}

export interface StreamUploadResult {
  readonly size: number;
  readonly sha256: string;
  readonly etag: string | undefined;
  /** 0 when the object went up in one PutObject. */
  readonly parts: number;
}

/** The first part's buffer starts small and doubles, so a small file does not take a whole part. */
const FIRST_CAPACITY = 64 * 1024;

export async function uploadStream(body: Readable, options: StreamUploadOptions): Promise<StreamUploadResult> {
  let sdk: S3Sdk;
  try {
    // Loaded already (the client comes from it): the command classes are taken from it.
    sdk = await loadS3Sdk();
  } catch (error) {
    body.destroy(asError(error));
    throw error;
  }
  return new StreamUpload(options, sdk).run(body);
}

class StreamUpload {
  readonly #options: StreamUploadOptions;
  readonly #sdk: S3Sdk;
  /** Cancels the part requests in flight: on the caller's signal, or when one part fails. */
  readonly #cancel = new AbortController();
  readonly #hash = createHash('sha256');
  /** Bytes in parts handed to S3 so far; the next part's size follows from it. */
  #bytesCut = 0;
  #bytesAcknowledged = 0;
  #nextPartNumber = 1;
  #uploadId: string | undefined;
  #completed = false;
  readonly #parts: CompletedPart[] = [];
  readonly #inFlight = new Map<number, { readonly done: Promise<void>; readonly bytes: number }>();
  #inFlightBytes = 0;
  #failure: Error | undefined;
  readonly #spareBuffers: Buffer[] = [];
  /** Part bytes held at once while parts are small: the parts in flight and the one filling. */
  readonly #memoryBudget: number;
  #stop: (reason: Error) => void = () => undefined;

  constructor(options: StreamUploadOptions, sdk: S3Sdk) {
    this.#options = options;
    this.#sdk = sdk;
    this.#memoryBudget = (options.queueSize + 1) * Math.max(MIN_PART_SIZE, options.plan.initial);
  }

  async run(body: Readable): Promise<StreamUploadResult> {
    const { signal } = this.#options;
    if (signal.aborted) {
      body.destroy(asError(signal.reason));
      throw asError(signal.reason);
    }
    this.#stop = (reason) => {
      if (!this.#cancel.signal.aborted) this.#cancel.abort(reason);
      // Unblocks the read loop when it waits for bytes that may never come.
      if (!body.destroyed) body.destroy(reason);
    };
    const onAbort = () => this.#stop(asError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#upload(body);
    } catch (error) {
      const reason = signal.aborted ? asError(signal.reason) : (this.#failure ?? asError(error));
      this.#stop(reason);
      await this.#settle();
      const leftover = await this.#abortMultipartUpload();
      if (leftover !== undefined) throw this.#leftoverError(reason, leftover);
      throw reason;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #upload(body: Readable): Promise<StreamUploadResult> {
    let part = new PartBuffer(partSizeFor(0, this.#options.plan), FIRST_CAPACITY);
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer | Uint8Array | string>) {
      const bytes = asBuffer(chunk);
      this.#hash.update(bytes);
      size += bytes.length;
      for (let offset = 0; offset < bytes.length;) {
        // A full part is sent only once more bytes arrive, so a stream that ends exactly at a part
        // boundary still goes up in one request when it is a single part.
        if (part.full) {
          await this.#send(part);
          part = await this.#nextPart();
        }
        offset += part.write(bytes, offset);
      }
    }
    const sha256 = this.#hash.digest('hex');
    const { expectedSha256, shown } = this.#options;
    if (expectedSha256 !== undefined && expectedSha256 !== sha256) {
      throw new ExportError(`${shown}: the stream's SHA-256 is ${sha256}, not the ${expectedSha256} it was announced with; nothing was stored`, {
        code: 'VERIFY',
        hint: 'the source changed or was corrupted while it was read; export again',
      });
    }
    if (this.#uploadId === undefined) {
      const etag = await this.#putObject(part.data, sha256);
      this.#options.onProgress?.(size);
      return { size, sha256, etag, parts: 0 };
    }
    await this.#send(part);
    await this.#settle();
    if (this.#failure) throw this.#failure;
    if (this.#options.signal.aborted) throw asError(this.#options.signal.reason);
    const etag = await this.#complete(size, sha256);
    return { size, sha256, etag, parts: this.#parts.length };
  }

  /** Starts uploading a full (or the last) part; waits while `queueSize` parts are in flight. */
  async #send(part: PartBuffer): Promise<void> {
    const number = this.#nextPartNumber++;
    if (number > MAX_PARTS) {
      throw new ExportError(
        `${this.#options.shown}: the stream is longer than S3 can store in ${MAX_PARTS} parts (${formatBytes(this.#bytesCut)} sent so far)`,
        { code: 'TOO_LARGE', hint: 'give a larger partSizeMiB, or split the export' },
      );
    }
    this.#uploadId ??= await this.#createMultipartUpload();
    while (this.#inFlight.size >= this.#options.queueSize) await this.#oneSettled();
    if (this.#failure) throw this.#failure;
    if (this.#cancel.signal.aborted) throw asError(this.#cancel.signal.reason);
    const data = part.data;
    const bytes = data.length;
    this.#bytesCut += bytes;
    const done = this.#uploadPart(number, data)
      .then(
        (completed) => {
          this.#parts.push(completed);
          this.#bytesAcknowledged += bytes;
          this.#options.onProgress?.(this.#bytesAcknowledged);
          this.#recycle(part.buffer);
        },
        (error: unknown) => {
          const failure = this.#options.explain(error);
          this.#failure ??= failure;
          this.#stop(this.#failure);
        },
      )
      .finally(() => {
        this.#inFlight.delete(number);
        this.#inFlightBytes -= bytes;
      });
    this.#inFlight.set(number, { done, bytes });
    this.#inFlightBytes += bytes;
  }

  /**
   * The buffer for the next part. While parts are small, up to `queueSize` are in flight and one
   * fills; once two parts no longer fit the budget, one is in flight while the next fills.
   */
  async #nextPart(): Promise<PartBuffer> {
    const size = partSizeFor(this.#bytesCut, this.#options.plan);
    while (this.#inFlight.size >= 2 && this.#inFlightBytes + size > this.#memoryBudget) await this.#oneSettled();
    if (this.#failure) throw this.#failure;
    return new PartBuffer(size, size, this.#spareBuffer(size));
  }

  async #createMultipartUpload(): Promise<string> {
    const { client, bucket, key, headers, checksums } = this.#options;
    // Not cancellable on purpose: a create cut off mid-way could leave an upload whose ID we never
    // learn, and so could never abort. Once we have the ID, the caller's catch aborts it.
    try {
      const output = await client.send(
        new this.#sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...headers, ...(checksums ? { ChecksumAlgorithm: 'CRC32' } : {}) }),
      );
      if (!output.UploadId) throw new ExportError(`${this.#options.shown}: the server started a multipart upload without an upload ID`, { code: 'S3' });
      return output.UploadId;
    } catch (error) {
      throw this.#options.explain(error);
    }
  }

  async #uploadPart(number: number, data: Buffer): Promise<CompletedPart> {
    const { client, bucket, key, checksums } = this.#options;
    const output = await client.send(
      new this.#sdk.UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: this.#uploadId,
        PartNumber: number,
        Body: data,
        ContentLength: data.length,
        ...(checksums ? { ChecksumAlgorithm: 'CRC32' } : {}),
      }),
      { abortSignal: this.#cancel.signal },
    );
    if (!output.ETag)
      throw new ExportError(`${this.#options.shown}: the server stored part ${number} without an ETag`, {
        code: 'S3',
        hint: 'a proxy in between may strip the ETag header',
      });
    return { PartNumber: number, ETag: output.ETag, ...(output.ChecksumCRC32 ? { ChecksumCRC32: output.ChecksumCRC32 } : {}) };
  }

  async #putObject(data: Buffer, sha256: string): Promise<string | undefined> {
    const { client, bucket, key, headers, checksums } = this.#options;
    try {
      const output = await client.send(
        new this.#sdk.PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: data,
          ContentLength: data.length,
          ...headers,
          Metadata: { ...headers.Metadata, sha256 },
          // S3 recomputes it from what it received and refuses the object on a mismatch.
          ...(checksums ? { ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64') } : {}),
        }),
        { abortSignal: this.#cancel.signal },
      );
      return output.ETag;
    } catch (error) {
      throw this.#options.explain(error);
    }
  }

  async #complete(size: number, sha256: string): Promise<string | undefined> {
    const { client, bucket, key } = this.#options;
    this.#parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    try {
      // Not cancellable: once sent, its outcome must be known (complete, or abort after).
      const output = await client.send(
        new this.#sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.#uploadId, MultipartUpload: { Parts: this.#parts } }),
      );
      this.#completed = true;
      return output.ETag;
    } catch (error) {
      const stored = await this.#storedAfterAll(size, sha256);
      if (stored) {
        this.#completed = true;
        return stored.etag;
      }
      throw this.#options.explain(error);
    }
  }

  /**
   * After a Complete that failed: the answer may have been lost after S3 completed the upload (a
   * cut connection; the SDK's retry then finds the upload gone, NoSuchUpload), leaving the object
   * in place while the put rejects. An object now under the key with this size and the SHA-256
   * announced in its metadata holds these very bytes: the upload did complete. Without an
   * announced SHA-256 nothing can tell, and the failure stands.
   */
  async #storedAfterAll(size: number, sha256: string): Promise<{ etag: string | undefined } | undefined> {
    if (this.#options.expectedSha256 !== sha256) return undefined;
    const { client, bucket, key } = this.#options;
    try {
      const head = await client.send(new this.#sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength === size && head.Metadata?.sha256 === sha256 ? { etag: head.ETag } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Aborts the multipart upload, if one was started and not completed; returns why it could not. */
  async #abortMultipartUpload(): Promise<Error | undefined> {
    if (this.#uploadId === undefined || this.#completed) return undefined;
    const { client, bucket, key } = this.#options;
    try {
      await client.send(new this.#sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.#uploadId }));
      return undefined;
    } catch (error) {
      if ((error as Error).name === 'NoSuchUpload') return undefined;
      return this.#options.explain(error);
    }
  }

  #leftoverError(reason: Error, abortError: Error): ExportError {
    const { bucket, key, shown } = this.#options;
    const code = reason instanceof HyperExportError ? reason.code : 'UPLOAD';
    return new ExportError(
      `${reason.message}; the incomplete multipart upload of ${shown} (upload ID ${this.#uploadId}) could not be aborted either (${abortError.message}), so its parts stay stored and billed until it is`,
      {
        code,
        hint: `abort it once the server is reachable: aws s3api abort-multipart-upload --bucket ${bucket} --key ${key} --upload-id ${this.#uploadId}; a bucket lifecycle rule with AbortIncompleteMultipartUpload removes such leftovers by itself`,
        cause: reason,
      },
    );
  }

  async #oneSettled(): Promise<void> {
    await Promise.race([...this.#inFlight.values()].map((entry) => entry.done));
  }

  async #settle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight.values()].map((entry) => entry.done));
  }

  #spareBuffer(size: number): Buffer | undefined {
    // Parts only grow: smaller spare buffers will never be used again.
    for (let index = this.#spareBuffers.length - 1; index >= 0; index--) if (this.#spareBuffers[index]!.length < size) this.#spareBuffers.splice(index, 1);
    const index = this.#spareBuffers.findIndex((buffer) => buffer.length === size);
    return index < 0 ? undefined : this.#spareBuffers.splice(index, 1)[0];
  }

  #recycle(buffer: Buffer): void {
    if (buffer.length >= MIN_PART_SIZE && this.#spareBuffers.length <= this.#options.queueSize) this.#spareBuffers.push(buffer);
  }
}

/** Bytes of one part, copied in as they arrive (the producer may reuse its chunks). */
class PartBuffer {
  readonly size: number;
  #buffer: Buffer;
  #length = 0;

  constructor(size: number, capacity: number, buffer?: Buffer) {
    this.size = size;
    this.#buffer = buffer ?? Buffer.allocUnsafe(Math.min(size, capacity));
  }

  get full(): boolean {
    return this.#length === this.size;
  }

  get data(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  /** The whole buffer, for reuse once the part is stored. */
  get buffer(): Buffer {
    return this.#buffer;
  }

  /** Copies what fits from `source` at `offset`; returns the number of bytes taken. */
  write(source: Buffer, offset: number): number {
    if (this.#length === this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.size, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    const copied = source.copy(this.#buffer, this.#length, offset);
    this.#length += copied;
    return copied;
  }
}

/** Chunks of an object-mode stream may be strings or plain Uint8Arrays; Buffers are taken as they are. */
function asBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new CancelledError(reason);
}
