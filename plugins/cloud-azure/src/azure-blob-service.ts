// The StorageService of one azure://account/container/prefix target: keys are blob names below
// the prefix. Puts are block uploads committed only when complete (block-upload.ts), then checked
// against what the service holds: size and the SHA-256 stored with the blob.
import { Readable } from 'node:stream';
import type { BlobServiceClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { ExportError } from '@hyperexport/core';
import type { PutOptions, PutResult, RequestOptions, StoredObject, StorageService } from '@hyperexport/core';
import { azureErrorCode, toStorageError } from './azure-errors.ts';
import type { FailureContext } from './azure-errors.ts';
import type { ResolvedAzureOptions } from './azure-options.ts';
import { formatAzureUrl } from './azure-target-url.ts';
import type { AzureTarget } from './azure-target-url.ts';
import { decodeMetadata, encodeMetadata, SHA256_METADATA, storedSha256 } from './blob-metadata.ts';
import { planBlocks } from './block-plan.ts';
import { uploadBlocks } from './block-upload.ts';

/** How often a download resumes (from where it stopped) after the connection breaks. */
const DOWNLOAD_RESUMES = 5;

export class AzureBlobService implements StorageService {
  readonly target: AzureTarget;
  readonly #container: ContainerClient;
  readonly #options: ResolvedAzureOptions;
  readonly #failure: FailureContext;

  constructor(service: BlobServiceClient, target: AzureTarget, options: ResolvedAzureOptions, failure: FailureContext) {
    this.target = target;
    this.#container = service.getContainerClient(target.container);
    this.#options = options;
    this.#failure = failure;
  }

  get url(): string {
    return formatAzureUrl(this.target, this.target.prefix);
  }

  urlOf(key: string): string {
    return formatAzureUrl(this.target, this.#blobName(key));
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<PutResult> {
    const blob = this.#blob(key);
    const url = this.urlOf(key);
    try {
      const plan = planBlocks({ blockSize: this.#options.blockSize, concurrency: this.#options.concurrency, size: options.size });
      const uploaded = await uploadBlocks(blob, body, {
        plan,
        signal: options.signal,
        expectedSize: options.size,
        // An announced SHA-256 is checked before the commit; the blob then carries the one computed.
        expectedSha256: options.metadata?.[SHA256_METADATA],
        metadata: encodeMetadata(options.metadata),
        headers: { blobContentType: options.contentType ?? 'application/octet-stream' },
        tier: this.#options.accessTier,
        onProgress: options.onProgress,
      });
      try {
        // Check what the service now holds, not what we counted.
        const held = await blob.getProperties({ abortSignal: options.signal });
        const problem =
          held.contentLength !== uploaded.bytes
            ? `holds ${held.contentLength} bytes, ${uploaded.bytes} were sent`
            : storedSha256(held.metadata) !== uploaded.sha256
              ? 'does not carry the SHA-256 of what was sent'
              : undefined;
        if (problem !== undefined)
          throw new ExportError(`${url} ${problem} after the upload`, {
            code: 'VERIFY',
            hint: 'run the export again; if it repeats, check for another writer to the same blob',
          });
        return { key, size: uploaded.bytes, etag: checksumOf(held.contentMD5, held.etag), sha256: uploaded.sha256 };
      } catch (error) {
        // Committed but not verified (wrong, unreadable, or cancelled meanwhile): a put that fails
        // leaves nothing, so take the blob back, unless someone else has written it since.
        await blob.deleteIfExists({ conditions: { ifMatch: uploaded.etag } }).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      // Cancelled: the caller's reason, as the other backends give it, not the SDK's bare AbortError.
      if (options.signal.aborted) throw options.signal.reason ?? error;
      throw toStorageError(error, 'uploading to', url, this.#failure);
    }
  }

  async get(key: string, options: RequestOptions): Promise<Readable> {
    const url = this.urlOf(key);
    try {
      const response = await this.#blob(key).download(0, undefined, { abortSignal: options.signal, maxRetryRequests: DOWNLOAD_RESUMES });
      const body = response.readableStreamBody;
      if (body === undefined) throw new ExportError(`Azure returned no body for ${url}`, { code: 'AZURE' });
      return body instanceof Readable ? body : Readable.from(body as AsyncIterable<Buffer>);
    } catch (error) {
      throw toStorageError(error, 'downloading', url, this.#failure);
    }
  }

  async stat(key: string, options: RequestOptions): Promise<StoredObject | undefined> {
    try {
      const held = await this.#blob(key).getProperties({ abortSignal: options.signal });
      return {
        key,
        size: held.contentLength ?? 0,
        lastModified: held.lastModified,
        etag: checksumOf(held.contentMD5, held.etag),
        sha256: storedSha256(held.metadata),
        metadata: decodeMetadata(held.metadata),
      };
    } catch (error) {
      // A missing blob is an answer; a missing container is a wrong target and stays an error.
      if (azureErrorCode(error) === 'BlobNotFound') return undefined;
      throw toStorageError(error, 'reading the properties of', this.urlOf(key), this.#failure);
    }
  }

  async *list(prefix: string, options: RequestOptions): AsyncIterable<StoredObject> {
    // Every page is read before the first object is yielded: a listing that fails halfway must
    // not reach retention, which would act on a partial one.
    const objects: StoredObject[] = [];
    try {
      const pages = this.#container
        .listBlobsFlat({ prefix: this.target.prefix + prefix, includeMetadata: true, abortSignal: options.signal })
        .byPage({ maxPageSize: 5000 });
      for await (const page of pages) {
        for (const item of page.segment.blobItems) {
          // A Data Lake (hierarchical namespace) account lists its folders as empty blobs.
          if (item.metadata?.['hdi_isfolder'] === 'true') continue;
          objects.push({
            key: item.name.slice(this.target.prefix.length),
            size: item.properties.contentLength ?? 0,
            lastModified: item.properties.lastModified,
            etag: checksumOf(item.properties.contentMD5, item.properties.etag),
            sha256: storedSha256(item.metadata),
            metadata: decodeMetadata(item.metadata),
          });
        }
      }
    } catch (error) {
      throw toStorageError(error, 'listing', formatAzureUrl(this.target, this.target.prefix + prefix), this.#failure);
    }
    yield* objects;
  }

  async delete(key: string, options: RequestOptions): Promise<void> {
    try {
      await this.#blob(key).deleteIfExists({ deleteSnapshots: 'include', abortSignal: options.signal });
    } catch (error) {
      throw toStorageError(error, 'deleting', this.urlOf(key), this.#failure);
    }
  }

  #blob(key: string): BlockBlobClient {
    return this.#container.getBlockBlobClient(this.#blobName(key));
  }

  #blobName(key: string): string {
    if (key === '' || key.startsWith('/') || key.split('/').some((part) => part === '.' || part === '..')) {
      throw new ExportError(`"${key}" is not a valid object key below ${this.url}`, { code: 'BAD_KEY' });
    }
    return this.target.prefix + key;
  }
}

/** Azure's own checksum when it keeps one (Content-MD5, hex), else the ETag. */
function checksumOf(contentMD5: Uint8Array | undefined, etag: string | undefined): string | undefined {
  if (contentMD5 !== undefined && contentMD5.length > 0) return Buffer.from(contentMD5).toString('hex');
  return etag?.replace(/^"|"$/g, '');
}
