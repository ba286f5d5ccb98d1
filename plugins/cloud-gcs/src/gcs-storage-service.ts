// A StorageService on one gs://bucket/prefix, through @google-cloud/storage.
//
// put: a resumable upload session is created first (so its URI is known before any byte flows),
// then the stream is sent in requests of `chunkSize` bytes; that is the memory an upload holds,
// whatever the size of the disk. The object only appears when the last chunk finalizes the session.
// The library checks the CRC32C of what GCS stored against what it sent; we count the bytes,
// hash them with SHA-256 on the way, store that hash as custom metadata (`sha256`) and check
// the size GCS reports. A SHA-256 announced in the metadata (store-remote's) is checked before
// the last bytes go, so a stream that does not match it never finalises. When anything fails or the signal aborts, the session is cancelled
// (DELETE on the session URI, which GCS answers 499), and an object that got finalized in the
// race is deleted by generation, so a failed put leaves nothing visible.
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Bucket, File, FileMetadata, Storage } from '@google-cloud/storage';
import { ExportError } from '@hyperexport/core';
import type { PutOptions, PutResult, RequestOptions, StorageService, StoredObject } from '@hyperexport/core';
import { gcsError, httpStatusOf, isNotFound, redactSessionUris } from './gcs-errors.ts';
import { loadGcsSdk } from './gcs-sdk.ts';
import type { ResolvedGcsSettings } from './gcs-options.ts';
import { keyOf, objectName, urlOfKey } from './gcs-target.ts';
import type { GcsTarget } from './gcs-target.ts';

/** Custom metadata key holding the SHA-256 (hex) of the object's content. */
export const SHA256_METADATA_KEY = 'sha256';

/** Bytes the streams between the source and the library may hold (a few highWaterMarks). */
const STREAM_BUFFERS_ALLOWANCE = 1024 * 1024;

/** How long cleanup after a failed upload may take before we give up on it. */
const CLEANUP_TIMEOUT_MS = 15_000;

export class GcsStorageService implements StorageService {
  readonly url: string;
  readonly #target: GcsTarget;
  readonly #storage: Storage;
  readonly #bucket: Bucket;
  readonly #settings: ResolvedGcsSettings;

  constructor(storage: Storage, target: GcsTarget, settings: ResolvedGcsSettings) {
    this.#target = target;
    this.#storage = storage;
    this.#bucket = storage.bucket(target.bucket);
    this.#settings = settings;
    this.url = target.url;
  }

