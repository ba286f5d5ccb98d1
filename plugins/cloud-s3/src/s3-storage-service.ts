// The storage service for s3:// targets: objects below a key prefix of one bucket, on AWS or any
// S3-compatible server. Uploads stream (stream-upload.ts) and are checked on arrival: the size the
// server holds must be the size sent, or the object is deleted and the put fails.
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client, ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3';
import { ExportError } from '@hyperexport/core';
import type { PutOptions, PutResult, RequestOptions, StorageService, StoredObject } from '@hyperexport/core';
import { isNotFound, toExportError } from './s3-errors.ts';
import type { S3ErrorContext } from './s3-errors.ts';
import type { S3Settings } from './s3-options.ts';
import { loadS3Sdk } from './s3-sdk.ts';
import { formatS3Url } from './s3-target-url.ts';
import { uploadStream } from './stream-upload.ts';
import type { ObjectHeaders } from './stream-upload.ts';

/** The user-metadata key (x-amz-meta-sha256) that holds the SHA-256 of an object's content. */
export const SHA256_METADATA = 'sha256';
const SHA256_HEX = /^[0-9a-f]{64}$/;
const METADATA_KEY = /^[a-z0-9][a-z0-9._-]*$/;
// Header values: printable ASCII only (S3 would mangle anything else).
const METADATA_VALUE = /^[\x20-\x7e]*$/;

export interface S3StorageServiceOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix, empty or ending with `/`. */
  readonly prefix: string;
  readonly settings: S3Settings;
  /** Where requests go, for messages: the custom endpoint or `AWS S3 (region)`. */
  readonly endpointLabel: string;
  /** Whether uploads carry checksums S3 verifies. */
  readonly checksums: boolean;
  /** Keys per ListObjectsV2 page (S3's maximum, 1000, unless a test wants many pages). */
  readonly listPageSize?: number;
}

export class S3StorageService implements StorageService {
  readonly #options: S3StorageServiceOptions;
  #closed = false;

  constructor(options: S3StorageServiceOptions) {
    this.#options = options;
  }