  /**
   * Fails early, with a clear message, on a missing bucket or refused credentials. An account
   * allowed to write objects but not to read bucket metadata (403) is fine.
   */
  async checkBucket(signal: AbortSignal): Promise<void> {
    try {
      await abortable(this.#bucket.getMetadata(), signal);
    } catch (error) {
      if (httpStatusOf(error) === 403) return;
      throw gcsError(error, `opening ${this.url}`, this.#target.bucket);
    }
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<PutResult> {
    const { signal } = options;
    const name = objectName(this.#target, key);
    const what = `uploading ${key} to ${this.url}`;
    const file = this.#bucket.file(name);
    signal.throwIfAborted();

    let sessionUri: string | undefined;
    let finalizedGeneration: string | number | undefined;
    let counted = 0;
    let sourceEnded = false;
    let failed = false;
    // Whoever fails first is the cause: the other end is then destroyed with the same error.
    let firstFailure: 'source' | 'target' | undefined;
    body.once('error', () => (firstFailure ??= 'source'));
    try {
      const creating = file.createResumableUpload({
        metadata: {
          contentType: options.contentType ?? 'application/octet-stream',
          // A size given in advance is announced, and GCS refuses to finalize any other.
          ...(options.size !== undefined ? { contentLength: options.size } : {}),
          ...(options.metadata ? { metadata: { ...options.metadata } } : {}),
          ...(this.#settings.storageClass ? { storageClass: this.#settings.storageClass } : {}),
        },
      });
      // If we give up before the session exists, cancel it as soon as it does.
      creating.then(
        ([uri]) => {
          if (failed) void cancelSession(uri);
        },
        () => undefined,
      );
      [sessionUri] = await abortable(creating, signal);

      const sha256 = createHash('sha256');
      // The library's chunked upload lets more data in each time it re-reads its cached chunk to
      // send it, so a source faster than the network grows its buffer without end (measured: 4 MiB
      // held for a 16 MiB upload with 256 KiB chunks). Hold the source back whenever it is more
      // than two chunks (plus room for the buffers of the streams in between, so the library
      // always has a whole chunk to send) ahead of what the library has put on the wire.
      const maxLead = 2 * this.#settings.chunkSize + STREAM_BUFFERS_ALLOWANCE;
      let onWire = 0;
      let held: (() => void) | undefined;
      // An announced SHA-256 (store-remote's, of a local file) is checked before the session is
      // finalised: the newest chunk is held back until the next one arrives, and the last one is
      // let through only once the whole stream's hash matched. Without its last bytes the library
      // cannot finalise (with a known size, GCS finalises when the last byte arrives), so a
      // mismatch fails the pipeline and the session is cancelled: nothing becomes visible.
      const announced = options.metadata?.[SHA256_METADATA_KEY];
      let last: Buffer | undefined;
      // Bytes handed on to the library (all counted but the one chunk held back).
      let passed = 0;
      const digest = new Transform({
        flush(callback) {
          sourceEnded = true;
          const hex = sha256.copy().digest('hex');
          if (announced !== undefined && announced !== hex) {
            callback(
              new ExportError(`${what}: the stream's SHA-256 is ${hex}, not the ${announced} it was announced with; nothing was stored`, {
                code: 'VERIFY',
                hint: 'the source changed or was corrupted while it was read; export again',
              }),
            );
            return;
          }
          callback(null, last);
        },
        transform(chunk: Buffer, _encoding, callback) {
          sha256.update(chunk);
          counted += chunk.length;
          if (last !== undefined) {
            passed += last.length;
            this.push(last);
          }
          last = chunk;
          if (passed - onWire > maxLead) held = () => callback();
          else callback();
        },
      });
      const upload = file.createWriteStream({
        uri: sessionUri,
        resumable: true,
        chunkSize: this.#settings.chunkSize,
        validation: 'crc32c',
        metadata: { contentType: options.contentType ?? 'application/octet-stream', ...(options.size !== undefined ? { contentLength: options.size } : {}) },
      });
      upload.once('error', () => (firstFailure ??= 'target'));
      upload.on('progress', (progress: { bytesWritten: number }) => {
        onWire = progress.bytesWritten;
        options.onProgress?.(onWire);
        if (held && passed - onWire <= maxLead) {
          const release = held;
          held = undefined;
          release();
        }
      });
      // The source is fed by hand, not put in the pipeline: pipeline() would destroy it with the
      // library's raw error (holding internals such as session URIs) before we can explain it.
      feed(body, digest);
      await pipeline(digest, upload, { signal });

      const finalized = file.metadata;
      finalizedGeneration = finalized.generation;
      const hex = sha256.digest('hex');
      if (Number(finalized.size) !== counted) {
        throw new ExportError(`${what}: Google Cloud Storage holds ${finalized.size} bytes, ${counted} were sent`, {
          code: 'VERIFY',
          hint: 'the upload was discarded; run the export again',
        });
      }
      // The hash is known only at the end, after the session fixed the object's metadata.
      const [updated] = await file.setMetadata({ metadata: { [SHA256_METADATA_KEY]: hex } }, { ifGenerationMatch: finalized.generation });
      if (Number(updated.size) !== counted) {
        throw new ExportError(`${what}: Google Cloud Storage reports ${updated.size} bytes after the upload, ${counted} were sent`, {
          code: 'VERIFY',
          hint: 'the upload was discarded; run the export again',
        });
      }
      options.onProgress?.(counted);
      return { key, size: counted, sha256: hex, etag: updated.md5Hash ?? updated.etag };
    } catch (error) {
      failed = true;
      // file.metadata is the finalized object's when the session completed in a race with the failure.
      await this.#discard(file, finalizedGeneration ?? file.metadata?.generation, sessionUri);
      const failure = ((): unknown => {
        if (signal.aborted) return signal.reason ?? error;
        // A failing source is not a storage problem: keep its error as it is.
        if (firstFailure === 'source') return error;
        if (sourceEnded && options.size !== undefined && counted !== options.size) {
          return new ExportError(`${what}: the stream gave ${counted} bytes, ${options.size} were announced`, {
            code: 'VERIFY',
            hint: 'the source changed or was cut short; the upload was discarded',
            cause: error,
          });
        }
        return gcsError(error, what, this.#target.bucket);
      })();
      // Whoever writes into the source learns the same explained error.
      if (!body.destroyed) body.destroy(failure instanceof Error ? failure : new Error(String(failure)));
      throw failure;
    }
  }

  /** Leaves nothing visible after a failed put: cancel the session, or delete what got finalized. */
  async #discard(file: File, generation: string | number | undefined, sessionUri: string | undefined): Promise<void> {
    try {
      if (generation !== undefined) {
        await file.delete({ ignoreNotFound: true, ifGenerationMatch: generation });
      } else if (sessionUri !== undefined) {
        await cancelSession(sessionUri);
      }
    } catch {
      // Best effort: an unfinalized session is invisible anyway, and GCS drops it after a week.
    }
  }

  async get(key: string, options: RequestOptions): Promise<Readable> {
    // Loaded already (the Storage client comes from it); taken before the request, which it must not outlive.
    const { HashStreamValidator } = await loadGcsSdk();
    const name = objectName(this.#target, key);
    const what = `reading ${this.urlOf(key)}`;
    // The library's createReadStream only sends its request once read from, so a missing object
    // or refused credentials would surface late, and it warns about listeners on every download
    // (googleapis/google-cloud-node#9185). We send the media request ourselves with the client's
    // credentials: every error is known before get() returns, and the CRC32C GCS keeps is checked
    // with the library's own validator.
    const url = `${this.#storage.baseUrl}/b/${encodeURIComponent(this.#target.bucket)}/o/${encodeURIComponent(name)}?alt=media`;
    const response = await this.#fetchWithRetries(url, options.signal, what);
    if (!response.ok) {
      const error = await apiErrorOf(response);
      if (response.status === 404 && !/bucket does not exist/i.test(error.message)) {
        throw new ExportError(`${this.urlOf(key)} does not exist`, {
          code: 'NOT_FOUND',
          hint: `list what is there with \`hyperexport remote ls ${this.url}\``,
        });
      }
      throw gcsError(error, what, this.#target.bucket);
    }
    const expected = /(?:^|,)\s*crc32c=([^,\s]+)/.exec(response.headers.get('x-goog-hash') ?? '')?.[1];
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    const validator = expected ? new HashStreamValidator({ crc32c: true, crc32cExpected: expected }) : undefined;
    // Errors reach the caller as ExportErrors; plain pipe() so none is passed on before mapping.
    const out = new PassThrough();
    const chain: Readable[] = validator ? [body, validator] : [body];
    const fail = (error: unknown) => {
      if (!out.destroyed) {
        const mismatch = (error as { code?: unknown }).code === 'CONTENT_DOWNLOAD_MISMATCH';
        out.destroy(
          mismatch
            ? new ExportError(`${what}: the bytes read do not match the CRC32C Google Cloud Storage keeps`, {
                code: 'VERIFY',
                hint: 'the object may be corrupt or was replaced while read; read it again',
                cause: error,
              })
            : gcsError(error, what, this.#target.bucket),
        );
      }
      for (const stream of chain) stream.destroy();
    };
    for (const stream of chain) stream.on('error', fail);
    // A reader that stops early closes `out`: stop downloading.
    out.once('close', () => {
      for (const stream of chain) if (!stream.destroyed) stream.destroy();
    });
    (validator ? body.pipe(validator) : body).pipe(out);
    return out;
  }

  async #fetchWithRetries(url: string, signal: AbortSignal, what: string): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        const headers = new Headers(this.#settings.anonymous ? {} : await this.#storage.authClient.getRequestHeaders(url));
        headers.set('accept-encoding', 'identity');
        response = await fetch(url, { headers, signal });
        if (response.status !== 429 && response.status < 500) return response;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        failure = error;
      }
      if (attempt >= this.#settings.retries) {
        if (response) return response;
        throw gcsError(failure, what, this.#target.bucket);
      }
      await response?.body?.cancel();
      await sleep(Math.min(1000 * 2 ** attempt + Math.random() * 1000, 32_000), signal);
    }
  }

  async stat(key: string, options: RequestOptions): Promise<StoredObject | undefined> {
    const metadata = await this.#metadataOf(objectName(this.#target, key), options.signal, `looking up ${this.urlOf(key)}`);
    return metadata === undefined ? undefined : this.#describe(metadata);
  }

  async *list(prefix: string, options: RequestOptions): AsyncIterable<StoredObject> {
    const what = `listing ${this.url}${prefix}`;
    let files: File[];
    try {
      // autoPaginate follows every nextPageToken and rejects if any page fails: never a partial list.
      [files] = await abortable(this.#bucket.getFiles({ prefix: `${this.#target.prefix}${prefix}`, autoPaginate: true }), options.signal);
    } catch (error) {
      throw gcsError(error, what, this.#target.bucket);
    }
    for (const file of files) {
      // Zero-byte "folder" placeholders that consoles create are not objects of ours.
      if (file.name.endsWith('/')) continue;
      yield this.#describe(file.metadata);
    }
  }

  async delete(key: string, options: RequestOptions): Promise<void> {
    try {
      await abortable(this.#bucket.file(objectName(this.#target, key)).delete({ ignoreNotFound: true }), options.signal);
    } catch (error) {
      throw gcsError(error, `deleting ${this.urlOf(key)}`, this.#target.bucket);
    }
  }

  urlOf(key: string): string {
    return urlOfKey(this.#target, key);
  }

  async #metadataOf(name: string, signal: AbortSignal, what: string): Promise<FileMetadata | undefined> {
    try {
      const [metadata] = await abortable(this.#bucket.file(name).getMetadata(), signal);
      return metadata;
    } catch (error) {
      if (isNotFound(error) && !/bucket does not exist/i.test(String((error as Error).message))) return undefined;
      throw gcsError(error, what, this.#target.bucket);
    }
  }

  #describe(metadata: FileMetadata): StoredObject {
    const custom: Record<string, string> = {};
    let sha256: string | undefined;
    for (const [key, value] of Object.entries(metadata.metadata ?? {})) {
      if (value === null || value === undefined) continue;
      if (key === SHA256_METADATA_KEY) sha256 = String(value);
      else custom[key.toLowerCase()] = String(value);
    }
    return {
      key: keyOf(this.#target, metadata.name ?? ''),
      size: Number(metadata.size ?? 0),
      lastModified: metadata.updated ? new Date(metadata.updated) : undefined,
      etag: metadata.md5Hash ?? metadata.etag,
      sha256,
      metadata: custom,
    };
  }
}

/**
 * Cancels a resumable session. The session URI authenticates itself, so no credentials are
 * sent; GCS answers 499 to a cancel, and 404/410 when the session is already gone.
 */
export async function cancelSession(sessionUri: string): Promise<void> {
  try {
    const response = await fetch(sessionUri, { method: 'DELETE', headers: { 'content-length': '0' }, signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) });
    await response.body?.cancel();
  } catch (error) {
    throw new Error(redactSessionUris(String(error)));
  }
}

/** The `{ error: { code, message } }` body GCS answers a failed request with, as an error. */
async function apiErrorOf(response: Response): Promise<Error & { code: number }> {
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not JSON: keep the status text.
  }
  return Object.assign(new Error(message), { code: response.status });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Pipes a source into the first stage; a failing source fails the stage (and so the pipeline). */
function feed(source: Readable, into: Writable): void {
  source.once('error', (error) => into.destroy(error));
  source.pipe(into);
}

/** Rejects as soon as the signal aborts (the library's calls take no signal). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