  get url(): string {
    return formatS3Url(this.#options.bucket, this.#options.prefix);
  }

  get bucket(): string {
    return this.#options.bucket;
  }

  /** The full object key of a key relative to the target. */
  objectKey(key: string): string {
    if (key === '' || key.startsWith('/') || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new ExportError(`"${key}" is not a valid object key below ${this.url}`, { code: 'BAD_KEY' });
    }
    return `${this.#options.prefix}${key}`;
  }

  urlOf(key: string): string {
    return formatS3Url(this.#options.bucket, `${this.#options.prefix}${key}`);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    const shown = this.urlOf(key);
    const { client, bucket, settings } = this.#options;
    const explain = this.#explainer(`upload of ${shown}`, 's3:PutObject (and s3:AbortMultipartUpload)');
    const metadata = checkMetadata(options.metadata, shown);
    const headers: ObjectHeaders = {
      ContentType: options.contentType,
      Metadata: metadata,
      ServerSideEncryption: settings.sse as ServerSideEncryption | undefined,
      SSEKMSKeyId: settings.kmsKeyId,
      StorageClass: settings.storageClass as StorageClass | undefined,
    };
    const sent = await uploadStream(body, {
      client,
      bucket,
      key: objectKey,
      shown,
      headers,
      expectedSha256: metadata[SHA256_METADATA],
      plan: { initial: settings.partSize, expectedSize: options.size },
      queueSize: settings.queueSize,
      checksums: this.#options.checksums,
      signal: options.signal,
      onProgress: options.onProgress,
      explain,
    });
    // What the server holds, not what we counted: a proxy or server that mangles bodies shows here.
    const held = await this.stat(key, { signal: options.signal });
    if (held?.size !== sent.size) {
      await this.delete(key, { signal: new AbortController().signal }).catch(() => undefined);
      throw new ExportError(
        `${shown}: the server holds ${held === undefined ? 'no object' : `${held.size} bytes`} after ${sent.size} were sent; the object was removed`,
        { code: 'VERIFY', hint: 'export again; if it keeps happening, something between here and the server changes the uploads' },
      );
    }
    return { key, size: held.size, etag: held.etag ?? stripQuotes(sent.etag), sha256: sent.sha256 };
  }

  async get(key: string, options: RequestOptions): Promise<Readable> {
    const shown = this.urlOf(key);
    // Loaded already (the client comes from it); a command class is all that is taken from it.
    const { GetObjectCommand } = await loadS3Sdk();
    let output;
    try {
      output = await this.#options.client.send(new GetObjectCommand({ Bucket: this.#options.bucket, Key: this.objectKey(key) }), {
        abortSignal: options.signal,
      });
    } catch (error) {
      if (isNotFound(error)) {
        throw new ExportError(`${shown} does not exist`, { code: 'NOT_FOUND', hint: 'check the URL with `hyperexport remote ls`', cause: error });
      }
      throw this.#explainer(`download of ${shown}`, 's3:GetObject')(error);
    }
    const body = output.Body as Readable | undefined;
    if (!body) throw new ExportError(`${shown}: the server sent no body`, { code: 'S3' });
    // A body cut short must fail the reader, not end early as if complete.
    const expected = output.ContentLength;
    let received = 0;
    const checked = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(null, chunk);
      },
      flush(callback) {
        callback(
          expected === undefined || received === expected
            ? null
            : new ExportError(`${shown}: the download ended after ${received} of ${expected} bytes`, { code: 'TRUNCATED', hint: 'run again' }),
        );
      },
    });
    pipeline(body, checked).catch(() => undefined); // errors reach the reader through `checked`
    return checked;
  }

  async stat(key: string, options: RequestOptions): Promise<StoredObject | undefined> {
    const { HeadObjectCommand } = await loadS3Sdk();
    try {
      const output = await this.#options.client.send(new HeadObjectCommand({ Bucket: this.#options.bucket, Key: this.objectKey(key) }), {
        abortSignal: options.signal,
      });
      const metadata = output.Metadata ?? {};
      const sha256 = metadata[SHA256_METADATA];
      return {
        key,
        size: output.ContentLength ?? 0,
        lastModified: output.LastModified,
        etag: stripQuotes(output.ETag),
        sha256: sha256 !== undefined && SHA256_HEX.test(sha256) ? sha256 : undefined,
        metadata,
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.#explainer(`reading the details of ${this.urlOf(key)}`, 's3:GetObject')(error);
    }
  }

  async *list(prefix: string, options: RequestOptions): AsyncIterable<StoredObject> {
    const { client, bucket } = this.#options;
    const { ListObjectsV2Command } = await loadS3Sdk();
    const root = this.#options.prefix;
    const explain = this.#explainer(`listing of ${this.urlOf(prefix)}`, 's3:ListBucket');
    // Every page first: a listing that fails half-way must not hand out its first pages.
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: `${root}${prefix}`, ContinuationToken: token, MaxKeys: this.#options.listPageSize ?? 1000 }),
          { abortSignal: options.signal },
        );
      } catch (error) {
        throw explain(error);
      }
      for (const object of page.Contents ?? []) {
        // Keys ending in `/` are folder markers some tools create, never objects of ours.
        if (object.Key === undefined || object.Key.endsWith('/') || !object.Key.startsWith(root)) continue;
        objects.push({ key: object.Key.slice(root.length), size: object.Size ?? 0, lastModified: object.LastModified, etag: stripQuotes(object.ETag) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token)
        throw new ExportError(`listing of ${this.urlOf(prefix)}: the server said there was more but gave no continuation token`, { code: 'S3' });
    } while (token !== undefined);
    yield* objects;
  }

  async delete(key: string, options: RequestOptions): Promise<void> {
    const { DeleteObjectCommand } = await loadS3Sdk();
    try {
      await this.#options.client.send(new DeleteObjectCommand({ Bucket: this.#options.bucket, Key: this.objectKey(key) }), { abortSignal: options.signal });
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.#explainer(`deletion of ${this.urlOf(key)}`, 's3:DeleteObject')(error);
    }
  }

  /**
   * Checks that the bucket exists and the credentials are accepted, before an export starts
   * sending to it. Credentials allowed to write but not to list (s3:ListBucket) pass: their
   * problems, if any, show at the first upload.
   */
  async checkAccess(signal: AbortSignal): Promise<void> {
    const { client, bucket, prefix } = this.#options;
    const { ListObjectsV2Command } = await loadS3Sdk();
    try {
      await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }), { abortSignal: signal });
    } catch (error) {
      const explained = this.#explainer(`access to ${this.url}`, 's3:ListBucket')(error);
      if ((explained as ExportError).code === 'ACCESS_DENIED' && (error as Error).name === 'AccessDenied') return;
      throw explained;
    }
  }

  /** Closes the client's connections; a later request opens new ones. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.client.destroy();
  }

  #explainer(action: string, permission: string): (error: unknown) => Error {
    const context: S3ErrorContext = { action, bucket: this.#options.bucket, endpoint: this.#options.endpointLabel, permission };
    return (error) => toExportError(error, context);
  }
}

function checkMetadata(metadata: Readonly<Record<string, string>> | undefined, shown: string): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (!METADATA_KEY.test(key) || !METADATA_VALUE.test(value)) {
      throw new ExportError(`${shown}: metadata "${key}" cannot be stored in S3 (keys: lower-case letters, digits, . _ -; values: printable ASCII)`, {
        code: 'BAD_METADATA',
      });
    }
    if (key === SHA256_METADATA && !SHA256_HEX.test(value)) {
      throw new ExportError(`${shown}: metadata "${SHA256_METADATA}" must be a SHA-256 in lower-case hex (got "${value}")`, { code: 'BAD_METADATA' });
    }
    checked[key] = value;
  }
  return checked;
}

function stripQuotes(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}
